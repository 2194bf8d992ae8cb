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

"""The deadline of an attempt: its entry point, answer size, trickling
headers, the watchdog.
"""

import io
import json
import socketserver
import threading

import fixtures
from keystoneauth1 import session as ks_session
from keystoneauth1 import token_endpoint
import requests
import testtools

from powervc_osc import exceptions
from powervc_osc.http import compute
from powervc_osc.http import deadline
from powervc_osc.http import errors
from powervc_osc.tests.unit import fakes
from powervc_osc.tests.unit.http import base

SERVER_URL = base.SERVER_URL
METADATA_URL = base.METADATA_URL
OK_SERVER = base.OK_SERVER
RetryTestCase = base.RetryTestCase


class TestAnswerSize(RetryTestCase):
    """What is read from one answer is capped, and the error says whose."""

    def test_declared_huge_answer_is_not_read(self):
        body = Unreadable()
        self.requests.get(SERVER_URL, [OK_SERVER])
        self.requests.get(METADATA_URL, body=body, headers={
            'Content-Length': str(deadline.MAX_ANSWER_BYTES + 1)})
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
        self.assertLess(body.read_bytes, deadline.MAX_ANSWER_BYTES + 2 ** 20)

    def test_answer_at_the_limit_is_read(self):
        padding = ' ' * (deadline.MAX_ANSWER_BYTES - 100)
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
        return server, compute.ComputeHTTP(session, retries=0, timeout=0.5)

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


class _Named:
    about = 'server web-1'

    def __str__(self):
        return 'GET /servers/x'


class _RecordingWatchdog:

    def __init__(self):
        self.watched, self.done_with = [], []

    def watch(self, due, sock):
        self.watched.append(sock)
        return [sock]

    def done(self, entry):
        self.done_with.extend(entry)


class TestAttempt(testtools.TestCase):
    """The one entry point: ``with deadline.attempt(...)``."""

    def prepared(self, hooks=None):
        return requests.Request('GET', 'http://127.0.0.1:1/servers/x',
                                hooks=hooks).prepare()

    def test_only_the_attempts_own_request_starts_its_clock(self):
        with deadline.attempt(_Named(), 5, None) as attempt:
            deadline.begin(self.prepared())       # a login on the way
            self.assertIsNone(attempt.deadline)
            deadline.begin(self.prepared(attempt.hooks))
            self.assertIsNotNone(attempt.deadline)
        deadline.begin(self.prepared(attempt.hooks))   # after the block

    def test_a_socket_is_watched_only_within_the_block(self):
        watchdog = _RecordingWatchdog()
        self.useFixture(fixtures.MockPatchObject(deadline, '_WATCHDOG',
                                                 watchdog))
        sock, other = object(), object()
        with deadline.attempt(_Named(), 5, None) as attempt:
            deadline.arm(sock)                    # clock not started
            self.assertEqual([], watchdog.watched)
            deadline.begin(self.prepared(attempt.hooks))
            deadline.arm(sock)
            self.assertEqual([sock], watchdog.watched)
            self.assertEqual([], watchdog.done_with)
        self.assertEqual([sock], watchdog.done_with)
        deadline.arm(other)                       # no attempt: ignored
        self.assertEqual([sock], watchdog.watched)

    def test_no_time_left_is_out_of_time(self):
        exc = self.assertRaises(
            errors.OutOfTime, deadline.attempt(
                _Named(), 5, deadline.now() - 1).__enter__)
        self.assertEqual('PowerVC did not answer GET /servers/x for server '
                         'web-1 in the time allowed', str(exc))

    def test_a_shorter_budget_cuts_the_attempt(self):
        with deadline.attempt(_Named(), 60, deadline.now() + 5) as attempt:
            self.assertTrue(attempt.cut)
            self.assertLessEqual(attempt.timeout, 5)
        with deadline.attempt(_Named(), 2, deadline.now() + 5) as attempt:
            self.assertFalse(attempt.cut)
            self.assertEqual(2, attempt.timeout)


class TestWatchdog(testtools.TestCase):
    """The deadline watchdog shuts late sockets, and only those."""

    def pair(self):
        import socket

        left, right = socket.socketpair()
        self.addCleanup(left.close)
        self.addCleanup(right.close)
        return left, right

    def test_late_socket_is_shut(self):
        watchdog = deadline.Watchdog()
        sock, peer = self.pair()
        watchdog.watch(deadline.now() - 1, sock)
        sock.settimeout(10)
        self.assertEqual(b'', sock.recv(1))   # ended by the shutdown

    def test_socket_done_in_time_is_left_alone(self):
        watchdog = deadline.Watchdog()
        sock, peer = self.pair()
        watchdog.done(watchdog.watch(deadline.now() + 0.05, sock))
        late, late_peer = self.pair()
        watchdog.watch(deadline.now() + 0.1, late)
        late.settimeout(10)
        self.assertEqual(b'', late.recv(1))   # the watchdog has run past
        peer.sendall(b'x')
        self.assertEqual(b'x', sock.recv(1))
