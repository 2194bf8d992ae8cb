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

"""The HTTP layer: retries, timeouts, error mapping, request IDs, TLS.

The client runs over a real keystoneauth Session; requests-mock (or, for
TLS, a real HTTPS socket) answers.
"""

import logging
import threading

import fixtures
from keystoneauth1 import session as ks_session
from keystoneauth1 import token_endpoint
import requests
import requests_mock
import testtools
from werkzeug import serving
from werkzeug import wrappers

from powervc_osc import client as client_mod
from powervc_osc import exceptions
from powervc_osc import http
from powervc_osc import model
from powervc_osc.tests.unit import fakes

SERVER_URL = fakes.SERVER_URL
METADATA_URL = fakes.METADATA_URL
OK_SERVER = {'json': {'server': fakes.server_body()}}
OK_METADATA = {'json': {'metadata': fakes.METADATA}}
REQUEST_ID = 'req-5c1f1a9e-6d2b-4a77-9f0e-3b2d8c4e7a10'


token_session = fakes.token_session


class RetryTestCase(fakes.TokenTestCase):

    def calls(self, method='GET', suffix='/metadata'):
        return [r for r in self.requests.request_history
                if r.method == method and r.path.endswith(suffix)]


class TestRetries(RetryTestCase):

    def test_503_burst_then_recovery(self):
        self.requests.get(SERVER_URL, [OK_SERVER])
        self.requests.get(METADATA_URL, [{'status_code': 503}] * 3
                          + [OK_METADATA])
        rc = self.client.show(fakes.SERVER_ID)
        self.assertEqual('C6004031', rc.refcode)
        self.assertEqual(4, len(self.calls()))
        # keystoneauth's own exponential back-off, bounded.
        self.assertEqual([0.5, 1.0, 2.0], self.backoff.sleeps)

    def test_still_failing_reports_last_error_and_retries(self):
        self.requests.get(SERVER_URL, [OK_SERVER])
        self.requests.get(METADATA_URL, [{'status_code': 503}] * 3 + [
            {'status_code': 504, 'json': {'computeFault': {
                'code': 504, 'message': 'upstream timed out'}}}])
        exc = self.assertRaises(exceptions.ServerError, self.client.show,
                                fakes.SERVER_ID)
        self.assertEqual(504, exc.status_code)
        self.assertIn('HTTP 504', str(exc))
        self.assertIn('after 3 retries', str(exc))
        self.assertIn('upstream timed out', str(exc))
        self.assertEqual(4, len(self.calls()))
        self.assertLessEqual(sum(self.backoff.sleeps), 3.5)

    def test_proxy_html_502_is_one_clean_line(self):
        self.requests.get(SERVER_URL, [OK_SERVER])
        self.requests.get(METADATA_URL, status_code=502, reason='Bad Gateway',
                          text='<html><body><h1>502 Bad Gateway</h1>\n'
                               '</body></html>',
                          headers={'Content-Type': 'text/html'})
        exc = self.assertRaises(exceptions.ServerError, self.client.show,
                                fakes.SERVER_ID)
        self.assertIn('HTTP 502', str(exc))
        self.assertIn('Bad Gateway', str(exc))
        self.assertNotIn('<', str(exc))
        self.assertEqual(1, len(str(exc).splitlines()))

    def test_metadata_post_is_retried(self):
        self.requests.post(METADATA_URL, [
            {'status_code': 503},
            {'exc': requests.exceptions.ConnectionError('reset by peer')},
            {'json': {'metadata': {model.REQUIRED_KEY: 'true'}}}])
        rc = self.client.set_required(fakes.SERVER_ID, True)
        self.assertTrue(rc.required)
        posts = self.calls('POST')
        self.assertEqual(3, len(posts))
        self.assertEqual([{'metadata': {model.REQUIRED_KEY: 'true'}}] * 3,
                         [p.json() for p in posts])

    def test_500_and_4xx_are_not_retried(self):
        # A 404 makes the ID-shaped argument a name to look up.
        self.requests.get(fakes.COMPUTE_URL + '/servers',
                          json={'servers': []})
        for status in (500, 400, 403, 404, 409, 429):
            before = len(self.calls('POST'))
            self.requests.post(METADATA_URL, status_code=status)
            self.assertRaises(exceptions.RefcodeError,
                              self.client.set_required, fakes.SERVER_ID,
                              False)
            self.assertEqual(before + 1, len(self.calls('POST')), status)
        self.assertEqual([], self.backoff.sleeps)

    def test_connection_reset_then_recovery(self):
        self.requests.get(SERVER_URL, [OK_SERVER])
        self.requests.get(METADATA_URL, [
            {'exc': requests.exceptions.ConnectionError(
                'Connection aborted.')}, OK_METADATA])
        self.assertEqual('C6004031',
                         self.client.show(fakes.SERVER_ID).refcode)
        self.assertEqual([0.5], self.backoff.sleeps)

    def test_connection_errors_exhausted(self):
        self.requests.get(SERVER_URL, [OK_SERVER])
        self.requests.get(METADATA_URL,
                          exc=requests.exceptions.ConnectionError(
                              'Connection refused'))
        exc = self.assertRaises(exceptions.CommunicationError,
                                self.client.show, fakes.SERVER_ID)
        self.assertIn('Could not connect to PowerVC for server %s (tried 4 '
                      'times)' % fakes.SERVER_ID, str(exc))
        self.assertIn('Connection refused', str(exc))
        self.assertEqual(4, len(self.calls()))

    def test_read_timeout_says_so(self):
        self.requests.get(SERVER_URL, [OK_SERVER])
        self.requests.get(METADATA_URL,
                          exc=requests.exceptions.ReadTimeout(
                              'Read timed out. (read timeout=7)'))
        exc = self.assertRaises(exceptions.CommunicationError,
                                self.client.show, fakes.SERVER_ID)
        self.assertIn('did not answer GET', str(exc))
        self.assertIn('within 7 seconds (tried 4 times)', str(exc))
        self.assertIn('api_timeout', str(exc))
        self.assertEqual([7] * 4, [r.timeout for r in self.calls()])

    def test_retry_after_is_bounded(self):
        self.requests.get(SERVER_URL, [OK_SERVER])
        self.requests.get(METADATA_URL, [
            {'status_code': 503, 'headers': {'Retry-After': '3600'}},
            {'status_code': 503, 'headers': {'Retry-After': '-1'}},
            {'status_code': 503, 'headers': {
                'Retry-After': 'Wed, 21 Oct 2015 07:28:00 GMT'}},
            OK_METADATA])
        self.assertEqual('C6004031',
                         self.client.show(fakes.SERVER_ID).refcode)
        self.assertEqual(3, len(self.backoff.sleeps))
        self.assertEqual(http.MAX_RETRY_AFTER, self.backoff.sleeps[0])
        self.assertTrue(all(0 <= s <= http.MAX_RETRY_AFTER
                            for s in self.backoff.sleeps), self.backoff.sleeps)

    def test_retries_zero_sends_once(self):
        client = client_mod.RefcodeClient(token_session(), retries=0)
        self.requests.post(METADATA_URL, status_code=503)
        exc = self.assertRaises(exceptions.ServerError, client.set_required,
                                fakes.SERVER_ID, True)
        self.assertNotIn('retr', str(exc))
        self.assertEqual(1, len(self.calls('POST')))

    def test_retry_notices_are_info_not_warnings(self):
        log = self.useFixture(fixtures.FakeLogger(
            name='powervc_osc', level=logging.INFO, format='%(levelname)s'
            ' %(message)s'))
        self.requests.get(SERVER_URL, [OK_SERVER])
        self.requests.get(METADATA_URL, [{'status_code': 503}, OK_METADATA])
        self.client.show(fakes.SERVER_ID)
        self.assertIn('INFO Retriable status code 503', log.output)
        self.assertNotIn('WARNING', log.output)


