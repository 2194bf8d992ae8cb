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

"""Faults at the HTTP boundary: retries, timeouts, odd answers, TLS.

The client runs over a real keystoneauth Session; requests-mock (or, for
TLS, a real HTTPS socket) answers.  Property tests feed generated answers
through the client: each must give a Refcode or a RefcodeError, nothing
else.
"""

import json
import logging
import threading

import fixtures
from hypothesis import given
from hypothesis import HealthCheck
from hypothesis import settings
from hypothesis import strategies as st
from keystoneauth1 import session as ks_session
from keystoneauth1 import token_endpoint
import requests
import requests_mock
import testtools
from werkzeug import serving
from werkzeug import wrappers

from powervc_osc import client as client_mod
from powervc_osc import exceptions
from powervc_osc import model
from powervc_osc.tests.unit import fakes

SERVER_URL = fakes.COMPUTE_URL + '/servers/' + fakes.SERVER_ID
METADATA_URL = SERVER_URL + '/metadata'
DETAIL_URL = fakes.COMPUTE_URL + '/servers/detail'
OK_SERVER = {'json': {'server': fakes.server_body()}}
OK_METADATA = {'json': {'metadata': fakes.METADATA}}


def token_session(**kwargs):
    """A session with a fixed token: no identity requests at all."""
    return ks_session.Session(auth=token_endpoint.Token(
        fakes.COMPUTE_URL, fakes.TOKEN_ID), **kwargs)


class FakeSleep:
    """Records keystoneauth's back-off; refuses what time.sleep refuses."""

    def __init__(self):
        self.calls = []

    def __call__(self, seconds):
        if seconds < 0:
            raise ValueError('sleep length must be non-negative')
        self.calls.append(seconds)


class RetryTestCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.requests = self.useFixture(
            requests_mock.contrib.fixture.Fixture())
        self.sleep = FakeSleep()
        self.useFixture(fixtures.MonkeyPatch(
            'keystoneauth1.session.time.sleep', self.sleep))
        self.client = client_mod.RefcodeClient(token_session(), timeout=7)

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
        self.assertEqual([0.5, 1.0, 2.0], self.sleep.calls)

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
        self.assertLessEqual(sum(self.sleep.calls), 3.5)

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
        for status in (500, 400, 403, 404, 409, 429):
            before = len(self.calls('POST'))
            self.requests.post(METADATA_URL, status_code=status)
            self.assertRaises(exceptions.RefcodeError,
                              self.client.set_required, fakes.SERVER_ID,
                              False)
            self.assertEqual(before + 1, len(self.calls('POST')), status)
        self.assertEqual([], self.sleep.calls)

    def test_connection_reset_then_recovery(self):
        self.requests.get(SERVER_URL, [OK_SERVER])
        self.requests.get(METADATA_URL, [
            {'exc': requests.exceptions.ConnectionError(
                'Connection aborted.')}, OK_METADATA])
        self.assertEqual('C6004031',
                         self.client.show(fakes.SERVER_ID).refcode)
        self.assertEqual([0.5], self.sleep.calls)

    def test_connection_errors_exhausted(self):
        self.requests.get(SERVER_URL, [OK_SERVER])
        self.requests.get(METADATA_URL,
                          exc=requests.exceptions.ConnectionError(
                              'Connection refused'))
        exc = self.assertRaises(exceptions.CommunicationError,
                                self.client.show, fakes.SERVER_ID)
        self.assertIn('Could not connect to PowerVC (tried 4 times)',
                      str(exc))
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
        self.assertEqual(3, len(self.sleep.calls))
        self.assertEqual(client_mod.MAX_RETRY_AFTER, self.sleep.calls[0])
        self.assertTrue(all(0 <= s <= client_mod.MAX_RETRY_AFTER
                            for s in self.sleep.calls), self.sleep.calls)

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
        self.assertEqual(client_mod.DEFAULT_HTTP_TIMEOUT, client.timeout)
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


