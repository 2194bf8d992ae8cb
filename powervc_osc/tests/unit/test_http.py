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

import contextlib
import datetime
import io
import json
import logging
import socketserver
import threading
import time

import fixtures
from keystoneauth1 import fixture as ks_fixture
from keystoneauth1 import session as ks_session
from keystoneauth1 import token_endpoint
import requests
import requests_mock
import testtools
import urllib3
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
        self.assertIn('INFO HTTP 503 to GET /servers/', log.output)
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

    def test_login_of_a_cloud_is_bounded(self):
        # osc-lib logs in before a command runs; a client made from a
        # cloud logs in itself, and a silent Keystone must not hang it.
        with requests_mock.Mocker() as mock:
            mock.get(fakes.AUTH_URL, json=ks_fixture.V3Discovery(
                fakes.AUTH_URL))
            mock.post(fakes.AUTH_URL + '/auth/tokens', json=fakes.token(),
                      headers={'X-Subject-Token': fakes.TOKEN_ID},
                      status_code=201)
            mock.get(SERVER_URL, **OK_SERVER)
            mock.get(METADATA_URL, **OK_METADATA)
            for options, seconds in (({}, http.DEFAULT_HTTP_TIMEOUT),
                                     ({'api_timeout': 7}, 7)):
                client = client_mod.RefcodeClient.from_cloud(
                    load_yaml_config=False, load_envvars=False,
                    auth_type='password', region_name='RegionOne', auth={
                        'auth_url': fakes.AUTH_URL, 'username': 'admin',
                        'password': fakes.PASSWORD,
                        'project_id': fakes.PROJECT_ID,
                        'user_domain_id': 'default'}, **options)
                client.show(fakes.SERVER_ID)
                self.assertEqual(
                    [seconds] * 4, [r.timeout for r in mock.request_history],
                    options)
                mock.reset_mock()

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

    def test_no_login_after_the_operation_stopped(self):
        # Ctrl-C while a worker's request is answered 401: the worker
        # neither logs in again nor retries.
        compute = http.ComputeHTTP(self.powervc.session(), retries=0)
        stop = threading.Event()

        def refused(request, context):
            stop.set()
            context.status_code = 401
            return {}

        self.requests.get(METADATA_URL, json=refused)
        with http.thread_pool(1, stop) as pool:
            job = pool.submit(compute.request, 'GET',
                              '/servers/%s/metadata' % fakes.SERVER_ID)
            self.assertRaises(exceptions.Interrupted, job.result)
        logins = [r for r in self.requests.request_history
                  if r.path.endswith('/auth/tokens')]
        self.assertEqual(1, len(logins))
        self.assertEqual(1, len(self.powervc.compute_requests()))

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


class TestTokenLifetime(fakes.FleetMixin, fakes.TestCase):
    """A short-lived token costs one login per lifetime, not per request."""

    def issue(self, *lifetimes):
        """Answer logins with tokens issued now, living ``lifetimes``."""
        now = datetime.datetime.now(datetime.timezone.utc).replace(
            tzinfo=None)
        answers = []
        for issued_ago, lives in lifetimes:
            token = fakes.token()
            token.issued = now - datetime.timedelta(seconds=issued_ago)
            token.expires = token.issued + datetime.timedelta(seconds=lives)
            answers.append({'json': token, 'status_code': 201,
                            'headers': {'X-Subject-Token': fakes.TOKEN_ID}})
        self.requests.post(fakes.AUTH_URL + '/auth/tokens', answers)

    def logins(self):
        return len([r for r in self.requests.request_history
                    if r.path.endswith('/auth/tokens')])

    def test_a_40_second_token_serves_many_requests(self):
        self.issue((0, 40))
        self.mock_fleet(fakes.fleet(10), page_size=100)
        client = client_mod.RefcodeClient(self.powervc.session(), retries=0)
        for _ in range(3):
            self.assertEqual(10, len(list(client.list())))
        self.assertEqual(33, len(self.powervc.compute_requests()))
        self.assertEqual(1, self.logins())

    def test_a_token_near_its_end_is_replaced_once(self):
        # Issued 35 s ago for 40 s: within its last quarter, so the next
        # request logs in again, and the new token then serves the rest.
        self.issue((35, 40), (0, 40))
        self.mock_fleet(fakes.fleet(5), page_size=100)
        client = client_mod.RefcodeClient(self.powervc.session(), retries=0)
        list(client.list())
        list(client.list())
        self.assertEqual(2, self.logins())

    def test_a_long_token_keeps_keystoneauths_margin(self):
        self.issue((0, 3600))
        session = self.powervc.session()
        client_mod.RefcodeClient(session)._http.ensure_auth()
        self.assertEqual(120, session.auth.MIN_TOKEN_LIFE_SECONDS)

    def test_a_refused_login_does_not_outlive_the_operation(self):
        # The token is refused, the new login too; a later operation
        # logs in again and works once the account is fixed.
        self.mock_fleet(fakes.fleet(1))
        client = client_mod.RefcodeClient(self.powervc.session(), retries=0)
        list(client.list())
        self.requests.get(fakes.DETAIL_URL, status_code=401)
        self.requests.post(fakes.AUTH_URL + '/auth/tokens', status_code=401,
                           json={'error': {'code': 401, 'message': 'no'}})
        self.assertRaises(exceptions.LoginFailed, list, client.list())
        self.issue((0, 3600))
        self.mock_fleet(fakes.fleet(1))
        self.assertEqual(1, len(list(client.list())))


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

    def test_deadline_transport_keeps_tls_settings_and_pool_size(self):
        session = token_session(tls_ciphers='HIGH', tls_min_version='1.2')
        client_mod.RefcodeClient(session, max_workers=4)
        for prefix in ('https://', 'http://'):
            adapter = session.session.adapters[prefix]
            self.assertIsInstance(adapter, http._DeadlineAdapter)
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


