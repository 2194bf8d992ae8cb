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

"""The HTTP timeout of a command."""

import argparse
import os
import types

import fixtures
from openstack import config as os_config
from osc_lib import exceptions as osc_exceptions
import testtools
import yaml

from powervc_osc.osc import timeouts


class TestApiTimeout(testtools.TestCase):
    """OS_API_TIMEOUT first, then the cloud's api_timeout, validated."""

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.EnvironmentVariable('OS_API_TIMEOUT'))
        home = self.useFixture(fixtures.TempDir()).path
        self.clouds_yaml = os.path.join(home, 'clouds.yaml')

    def app(self, api_timeout=None):
        """An app with OSC's cloud config over a real clouds.yaml."""
        cloud = {'auth': {'auth_url': 'https://pvc.example.com/v3'}}
        if api_timeout is not None:
            cloud['api_timeout'] = api_timeout
        with open(self.clouds_yaml, 'w') as f:
            yaml.safe_dump({'clouds': {'pvc': cloud}}, f)
        loader = os_config.OpenStackConfig(config_files=[self.clouds_yaml],
                                           vendor_files=[])
        return types.SimpleNamespace(
            cloud_config=loader, options=argparse.Namespace(cloud='pvc'))

    def test_unset_keeps_the_client_default(self):
        self.assertIsNone(timeouts.api_timeout(self.app()))
        self.assertIsNone(timeouts.api_timeout(types.SimpleNamespace()))

    def test_cloud_api_timeout(self):
        self.assertEqual(7.0, timeouts.api_timeout(self.app(7)))

    def test_environment_wins(self):
        self.useFixture(fixtures.EnvironmentVariable('OS_API_TIMEOUT', '3'))
        self.assertEqual(3.0, timeouts.api_timeout(self.app(7)))

    def test_bad_values_name_their_source(self):
        exc = self.assertRaises(osc_exceptions.CommandError,
                                timeouts.api_timeout, self.app('soon'))
        self.assertEqual("api_timeout must be a number of seconds greater "
                         "than 0, not 'soon'", str(exc))
        for value in ('0', '-1', 'inf', 'nan'):
            self.useFixture(fixtures.EnvironmentVariable('OS_API_TIMEOUT',
                                                         value))
            exc = self.assertRaises(osc_exceptions.CommandError,
                                    timeouts.api_timeout, self.app())
            self.assertIn('OS_API_TIMEOUT must be a number', str(exc))