class TestOddAnswers(RetryTestCase):

    def show(self, metadata=None, server=None):
        self.requests.get(SERVER_URL, **(server or OK_SERVER))
        self.requests.get(METADATA_URL, **(metadata or OK_METADATA))
        return self.client.show(fakes.SERVER_ID)

    def test_not_json(self):
        for body in (b'', b'OK', b'<html>login</html>', b'{"metadata":',
                     b'\xff\xfe\x00garbage'):
            exc = self.assertRaises(exceptions.BadResponse, self.show,
                                    {'content': body})
            self.assertIn('not JSON', str(exc))

    def test_nesting_too_deep_for_python(self):
        exc = self.assertRaises(exceptions.BadResponse, self.show,
                                {'text': '[' * 100000 + ']' * 100000})
        self.assertIn('not JSON', str(exc))
        exc = self.assertRaises(exceptions.ServerError, self.show,
                                {'status_code': 500,
                                 'text': '{"a":' * 100000})
        self.assertIn('HTTP 500', str(exc))

    def test_wrong_shapes(self):
        for body in ([], 'x', 5, None, {'metadata': None},
                     {'metadata': 'x'}, {'meta': {}}):
            self.assertRaises(exceptions.BadResponse, self.show,
                              {'json': body})

    def test_wrong_types_shown_best_effort(self):
        rc = self.show({'json': {'metadata': {
            model.REFCODE_KEY: ['C600', 1],
            model.LED_CODE_KEY: 12,
            model.QUERY_TS_KEY: '99999999999999999999',
            model.REQUIRED_KEY: None}}},
            {'json': {'server': {'name': {'x': 1}, 'status': 7}}})
        self.assertEqual("['C600', 1]", rc.refcode)
        self.assertEqual('12', rc.led_code)
        self.assertIsNone(rc.queried_at)
        self.assertEqual('99999999999999999999', rc.queried_at_text)
        self.assertIs(False, rc.required)
        # No ID in the answer: the ID that was asked for is kept.
        self.assertEqual(fakes.SERVER_ID, rc.server_id)
        self.assertEqual("{'x': 1}", rc.server_name)

    def test_non_utf8_and_control_characters(self):
        body = (b'{"metadata": {"powervc:vm_refcode": "C6\xff\xfe",'
                b' "powervc:vm_led_code": "\\u001b[2J\\udcff__"}}')
        rc = self.show({'content': body,
                        'headers': {'Content-Type': 'application/json'}})
        for text in (rc.refcode, rc.led_code):
            self.assertTrue(text.isprintable(), repr(text))
        self.assertTrue(rc.refcode.startswith('C6'))
        self.assertNotIn('\x1b', rc.led_code)

    def test_huge_values_are_cut(self):
        rc = self.show({'json': {'metadata': {
            model.REFCODE_KEY: 'C' * 2000000,
            model.LED_CODE_KEY: [[[['x' * 1000] * 100] * 10]]}}})
        self.assertEqual(model.MAX_TEXT + 1, len(rc.refcode))
        self.assertEqual(model.MAX_TEXT + 1, len(rc.led_code))
        # More digits than Python turns into text: not JSON to Python...
        exc = self.assertRaises(exceptions.BadResponse, self.show, {
            'text': '{"metadata": {"powervc:vm_refcode": %s}}' % ('9' * 5000)})
        self.assertIn('not JSON', str(exc))
        # ... and shown as its type through the Python API.
        self.assertEqual('<int>', model.decode_text(10 ** 5000))

    def test_listing_garbage_links(self):
        self.requests.get(DETAIL_URL, [{'json': {
            'servers': [fakes.server_body(metadata={})],
            'servers_links': links}} for links in (
                7, 'garbage', [1, None, {'rel': 'next'}],
                [{'rel': 'next', 'href': 5}],
                {'rel': 'next', 'href': '?marker=x'})])
        for _ in range(5):
            self.assertEqual([fakes.SERVER_ID],
                             [rc.server_id for rc in self.client.list()])

    def test_listing_that_loops_is_an_error(self):
        self.requests.get(DETAIL_URL, json={
            'servers': [fakes.server_body(metadata={})],
            'servers_links': [{'rel': 'next',
                               'href': DETAIL_URL + '?marker=same'}]})
        exc = self.assertRaises(exceptions.BadResponse, list,
                                self.client.list())
        self.assertIn('marker same', str(exc))
        self.assertEqual(2, len(self.requests.request_history))

    def test_listing_odd_entries_fail_alone(self):
        good = fakes.server_body(metadata={})
        self.requests.get(DETAIL_URL, json={'servers': [
            1, None, 'x', ['y'], {'id': 5}, {'name': 'no-id'},
            {'id': 'bad\x1bid'}, {'id': 'a' * 300}, good]})
        failures = []
        rows = list(self.client.list(on_error=failures.append))
        self.assertEqual([fakes.SERVER_ID], [rc.server_id for rc in rows])
        self.assertEqual(8, len(failures))
        for failure in failures:
            self.assertIsInstance(failure.error, exceptions.BadResponse)
            self.assertNotIn('\x1b', str(failure.error))

    def test_listed_ids_are_quoted_in_urls(self):
        self.requests.get(DETAIL_URL, json={'servers': [
            {'id': '../../x?y#z', 'name': 'odd',
             'metadata': {model.REQUIRED_KEY: 'true'}}]})
        quoted = fakes.COMPUTE_URL + '/servers/..%2F..%2Fx%3Fy%23z/metadata'
        self.requests.get(quoted, **OK_METADATA)
        rows = list(self.client.list())
        self.assertEqual('C6004031', rows[0].refcode)
        self.assertEqual(quoted, self.requests.last_request.url)


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
            self.assertIs(expected, client._adapter.session.verify, options)

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
        self.assertEqual(32, adapter._pool_maxsize)
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


# -- property tests: any answer gives a Refcode or a RefcodeError ----------

_scalars = (st.none() | st.booleans() | st.integers() |
            st.floats(allow_nan=False) | st.text(max_size=40))
_json = st.recursive(
    _scalars,
    lambda inner: (st.lists(inner, max_size=4) |
                   st.dictionaries(st.text(max_size=10), inner, max_size=4)),
    max_leaves=12)