class _Transport(requests.adapters.BaseAdapter):
    """A transport answering from a function, requests running at once.

    requests-mock serialises every send; concurrent 401s need requests
    that really overlap.  ``answer(request)`` returns (status, JSON body,
    headers).
    """

    def __init__(self, answer):
        super().__init__()
        self.answer = answer
        self.sent = []
        self.lock = threading.Lock()

    def send(self, request, **kwargs):
        with self.lock:
            self.sent.append(request)
        status, body, headers = self.answer(request)
        response = requests.Response()
        response.status_code = status
        response.headers.update(headers)
        response.headers['Content-Type'] = 'application/json'
        response.raw = io.BytesIO(json.dumps(body).encode())
        response.url = request.url
        response.request = request
        return response

    def close(self):
        pass


class _RevokingCloud:
    """Keystone and compute; compute stops taking the first token.

    Every login issues a new token.  Metadata requests made with the first
    token are held until ``parties`` of them are in flight, then all
    refused with 401 at once: the concurrent 401s of a token revoked while
    a bulk operation runs.  ``refuse_logins_after`` makes Keystone refuse
    the credentials from that login on.
    """

    def __init__(self, servers, parties, refuse_logins_after=None,
                 always_401=False):
        self.servers = servers
        self.logins = 0
        self.refuse_logins_after = refuse_logins_after
        self.always_401 = always_401
        self.barrier = threading.Barrier(parties, timeout=5)

    def __call__(self, request):
        if request.url == fakes.AUTH_URL:
            return 200, ks_fixture.V3Discovery(fakes.AUTH_URL), {}
        if request.url.endswith('/auth/tokens'):
            return self.login()
        token = request.headers.get('X-Auth-Token')
        path = request.url.split('/servers', 1)[1]
        if path.endswith('/metadata'):
            if token == 'tok-1':
                with contextlib.suppress(threading.BrokenBarrierError):
                    self.barrier.wait()
                return 401, {'error': {'code': 401}}, {}
            if self.always_401:
                return 401, {'error': {'code': 401}}, {}
            return 200, {'metadata': {model.REQUIRED_KEY: 'true',
                                      model.REFCODE_KEY: 'C9002960'}}, {}
        if path.startswith('/detail'):
            return 200, {'servers': self.servers}, {}
        server_id = path.strip('/')
        return 200, {'server': [s for s in self.servers
                                if s['id'] == server_id][0]}, {}

    def login(self):
        self.logins += 1
        time.sleep(0.05)     # a login takes a while: others get 401 meanwhile
        if (self.refuse_logins_after is not None
                and self.logins > self.refuse_logins_after):
            return 401, {'error': {'code': 401, 'title': 'Unauthorized',
                                   'message': 'The request you have made '
                                              'requires authentication.'}}, {}
        return 201, fakes.token(), {'X-Subject-Token': 'tok-%d'
                                    % self.logins}