class TestTimeouts(testtools.TestCase):

    def test_a_timeout_always_applies(self):
        client = client_mod.RefcodeClient(token_session())
        self.assertEqual(http.DEFAULT_HTTP_TIMEOUT, client.timeout)
        client = client_mod.RefcodeClient(token_session(timeout=5))
        self.assertIsNone(client.timeout)     # the session's 5 s applies
        client = client_mod.RefcodeClient(token_session(timeout=5),
                                          timeout=2)
        self.assertEqual(2, client.timeout)

    def test_each_request_carries_the_timeout(self):
        with requests_mock.Mocker() as mock:
            mock.get(SERVER_URL, **OK_SERVER)
            mock.get(METADATA_URL, **OK_METADATA)
            client_mod.RefcodeClient(token_session()).show(fakes.SERVER_ID)
            client_mod.RefcodeClient(
                token_session(timeout=5)).show(fakes.SERVER_ID)
            self.assertEqual([60.0, 60.0, 5.0, 5.0],
                             [r.timeout for r in mock.request_history])


class TestExpiredToken(fakes.TestCase):

    def test_401_reauthenticates_once(self):
        client = client_mod.RefcodeClient(self.powervc.session(), retries=0)
        self.requests.get(SERVER_URL, **OK_SERVER)
        self.requests.get(METADATA_URL, [{'status_code': 401},
                                         OK_METADATA])
        self.assertEqual('C6004031', client.show(fakes.SERVER_ID).refcode)
        logins = [r for r in self.requests.request_history
                  if r.path.endswith('/auth/tokens')]
        self.assertEqual(2, len(logins))

    def test_401_again_is_a_clear_error(self):
        client = client_mod.RefcodeClient(self.powervc.session(), retries=0)
        self.requests.post(METADATA_URL, status_code=401)
        exc = self.assertRaises(exceptions.Unauthorized,
                                client.set_required, fakes.SERVER_ID, True)
        self.assertIn('HTTP 401', str(exc))
        self.assertNotIn(fakes.PASSWORD, str(exc))
        self.assertNotIn(fakes.TOKEN_ID, str(exc))

    def test_login_refused(self):
        client = client_mod.RefcodeClient(self.powervc.session(), retries=0)
        self.requests.post(fakes.AUTH_URL + '/auth/tokens', status_code=401,
                           json={'error': {'code': 401, 'message': 'nope',
                                           'title': 'Unauthorized'}})
        exc = self.assertRaises(exceptions.Unauthorized, client.show,
                                fakes.SERVER_ID)
        self.assertIn('Authentication failed', str(exc))
        self.assertNotIn(fakes.PASSWORD, str(exc))


