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

"""The lean path of metadata GETs, against a real server on loopback.

Every failure is also sent through keystoneauth (the lean path turned
off): the user must read the same message either way.
"""

from __future__ import annotations

import datetime
import http.server
import json
import logging
import socket
import struct
import threading
from unittest import mock

import fixtures
from keystoneauth1 import access
from keystoneauth1 import fixture as ks_fixture
from keystoneauth1.identity import base as identity_base
from keystoneauth1 import plugin
from keystoneauth1 import session as ks_session
import testtools

from powervc_osc import exceptions
from powervc_osc.http import compute
from powervc_osc.http import lean as lean_mod

TOKENS = ('gAAAA-first-token-value', 'gAAAA-second-token-value')
METADATA = '/servers/%s/metadata'


class Logins(plugin.BaseAuthPlugin):
    """A token per login; each invalidation makes the next login new."""

    def __init__(self, endpoint: str) -> None:
        super().__init__()
        self.endpoint = endpoint
        self.logins = 0
        self._token: str | None = None

    def get_token(self, session, **kwargs):
        if self._token is None:
            self._token = TOKENS[min(self.logins, len(TOKENS) - 1)]
            self.logins += 1
        return self._token

    def invalidate(self):
        self._token = None
        return True

    def get_endpoint(self, session, **kwargs):
        return self.endpoint


class Tokens(identity_base.BaseIdentityPlugin):
    """Keystone-like logins: tokens that live an hour, with an expiry."""

    def __init__(self, endpoint: str) -> None:
        super().__init__(auth_url=endpoint)
        self.endpoint = endpoint
        self.logins = 0

    def get_auth_ref(self, session, **kwargs):
        issued = datetime.datetime.now(datetime.timezone.utc)
        body = ks_fixture.V3Token(
            issued=issued, expires=issued + datetime.timedelta(hours=1))
        token = TOKENS[min(self.logins, len(TOKENS) - 1)]
        self.logins += 1
        return access.create(body=body, auth_token=token)

    def get_endpoint(self, session, **kwargs):
        return self.endpoint


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def do_GET(self):
        server = self.server
        server.seen.append((self.path, self.headers.get('X-Auth-Token'),
                            self.client_address))
        answer = server.answer(self)
        if answer is None:              # reset the connection
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack('ii', 1, 0))
            self.close_connection = True
            return
        status, headers, body = answer
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if 'Transfer-Encoding' in headers:
            self.end_headers()
            self.wfile.write(b'%x\r\n%s\r\n0\r\n\r\n' % (len(body), body))
            return
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def ok(request):
    if request.headers.get('X-Auth-Token') != request.server.token:
        return 401, {}, b'{"error": {"message": "The request you have made '
        b'requires authentication."}}'
    return 200, {'Content-Type': 'application/json'}, json.dumps(
        {'metadata': {'path': request.path[len('/v2.1'):]}}).encode()