class TestConcurrentUnauthorized(testtools.TestCase):
    """A token refused mid-operation: one shared login, each 401 retried."""

    workers = 8

    def client(self, **kwargs):
        self.cloud = _RevokingCloud(fakes.fleet(self.workers), self.workers,
                                    **kwargs)
        self.transport = _Transport(self.cloud)
        session = fakes.password_session()
        for prefix in ('https://', 'http://'):
            session.session.mount(prefix, self.transport)
        return client_mod.RefcodeClient(session, max_workers=self.workers,
                                        retries=0)

    def ids(self):
        return [s['id'] for s in self.cloud.servers]

    def test_list_loses_no_row(self):
        rows = list(self.client().list())
        self.assertEqual(self.ids(), [r.server_id for r in rows])
        self.assertEqual(['C9002960'] * self.workers,
                         [r.refcode for r in rows])
        self.assertEqual(2, self.cloud.logins)

    def test_set_changes_every_server(self):
        client = self.client()
        failures = []
        self.assertEqual(set(), client.set_required_many(
            self.ids(), True, on_error=failures.append), failures)
        self.assertEqual(2, self.cloud.logins)
        posts = [r for r in self.transport.sent if r.method == 'POST'
                 and r.url.endswith('/metadata')]
        self.assertEqual(2 * self.workers, len(posts))

    def test_wait_ends_for_every_server(self):
        client = self.client()
        failures = []
        self.assertEqual(set(), client.wait_many(
            self.ids(), timeout=30, on_error=failures.append), failures)
        self.assertEqual(2, self.cloud.logins)

    def test_refused_login_fails_once_for_all(self):
        client = self.client(refuse_logins_after=1)
        exc = self.assertRaises(exceptions.LoginFailed,
                                client.set_required_many, self.ids(), True)
        self.assertIn('Authentication failed', str(exc))
        self.assertNotIn(fakes.PASSWORD, str(exc))
        self.assertEqual(2, self.cloud.logins)

    def test_each_401_is_retried_once(self):
        client = self.client(always_401=True)
        failures = []
        failed = client.set_required_many(self.ids(), True,
                                          on_error=failures.append)
        self.assertEqual(set(self.ids()), failed)
        self.assertTrue(all(isinstance(f.error, exceptions.Unauthorized)
                            for f in failures))
        self.assertTrue(all('HTTP 401' in str(f.error) for f in failures))
        posts = [r for r in self.transport.sent if r.method == 'POST'
                 and r.url.endswith('/metadata')]
        self.assertEqual(2 * self.workers, len(posts))


class TestRedirects(RetryTestCase):
    """The token never goes to another origin; same-origin is followed."""

    def test_redirect_to_another_origin_is_not_followed(self):
        for elsewhere in ('https://attacker.example/v2.1/metadata',
                          'http://powervc.example.com/powervc/openstack/'
                          'compute/v2.1/x',
                          'https://powervc.example.com:8443/x',
                          'https://powervc.example.com:http/x'):
            self.requests.post(METADATA_URL, status_code=302,
                               headers={'Location': elsewhere})
            self.requests.post(elsewhere, json={'metadata': {
                model.REQUIRED_KEY: 'true'}})
            exc = self.assertRaises(exceptions.BadResponse,
                                    self.client.set_required,
                                    fakes.SERVER_ID, True)
            self.assertIn('redirected POST /servers/%s/metadata for server '
                          '%s to another site' % (fakes.SERVER_ID,
                                                  fakes.SERVER_ID), str(exc))
            self.assertFalse([r for r in self.requests.request_history
                              if not r.url.startswith(fakes.COMPUTE_URL)])

    def test_same_origin_redirect_is_followed(self):
        self.requests.get(SERVER_URL, [OK_SERVER])
        self.requests.get(METADATA_URL, status_code=301,
                          headers={'Location': '../moved/metadata'})
        self.requests.get(fakes.COMPUTE_URL + '/servers/moved/metadata',
                          **OK_METADATA)
        self.assertEqual('C6004031',
                         self.client.show(fakes.SERVER_ID).refcode)
        # show() reads the server and its metadata concurrently: find the
        # redirected request by its URL, not by its place in the history.
        moved = [r for r in self.requests.request_history
                 if r.url == fakes.COMPUTE_URL + '/servers/moved/metadata']
        self.assertEqual(1, len(moved))
        self.assertEqual(fakes.TOKEN_ID, moved[0].headers['X-Auth-Token'])

    def test_redirect_loop_ends(self):
        self.requests.post(METADATA_URL, status_code=307,
                           headers={'Location': METADATA_URL})
        exc = self.assertRaises(exceptions.BadResponse,
                                self.client.set_required, fakes.SERVER_ID,
                                True)
        self.assertIn('more than %d times' % http.MAX_REDIRECTS, str(exc))
        self.assertEqual(http.MAX_REDIRECTS + 1, len(self.calls('POST')))


