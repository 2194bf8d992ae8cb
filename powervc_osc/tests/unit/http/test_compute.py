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

"""The retry, re-login and redirect loop, and the timeout each request gets.

The client runs over a real keystoneauth Session; requests-mock (or a
transport answering from a function) answers.
"""

import contextlib
import io
import json
import logging
import threading
import time

import fixtures
from keystoneauth1 import fixture as ks_fixture
import requests
import requests_mock
import testtools

from powervc_osc import client as client_mod
from powervc_osc import exceptions
from powervc_osc.http import compute
from powervc_osc.http import concurrency
from powervc_osc import model
from powervc_osc.tests.unit import fakes
from powervc_osc.tests.unit.http import base

SERVER_URL = base.SERVER_URL
METADATA_URL = base.METADATA_URL
OK_SERVER = base.OK_SERVER
OK_METADATA = base.OK_METADATA
REQUEST_ID = base.REQUEST_ID
token_session = base.token_session
RetryTestCase = base.RetryTestCase


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
        self.assertEqual(compute.MAX_RETRY_AFTER, self.backoff.sleeps[0])
        self.assertTrue(all(0 <= s <= compute.MAX_RETRY_AFTER
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
        self.assertEqual(compute.DEFAULT_HTTP_TIMEOUT, client.timeout)
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
            for options, seconds in (({}, compute.DEFAULT_HTTP_TIMEOUT),
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
        http = compute.ComputeHTTP(self.powervc.session(), retries=0)
        stop = threading.Event()

        def refused(request, context):
            stop.set()
            context.status_code = 401
            return {}

        self.requests.get(METADATA_URL, json=refused)
        with concurrency.thread_pool(1, stop) as pool:
            job = pool.submit(http.request, 'GET',
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


class TestRequestID(RetryTestCase):
    """PowerVC's request ID stays on the error, in its line and the log."""

    def test_http_error_keeps_the_request_id(self):
        self.requests.post(METADATA_URL, status_code=403, headers={
            compute.REQUEST_ID_HEADER: REQUEST_ID}, json={'forbidden': {
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
                compute.REQUEST_ID_HEADER: 'req-%d' % n}} for n in range(4)])
        exc = self.assertRaises(exceptions.ServerError, self.client.show,
                                fakes.SERVER_ID)
        self.assertEqual('req-3', exc.request_id)
        self.assertIn('after 3 retries (request ID req-3)', str(exc))

    def test_bad_body_keeps_the_request_id(self):
        self.requests.get(SERVER_URL, [OK_SERVER])
        self.requests.get(METADATA_URL, text='<html>login</html>',
                          headers={compute.REQUEST_ID_HEADER: REQUEST_ID})
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
            compute.REQUEST_ID_HEADER: REQUEST_ID})
        self.assertRaises(exceptions.BadRequest, self.client.set_required,
                          fakes.SERVER_ID, True)
        self.assertIn('HTTP 400 (request ID %s)' % REQUEST_ID, log.output)
        self.assertIn('POST /servers/%s/metadata' % fakes.SERVER_ID,
                      log.output)


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

    def setUp(self):
        super().setUp()
        self.useFixture(fakes.NoLeftoverWorkers())

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
        self.assertIn('more than %d times' % compute.MAX_REDIRECTS, str(exc))
        self.assertEqual(compute.MAX_REDIRECTS + 1, len(self.calls('POST')))