class TestRequestID(RetryTestCase):
    """PowerVC's request ID stays on the error, in its line and the log."""

    def test_http_error_keeps_the_request_id(self):
        self.requests.post(METADATA_URL, status_code=403, headers={
            http.REQUEST_ID_HEADER: REQUEST_ID}, json={'forbidden': {
                'code': 403, 'message': 'Policy does not allow'}})
        exc = self.assertRaises(exceptions.Forbidden,
                                self.client.set_required, fakes.SERVER_ID,
                                True)
        self.assertEqual(REQUEST_ID, exc.request_id)
        self.assertTrue(str(exc).endswith(' (request ID %s)' % REQUEST_ID),
                        str(exc))
        self.assertIn('Policy does not allow', str(exc))
        self.assertEqual(1, len(str(exc).splitlines()))

    def test_retried_error_keeps_the_last_request_id(self):
        self.requests.get(SERVER_URL, [OK_SERVER])
        self.requests.get(METADATA_URL, [
            {'status_code': 503, 'headers': {
                http.REQUEST_ID_HEADER: 'req-%d' % n}} for n in range(4)])
        exc = self.assertRaises(exceptions.ServerError, self.client.show,
                                fakes.SERVER_ID)
        self.assertEqual('req-3', exc.request_id)
        self.assertIn('after 3 retries (request ID req-3)', str(exc))

    def test_bad_body_keeps_the_request_id(self):
        self.requests.get(SERVER_URL, [OK_SERVER])
        self.requests.get(METADATA_URL, text='<html>login</html>',
                          headers={http.REQUEST_ID_HEADER: REQUEST_ID})
        exc = self.assertRaises(exceptions.BadResponse, self.client.show,
                                fakes.SERVER_ID)
        self.assertEqual(REQUEST_ID, exc.request_id)
        self.assertIn('not JSON (request ID %s)' % REQUEST_ID, str(exc))

    def test_no_request_id_no_suffix(self):
        self.requests.post(METADATA_URL, status_code=404)
        self.requests.get(fakes.COMPUTE_URL + '/servers',
                          json={'servers': []})
        exc = self.assertRaises(exceptions.ServerNotFound,
                                self.client.set_required, fakes.SERVER_ID,
                                True)
        self.assertNotIn('request ID', str(exc))
        self.requests.post(METADATA_URL, status_code=400)
        exc = self.assertRaises(exceptions.BadRequest,
                                self.client.set_required, fakes.SERVER_ID,
                                True)
        self.assertIsNone(exc.request_id)
        self.assertNotIn('request ID', str(exc))

    def test_request_id_is_logged_for_debug(self):
        log = self.useFixture(fixtures.FakeLogger(
            name='powervc_osc', level=logging.DEBUG))
        self.requests.post(METADATA_URL, status_code=400, headers={
            http.REQUEST_ID_HEADER: REQUEST_ID})
        self.assertRaises(exceptions.BadRequest, self.client.set_required,
                          fakes.SERVER_ID, True)
        self.assertIn('HTTP 400 (request ID %s)' % REQUEST_ID, log.output)
        self.assertIn('POST /servers/%s/metadata' % fakes.SERVER_ID,
                      log.output)


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
