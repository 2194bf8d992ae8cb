# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""The RefcodeClient of a command, on OSC's own session."""

import argparse
import logging
import types

import fixtures
from keystoneauth1 import session as ks_session
import testtools

from powervc_osc import defaults
from powervc_osc.osc import client_factory

ENDPOINT = 'https://pvc.example.com:8774/v2.1/p1'


class _Manager:
    """What make_client reads of OSC's client manager."""

    region_name = 'RegionOne'
    interface = 'public'

    def __init__(self):
        self.session = ks_session.Session()
        self.asked = []

    def get_endpoint_for_service_type(self, service_type, **kwargs):
        self.asked.append((service_type, kwargs))
        return ENDPOINT


class TestMakeClient(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.EnvironmentVariable('OS_API_TIMEOUT'))
        self.manager = _Manager()
        self.app = types.SimpleNamespace(
            client_manager=self.manager, cloud_config=None,
            options=argparse.Namespace(cloud=None))

    def test_on_osc_session_region_and_interface(self):
        client = client_factory.make_client(self.app)
        self.assertEqual(
            [('compute', {'region_name': 'RegionOne',
                          'interface': 'public'})], self.manager.asked)
        self.assertIs(self.manager.session, client._http.adapter.session)
        self.assertEqual(ENDPOINT, client._http.adapter.endpoint_override)
        self.assertEqual(defaults.MAX_WORKERS, client.max_workers)

    def test_max_workers_and_api_timeout(self):
        self.useFixture(fixtures.EnvironmentVariable('OS_API_TIMEOUT', '7'))
        client = client_factory.make_client(self.app, max_workers=3)
        self.assertEqual((3, 7.0), (client.max_workers, client.timeout))


class TestQuietUrllib3(testtools.TestCase):
    """urllib3 logs a debug record per request; OSC's root takes them."""

    def setUp(self):
        super().setUp()
        self.logger = logging.getLogger('urllib3')
        self.addCleanup(self.logger.setLevel, self.logger.level)
        self.logger.setLevel(logging.NOTSET)

    def app(self, debug):
        return types.SimpleNamespace(options=argparse.Namespace(debug=debug))

    def test_warnings_only_without_debug(self):
        client_factory.quiet_urllib3(self.app(False))
        self.assertFalse(self.logger.isEnabledFor(logging.INFO))
        self.assertTrue(self.logger.isEnabledFor(logging.WARNING))

    def test_every_request_with_debug(self):
        client_factory.quiet_urllib3(self.app(True))
        self.assertTrue(self.logger.isEnabledFor(logging.DEBUG))

    def test_a_level_the_user_set_is_kept(self):
        self.logger.setLevel(logging.INFO)
        client_factory.quiet_urllib3(self.app(False))
        self.assertEqual(logging.INFO, self.logger.level)