_meta_keys = st.sampled_from([model.REFCODE_KEY, model.LED_CODE_KEY,
                              model.QUERY_TS_KEY, model.REQUIRED_KEY,
                              'original_host', 'orginal_host', 'owner'])
_metadata = st.dictionaries(
    _meta_keys, _json | st.from_regex(r'\A\d{14,20}\Z'), max_size=5)
_server = st.fixed_dictionaries({}, optional={
    'id': st.sampled_from([fakes.SERVER_ID, '', 'x/y']) | _json,
    'name': st.sampled_from([fakes.SERVER_NAME]) | _json,
    'status': _json, 'OS-EXT-SRV-ATTR:host': _json,
    'metadata': _metadata | _json})
_links = _json | st.lists(st.fixed_dictionaries(
    {'rel': st.sampled_from(['next', 'self']) | _json,
     'href': st.sampled_from([DETAIL_URL + '?marker=m1',
                              DETAIL_URL + '?marker=m2']) | _json}),
    max_size=2)
# An answer: a status, then a body that is JSON shaped like Nova's, any
# JSON at all, or any bytes.
_status = st.sampled_from([200, 200, 200, 200, 400, 401, 403, 404, 409,
                           500, 502, 503])


def _answer(shaped):
    body = (shaped.map(lambda b: json.dumps(b).encode()) |
            _json.map(lambda b: json.dumps(b).encode()) |
            st.binary(max_size=64))
    return st.tuples(_status, body)


_metadata_answer = _answer(st.fixed_dictionaries(
    {'metadata': _metadata | _json}))
_server_answer = _answer(st.fixed_dictionaries({'server': _server | _json}))
_listing_answer = _answer(st.fixed_dictionaries(
    {'servers': st.lists(_server | _json, max_size=4)},
    optional={'servers_links': _links}))

PROPERTY = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


class _Canned(requests.adapters.BaseAdapter):
    """A transport answering from canned (status, body) lists, in order.

    Lighter than requests-mock for many examples.  ``routes`` maps
    ``(method, URL without query)`` or ``method`` alone (the fallback) to
    a list of answers; the last answer repeats.
    """

    def __init__(self, routes):
        super().__init__()
        self.routes = {key: list(answers) for key, answers in routes.items()}

    def send(self, request, **kwargs):
        url = request.url.split('?', 1)[0]
        answers = (self.routes.get((request.method, url))
                   or self.routes[request.method])
        status, body = answers.pop(0) if len(answers) > 1 else answers[0]
        response = requests.Response()
        response.status_code = status
        response._content = body
        response.url = request.url
        response.request = request
        response.reason = 'Reason'
        return response

    def close(self):
        pass


class TestAnswersProperties(testtools.TestCase):
    """Generated answers through the client: a Refcode or a RefcodeError."""

    def run_client(self, routes, action):
        session = token_session()
        session.session.mount('https://', _Canned(routes))
        client = client_mod.RefcodeClient(session, retries=0, max_workers=2)
        try:
            return action(client)
        except exceptions.RefcodeError as exc:
            self.assertIsInstance(str(exc), str)
            return None

    def check(self, rc):
        self.assertIsInstance(rc, model.Refcode)
        self.assertIsInstance(rc.server_id, str)
        self.assertIsInstance(rc.required, bool)
        for text in (rc.server_name, rc.refcode, rc.led_code,
                     rc.queried_at_text, rc.host, rc.status):
            self.assertTrue(text is None or text.isprintable(), repr(text))

    @PROPERTY
    @given(_server_answer, _metadata_answer)
    def test_show_by_id(self, server, metadata):
        rc = self.run_client(
            {('GET', SERVER_URL): [server], ('GET', METADATA_URL): [metadata]},
            lambda c: c.show(fakes.SERVER_ID))
        if rc is not None:
            self.check(rc)
            self.assertEqual(fakes.SERVER_ID, rc.server_id)

    @PROPERTY
    @given(_listing_answer, _metadata_answer)
    def test_show_by_name(self, listing, metadata):
        rc = self.run_client(
            {('GET', fakes.COMPUTE_URL + '/servers'): [listing],
             'GET': [metadata]},
            lambda c: c.show(fakes.SERVER_NAME))
        if rc is not None:
            self.check(rc)

    @PROPERTY
    @given(_metadata_answer)
    def test_set(self, answer):
        rc = self.run_client({'POST': [answer]},
                             lambda c: c.set_required(fakes.SERVER_ID, True))
        if rc is not None:
            self.check(rc)

    @PROPERTY
    @given(st.lists(_listing_answer, min_size=1, max_size=3),
           _metadata_answer)
    def test_list(self, pages, metadata):
        failures = []
        rows = self.run_client(
            {('GET', DETAIL_URL): pages, 'GET': [metadata]},
            lambda c: list(c.list(on_error=failures.append)))
        for rc in rows or ():
            self.check(rc)
        for failure in failures:
            self.assertIsInstance(failure.error, exceptions.RefcodeError)