class TestFailuresNameTheServer(RetryTestCase):
    """Failures without an answer name the server and what happened."""

    def test_reset_during_set_names_the_server(self):
        other = fakes.uuid(1)
        reset = requests.exceptions.ConnectionError(
            urllib3.exceptions.ProtocolError(
                'Connection aborted.',
                ConnectionResetError(104, 'Connection reset by peer')))
        self.requests.post(METADATA_URL, exc=reset)
        self.requests.post(fakes.COMPUTE_URL + '/servers/%s/metadata'
                           % other, json={'metadata': {}})
        failures = []
        self.client.set_required_many([fakes.SERVER_ID, other], True,
                                      on_error=failures.append)
        message = str(failures[0].error)
        self.assertIn('for server %s (tried 4 times)' % fakes.SERVER_ID,
                      message)
        self.assertIn('broke during POST', message)
        self.assertIn('Connection reset by peer', message)
        self.assertNotIn('Could not connect', message)

    def test_read_timeout_names_the_server_and_is_no_connect_failure(self):
        self.requests.get(fakes.DETAIL_URL, json={'servers': [
            fakes.server_body(metadata={model.REQUIRED_KEY: 'true'})]})
        self.requests.get(METADATA_URL, exc=requests.exceptions.ReadTimeout(
            'Read timed out. (read timeout=7)'))
        failures = []
        list(self.client.list(on_error=failures.append))
        message = str(failures[0].error)
        self.assertIn('did not answer GET', message)
        self.assertIn('for server %s within 7 seconds' % fakes.SERVER_ID,
                      message)
        self.assertNotIn('connect', message.lower().split(';')[0])

    def test_connection_refused_is_a_connect_failure(self):
        refused = requests.exceptions.ConnectionError(
            urllib3.exceptions.NewConnectionError(
                None, 'Failed to establish a new connection: [Errno 111] '
                'Connection refused'))
        self.requests.post(METADATA_URL, exc=refused)
        exc = self.assertRaises(exceptions.CommunicationError,
                                self.client.set_required, fakes.SERVER_ID,
                                True)
        self.assertIn('Could not connect to PowerVC for server %s (tried 4 '
                      'times)' % fakes.SERVER_ID, str(exc))


class TestAnswerSize(RetryTestCase):
    """What is read from one answer is capped, and the error says whose."""

    def test_declared_huge_answer_is_not_read(self):
        body = Unreadable()
        self.requests.get(SERVER_URL, [OK_SERVER])
        self.requests.get(METADATA_URL, body=body, headers={
            'Content-Length': str(http.MAX_ANSWER_BYTES + 1)})
        exc = self.assertRaises(exceptions.BadResponse, self.client.show,
                                fakes.SERVER_ID)
        self.assertIn('GET /servers/%s/metadata' % fakes.SERVER_ID, str(exc))
        self.assertIn('for server %s is larger than 16 MiB' % fakes.SERVER_ID,
                      str(exc))
        self.assertEqual(0, body.read_bytes)

    def test_endless_answer_is_cut(self):
        body = Endless()
        self.requests.get(SERVER_URL, [OK_SERVER])
        self.requests.get(METADATA_URL, body=body)
        exc = self.assertRaises(exceptions.BadResponse, self.client.show,
                                fakes.SERVER_ID)
        self.assertIn('for server %s is larger than 16 MiB' % fakes.SERVER_ID,
                      str(exc))
        self.assertLess(body.read_bytes, http.MAX_ANSWER_BYTES + 2 ** 20)

    def test_answer_at_the_limit_is_read(self):
        padding = ' ' * (http.MAX_ANSWER_BYTES - 100)
        self.requests.get(SERVER_URL, [OK_SERVER])
        self.requests.get(METADATA_URL,
                          text='{"metadata": {"a": "b"}}' + padding)
        self.assertIsNone(self.client.show(fakes.SERVER_ID).refcode)