class TestLeanPath(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                                      Handler)
        self.server.daemon_threads = True
        self.server.seen = []
        self.server.token = TOKENS[0]
        self.server.answer = ok
        thread = threading.Thread(target=self.server.serve_forever,
                                  daemon=True)
        thread.start()
        self.addCleanup(thread.join, 10)
        self.addCleanup(self.server.server_close)
        self.addCleanup(self.server.shutdown)
        self.port = self.server.server_address[1]
        self.endpoint = 'http://127.0.0.1:%d/v2.1' % self.port

    def client(self, lean=True, auth=Logins):
        self.auth = auth(self.endpoint)
        http = compute.ComputeHTTP(ks_session.Session(auth=self.auth),
                                   retries=0, timeout=10)
        if not lean:
            http.lean = None
        # keystoneauth's first GET teaches the lean path the origin.
        http.request('GET', METADATA % 'first', server='first')
        return http

    def get(self, http, name='web-1'):
        return http.request('GET', METADATA % name, server=name)

    def both(self, answer, **patches):
        """The error each path gives once the server answers so."""
        for name, value in patches.items():
            self.useFixture(fixtures.MonkeyPatch(
                'powervc_osc.http.deadline.' + name, value))
        messages = []
        for lean in (False, True):
            http = self.client(lean)
            self.server.answer = answer
            exc = self.assertRaises(exceptions.RefcodeError, self.get, http)
            messages.append(str(exc))
            self.server.answer = ok
        self.assertEqual(messages[0], messages[1])
        return messages[1]

    def test_metadata_gets_skip_keystoneauth_over_one_connection(self):
        http = self.client()
        with mock.patch.object(http.adapter, 'request',
                               side_effect=AssertionError('keystoneauth')):
            for name in ('web-1', 'web-2', 'web-3'):
                self.assertEqual({'metadata': {'path': METADATA % name}},
                                 self.get(http, name))
        self.assertEqual(1, len({seen[2] for seen in self.server.seen}))

    def test_a_session_closed_under_it_opens_a_new_connection(self):
        http = self.client()
        self.get(http)
        http.adapter.session.session.close()    # closes every pool
        self.assertEqual({'metadata': {'path': METADATA % 'web-2'}},
                         self.get(http, 'web-2'))
        self.assertEqual(2, len({seen[2] for seen in self.server.seen}))

    def test_keystoneauth_keeps_other_requests(self):
        http = self.client()
        self.assertIsNone(http.lean.route('http://localhost:%d/v2.1'
                                          % self.port))
        calls = []
        real = http.adapter.request
        with mock.patch.object(http.adapter, 'request',
                               side_effect=lambda *a, **k: calls.append(a)
                               or real(*a, **k)):
            http.request('GET', '/servers/web-1', server='web-1')
        self.assertEqual(1, len(calls))

    def test_a_401_logs_in_again_once(self):
        http = self.client()
        self.server.token = TOKENS[1]
        self.assertEqual({'metadata': {'path': METADATA % 'web-1'}},
                         self.get(http))
        self.assertEqual(2, self.auth.logins)
        self.assertEqual([TOKENS[0], TOKENS[0], TOKENS[1]],
                         [seen[1] for seen in self.server.seen])

    def test_a_refused_new_token_is_reported_like_today(self):
        def refused(request):
            return 401, {}, b'{"error": {"message": "No."}}'
        message = self.both(refused)
        self.assertIn('401', message)

    def test_a_redirect_is_followed_on_the_same_origin(self):
        http = self.client()

        def moved(request):
            if request.path.endswith('/web-1/metadata'):
                return 302, {'Location': '/v2.1' + METADATA % 'web-2'}, b''
            return ok(request)
        self.server.answer = moved
        self.assertEqual({'metadata': {'path': METADATA % 'web-2'}},
                         self.get(http))

    def test_a_redirect_elsewhere_is_refused_like_today(self):
        def elsewhere(request):
            return 302, {'Location': 'http://localhost:%d/v2.1%s' % (
                self.port, METADATA % 'web-2')}, b''
        message = self.both(elsewhere)
        self.assertIn('to another site (http://localhost:%d)' % self.port,
                      message)
        self.assertNotIn('/v2.1' + METADATA % 'web-2',
                         [seen[0] for seen in self.server.seen])

    def test_a_body_over_the_cap_is_refused_like_today(self):
        def large(request):
            return 200, {'Transfer-Encoding': 'chunked',
                         'Content-Type': 'application/json'}, b'{' * 4096
        message = self.both(large, MAX_ANSWER_BYTES=2 * 2 ** 20 // 1024)
        self.assertIn('is larger than', message)
        self.assertIn('it was not read', message)

    def test_a_reset_connection_is_reported_like_today(self):
        message = self.both(lambda request: None)
        self.assertIn('for server web-1', message)

    def test_debug_logs_name_the_request_but_never_the_token(self):
        logs = self.useFixture(fixtures.FakeLogger(level=logging.DEBUG))
        http = self.client()
        self.server.token = TOKENS[1]
        self.get(http)
        self.assertEqual(2, logs.output.count(
            'REQ: curl -g -i -X GET %s%s -H "Accept: application/json" -H '
            '"User-Agent: ' % (self.endpoint, METADATA % 'web-1')))
        self.assertIn('RESP: [200]', logs.output)
        self.assertIn('X-Auth-Token: {SHA256}', logs.output)
        for token in TOKENS:
            self.assertNotIn(token, logs.output)

    def any_token(self, request):
        """Answer every token this test's logins hand out."""
        request.server.token = request.headers.get('X-Auth-Token')
        if request.server.token not in TOKENS:
            return 401, {}, b'{}'
        return ok(request)

    def test_a_new_token_goes_out_when_keystoneauth_would_log_in(self):
        http = self.client(auth=Tokens)
        self.server.answer = self.any_token
        expires = self.auth.auth_ref.expires.timestamp()
        until = expires - self.auth.MIN_TOKEN_LIFE_SECONDS
        now = [expires - 3600]
        http.lean.clock = lambda: now[0]
        asked = []
        real = http.adapter.session.get_auth_headers

        def ask(*args, **kwargs):
            asked.append(1)
            return real(*args, **kwargs)
        with mock.patch.object(http.adapter.session, 'get_auth_headers',
                               side_effect=ask):
            self.get(http)
            now[0] = until - 0.001
            self.get(http)
            self.assertEqual(1, len(asked))     # kept, not asked again
            # The token enters keystoneauth's margin: the real clock is
            # an hour before the expiry, so widen the margin for it.
            now[0] = until
            self.auth.MIN_TOKEN_LIFE_SECONDS = 3601
            self.get(http)
            self.get(http)
        self.assertEqual(2, self.auth.logins)
        self.assertEqual([TOKENS[0]] * 3 + [TOKENS[1]] * 2,
                         [seen[1] for seen in self.server.seen])

    def test_a_token_refused_is_never_sent_again(self):
        http = self.client(auth=Tokens)
        self.get(http)
        self.server.token = TOKENS[1]
        for _ in range(2):
            self.assertEqual({'metadata': {'path': METADATA % 'web-1'}},
                             self.get(http))
        self.assertEqual(2, self.auth.logins)
        self.assertEqual([TOKENS[0]] * 3 + [TOKENS[1]] * 2,
                         [seen[1] for seen in self.server.seen])

    def test_headers_another_thread_replaced_meanwhile_are_not_kept(self):
        http = self.client(auth=Tokens)
        self.server.token = TOKENS[1]
        session = http.adapter.session
        real = session.get_auth_headers
        raced = []

        def racing(*args, **kwargs):
            headers = real(*args, **kwargs)
            if not raced:
                # Meanwhile another request got a 401 and logged in again.
                raced.append(1)
                self.auth.invalidate()
                self.auth.get_access(session)
            return headers
        with mock.patch.object(session, 'get_auth_headers',
                               side_effect=racing):
            for _ in range(2):
                self.assertEqual({'metadata': {'path': METADATA % 'web-1'}},
                                 self.get(http))
        self.assertEqual([TOKENS[0]] * 2 + [TOKENS[1]] * 2,
                         [seen[1] for seen in self.server.seen])

    def test_no_debug_record_when_no_handler_shows_debug(self):
        # As OpenStackClient without --debug: a logger chain at DEBUG
        # whose handler is at WARNING (a chain of its own, so that the
        # test runner's handlers do not count).
        top = logging.getLogger('powervc_osc.tests.osc_root')
        log = logging.getLogger('powervc_osc.tests.osc_root.compute')
        self.addCleanup(setattr, top, 'propagate', True)
        top.propagate = False
        self.addCleanup(log.setLevel, log.level)
        log.setLevel(logging.DEBUG)
        handler = logging.NullHandler(logging.WARNING)
        top.addHandler(handler)
        self.addCleanup(top.removeHandler, handler)
        records = []

        class Count(logging.Filter):
            def filter(self, record):
                records.append(record.getMessage())
                return True
        count = Count()
        log.addFilter(count)
        self.addCleanup(log.removeFilter, count)
        http = self.client()
        http.lean._log = log
        self.get(http)
        self.assertEqual([], records)
        handler.setLevel(logging.DEBUG)         # as with --debug
        self.get(http)
        self.assertIn('REQ: curl -g -i -X GET', records[0])
        self.assertIn('RESP: [200]', records[1])
        self.assertNotIn(TOKENS[0], ' '.join(records))


class TestShowsDebug(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.logger = logging.getLogger('powervc_osc.tests.shows_debug')
        self.addCleanup(self.logger.setLevel, self.logger.level)
        self.logger.setLevel(logging.DEBUG)

    def handler(self, level, logger=None):
        handler = logging.NullHandler(level)
        (logger or self.logger).addHandler(handler)
        self.addCleanup((logger or self.logger).removeHandler, handler)

    def test_a_debug_handler_up_the_tree(self):
        self.handler(logging.INFO)
        self.handler(logging.DEBUG, logging.getLogger('powervc_osc.tests'))
        self.assertTrue(lean_mod.shows_debug(self.logger))

    def test_not_past_a_logger_that_does_not_propagate(self):
        self.handler(logging.DEBUG, logging.getLogger('powervc_osc.tests'))
        self.addCleanup(setattr, self.logger, 'propagate', True)
        self.logger.propagate = False
        self.handler(logging.WARNING)
        self.assertFalse(lean_mod.shows_debug(self.logger))

    def test_not_below_the_loggers_level(self):
        self.handler(logging.DEBUG)
        self.logger.setLevel(logging.INFO)
        self.assertFalse(lean_mod.shows_debug(self.logger))
