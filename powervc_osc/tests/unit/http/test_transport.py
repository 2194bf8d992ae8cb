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

"""keystoneauth's transport with watched pools: TLS settings, pool size,
certificate checks over a real HTTPS socket.
"""

import threading

from keystoneauth1 import session as ks_session
from keystoneauth1 import token_endpoint
import requests
import requests_mock
import testtools
from werkzeug import serving
from werkzeug import wrappers

from powervc_osc import client as client_mod
from powervc_osc import exceptions
from powervc_osc.http import transport
from powervc_osc.tests.unit import fakes
from powervc_osc.tests.unit.http import base

SERVER_URL = base.SERVER_URL
METADATA_URL = base.METADATA_URL
OK_SERVER = base.OK_SERVER
OK_METADATA = base.OK_METADATA
token_session = base.token_session


class TestTLS(testtools.TestCase):

    def test_sessions_verify_by_default(self):
        auth = {'auth_url': fakes.AUTH_URL, 'username': 'admin',
                'password': fakes.PASSWORD, 'project_id': fakes.PROJECT_ID,
                'user_domain_id': 'default'}
        for options, expected in (({}, True), ({'verify': False}, False),
                                  ({'insecure': True}, False)):
            client = client_mod.RefcodeClient.from_cloud(
                load_yaml_config=False, load_envvars=False,
                auth_type='password', auth=auth, region_name='RegionOne',
                **options)
            self.assertIs(expected, client._http.adapter.session.verify,
                          options)

    def test_requests_are_sent_with_verification(self):
        with requests_mock.Mocker() as mock:
            mock.get(SERVER_URL, **OK_SERVER)
            mock.get(METADATA_URL, **OK_METADATA)
            client_mod.RefcodeClient(token_session()).show(fakes.SERVER_ID)
            # True, or the CA bundle requests takes from the environment.
            for request in mock.request_history:
                self.assertTrue(request.verify)
                self.assertIsNot(False, request.verify)

    def test_wider_pool_keeps_tls_settings_and_foreign_transports(self):
        session = token_session(tls_min_version='1.3')
        client_mod.RefcodeClient(session, max_workers=32)
        adapter = session.session.adapters['https://']
        self.assertEqual('1.3', adapter.tls_min_version)
        # The workers and the listing walk of the main thread.
        self.assertEqual(33, adapter._pool_maxsize)
        foreign = requests.adapters.HTTPAdapter()
        session = token_session()
        session.session.mount('https://', foreign)
        client_mod.RefcodeClient(session, max_workers=32)
        self.assertIs(foreign, session.session.adapters['https://'])

    def test_deadline_transport_keeps_tls_settings_and_pool_size(self):
        session = token_session(tls_ciphers='HIGH', tls_min_version='1.2')
        client_mod.RefcodeClient(session, max_workers=4)
        for prefix in ('https://', 'http://'):
            adapter = session.session.adapters[prefix]
            self.assertIsInstance(adapter, transport.DeadlineAdapter)
            self.assertEqual(('HIGH', '1.2'), (adapter.tls_ciphers,
                                               adapter.tls_min_version))
            self.assertEqual(requests.adapters.DEFAULT_POOLSIZE,
                             adapter._pool_maxsize)
        # A second client on the session widens it, and only widens it.
        client_mod.RefcodeClient(session, max_workers=32)
        client_mod.RefcodeClient(session, max_workers=4)
        adapter = session.session.adapters['https://']
        self.assertEqual((33, '1.2'), (adapter._pool_maxsize,
                                       adapter.tls_min_version))

    def test_self_signed_certificate_is_refused(self):
        app = wrappers.Response('{"metadata": {}}',
                                content_type='application/json')
        server = serving.make_server('127.0.0.1', 0, app,
                                     ssl_context='adhoc')
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        self.addCleanup(thread.join, 10)
        self.addCleanup(server.shutdown)
        url = 'https://127.0.0.1:%d/v2.1' % server.socket.getsockname()[1]
        session = ks_session.Session(auth=token_endpoint.Token(
            url, fakes.TOKEN_ID))
        client = client_mod.RefcodeClient(session, retries=0, timeout=10)
        exc = self.assertRaises(exceptions.CommunicationError,
                                client.set_required, fakes.SERVER_ID, True)
        self.assertIn('TLS', str(exc))
        self.assertIn('CERTIFICATE_VERIFY_FAILED', str(exc))
        insecure = client_mod.RefcodeClient(ks_session.Session(
            auth=token_endpoint.Token(url, fakes.TOKEN_ID), verify=False),
            retries=0, timeout=10)
        self.assertFalse(insecure.set_required(fakes.SERVER_ID,
                                               True).required)