class Unreadable(io.RawIOBase):
    """A body that counts what was read of it."""

    read_bytes = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        self.read_bytes += len(buffer)
        buffer[:] = b' ' * len(buffer)
        return len(buffer)


class Endless(Unreadable):
    """A body that never ends (a broken or hostile peer)."""


class _HeadersServer(socketserver.ThreadingTCPServer):
    """HTTP on 127.0.0.1 answering requests in turn as ``plan`` says.

    ``'ok'``: a metadata answer, the connection kept open; ``'trickle'``:
    a status line, then a header one byte every 0.1 s (for 20 s at most,
    so that a client without a deadline fails rather than hangs).
    """

    daemon_threads = True

    def __init__(self, *plan):
        self.plan = list(plan)
        self.connections = 0
        self.stopped = threading.Event()
        super().__init__(('127.0.0.1', 0), _HeadersHandler)


class _HeadersHandler(socketserver.StreamRequestHandler):

    server: _HeadersServer

    def handle(self):
        self.server.connections += 1
        try:
            while self._read_request():
                if self.server.plan.pop(0) == 'ok':
                    body = json.dumps({'metadata': fakes.METADATA}).encode()
                    self.wfile.write(
                        b'HTTP/1.1 200 OK\r\nContent-Type: application/json'
                        b'\r\nContent-Length: %d\r\n\r\n%s'
                        % (len(body), body))
                    continue
                self.wfile.write(b'HTTP/1.1 200 OK\r\nX-Padding: ')
                for _ in range(200):
                    if self.server.stopped.wait(0.1):
                        return
                    self.wfile.write(b'.')
                return
        except OSError:
            pass       # the client shut the socket down

    def _read_request(self):
        if not self.rfile.readline():
            return False
        length = 0
        for line in iter(self.rfile.readline, b'\r\n'):
            if not line:
                return False
            name, _, value = line.partition(b':')
            if name.strip().lower() == b'content-length':
                length = int(value)
        self.rfile.read(length)
        return True


class TestTricklingHeaders(testtools.TestCase):
    """Over real sockets, the deadline covers the status line and headers."""

    def serve(self, *plan):
        server = _HeadersServer(*plan)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        self.addCleanup(thread.join, 10)
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        self.addCleanup(server.stopped.set)
        url = 'http://127.0.0.1:%d/v2.1' % server.server_address[1]
        session = ks_session.Session(auth=token_endpoint.Token(
            url, fakes.TOKEN_ID))
        return server, http.ComputeHTTP(session, retries=0, timeout=0.5)

    def assert_cut(self, compute):
        exc = self.assertRaises(exceptions.CommunicationError,
                                compute.request, 'GET', '/servers/x/metadata',
                                server='vm-1')
        self.assertEqual(
            'PowerVC did not answer GET /servers/x/metadata for server vm-1 '
            'within 0.5 seconds; api_timeout or OS_API_TIMEOUT sets the '
            'limit', str(exc))

    def test_headers_that_never_end_are_cut(self):
        server, compute = self.serve('trickle')
        self.assert_cut(compute)

    def test_a_connection_from_the_pool_is_watched_too(self):
        server, compute = self.serve('ok', 'trickle')
        self.assertEqual({'metadata': fakes.METADATA},
                         compute.request('GET', '/servers/x/metadata'))
        self.assert_cut(compute)
        self.assertEqual(1, server.connections)


class TestWatchdog(testtools.TestCase):
    """The deadline watchdog shuts late sockets, and only those."""

    def pair(self):
        import socket

        left, right = socket.socketpair()
        self.addCleanup(left.close)
        self.addCleanup(right.close)
        return left, right

    def test_late_socket_is_shut(self):
        watchdog = http._Watchdog()
        sock, peer = self.pair()
        watchdog.watch(http._now() - 1, sock)
        sock.settimeout(10)
        self.assertEqual(b'', sock.recv(1))   # ended by the shutdown

    def test_socket_done_in_time_is_left_alone(self):
        watchdog = http._Watchdog()
        sock, peer = self.pair()
        watchdog.done(watchdog.watch(http._now() + 0.05, sock))
        late, late_peer = self.pair()
        watchdog.watch(http._now() + 0.1, late)
        late.settimeout(10)
        self.assertEqual(b'', late.recv(1))   # the watchdog has run past
        peer.sendall(b'x')
        self.assertEqual(b'x', sock.recv(1))
