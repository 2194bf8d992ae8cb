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

"""A small PowerVC on 127.0.0.1 whose compute answers misbehave on purpose.

Keystone (discovery and password login) and the compute calls of the
plugin (listing, server, metadata) with a fleet of ``count`` servers.  A
test picks a behaviour per kind of compute request (``'listing'``,
``'next-page'``, ``'server'``, ``'metadata'``, ``'post'``; ``'login'`` for
Keystone's token request): ``'ok'``,
``'trickle'`` (headers,
then one byte every ``trickle_seconds``), ``'trickle-headers'`` (the
status line and headers one byte every ``trickle_seconds``, without end)
or ``'hang'`` (never answers).
:attr:`FaultyCloud.hold` can hold answers until enough requests are in
flight, to make concurrency certain rather than likely.  Every request is
recorded; :meth:`FaultyCloud.stop` (a cleanup) ends all of them.
"""

from __future__ import annotations

import http.server
import itertools
import json
import os
import tempfile
import threading
import time
import typing as ty
import uuid

import fixtures
from keystoneauth1 import fixture as ks_fixture
import yaml

PROJECT_ID = '9a3c5e7f1b2d4f6a8c0e2b4d6f8a0c1e'
CLOUD = 'faulty'


class FaultyCloud(fixtures.Fixture):
    """The server, a clouds.yaml for it, and what it was asked."""

    def __init__(self, count: int = 4, page_size: int | None = None,
                 api_timeout: float | None = None) -> None:
        super().__init__()
        self.servers = [{'id': str(uuid.UUID(int=n + 1)),
                         'name': 'vm-%02d' % n, 'status': 'ACTIVE',
                         'OS-EXT-SRV-ATTR:host': 'host-1',
                         'metadata': {'powervc:vm_refcode_required': 'true'}}
                        for n in range(count)]
        self.page_size = page_size or count or 1
        self.api_timeout = api_timeout
        self.behaviour: dict[str, str] = {}
        self.trickle_seconds = 0.3
        #: (kind, parties): answers of that kind wait until ``parties``
        #: requests of the kinds in :attr:`hold_kinds` are in flight.
        self.hold: tuple[int, ty.Collection[str]] | None = None
        self.requests: list[tuple[float, str, str]] = []
        self.in_flight = 0
        self._changed = threading.Condition()
        self._stopped = threading.Event()

    def _setUp(self) -> None:
        handler = type('Handler', (_Handler,), {'cloud': self})
        self.httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                                     handler)
        self.httpd.daemon_threads = True
        self.url = 'http://127.0.0.1:%d' % self.httpd.server_address[1]
        self.compute_url = '%s/compute/v2.1/%s' % (self.url, PROJECT_ID)
        thread = threading.Thread(target=self.httpd.serve_forever,
                                  daemon=True)
        thread.start()
        self.addCleanup(self.stop, thread)
        self.clouds_yaml = self._write_clouds_yaml()

    def stop(self, thread: threading.Thread) -> None:
        self._stopped.set()
        with self._changed:
            self._changed.notify_all()
        self.httpd.shutdown()
        self.httpd.server_close()
        thread.join(10)

    def compute_requests(self) -> list[tuple[float, str, str]]:
        """(time, method, path) of every compute request so far."""
        with self._changed:
            return [r for r in self.requests if '/compute/' in r[2]]

    def wait_for_in_flight(self, count: int, timeout: float = 30) -> bool:
        """Wait until ``count`` compute requests are being answered."""
        with self._changed:
            return self._changed.wait_for(
                lambda: self.in_flight >= count, timeout)

    def auth(self) -> dict[str, str]:
        """The password credentials of the cloud."""
        return {'auth_url': self.url + '/identity/v3', 'username': 'admin',
                'password': 'faulty-Passw0rd', 'project_id': PROJECT_ID,
                'user_domain_id': 'default'}

    def _write_clouds_yaml(self) -> str:
        cloud: dict[str, ty.Any] = {
            'auth_type': 'password', 'region_name': 'RegionOne',
            'auth': self.auth()}
        if self.api_timeout is not None:
            cloud['api_timeout'] = self.api_timeout
        fd, path = tempfile.mkstemp(suffix='.yaml', prefix='faulty-clouds-')
        with os.fdopen(fd, 'w') as f:
            yaml.safe_dump({'clouds': {CLOUD: cloud}}, f)
        self.addCleanup(os.unlink, path)
        return path

    # -- what the handler asks --------------------------------------------

    def started(self, kind: str, method: str, path: str) -> None:
        with self._changed:
            self.requests.append((time.monotonic(), method, path))
            if kind != 'identity':
                self.in_flight += 1
            self._changed.notify_all()

    def ended(self, kind: str) -> None:
        with self._changed:
            if kind != 'identity':
                self.in_flight -= 1
            self._changed.notify_all()

    def wait_to_answer(self, kind: str) -> None:
        """Hold an answer as :attr:`hold` says, or for ever on 'hang'."""
        if self.behaviour.get(kind) == 'hang':
            self._stopped.wait()
            return
        if self.hold is not None and kind in self.hold[1]:
            with self._changed:
                self._changed.wait_for(
                    lambda: (self.in_flight >= self.hold[0]
                             or self._stopped.is_set()), 30)

    def answer(self, kind: str, path: str) -> tuple[int, dict]:
        if kind in ('listing', 'next-page'):
            query = path.partition('?')[2]
            marker = dict(p.split('=', 1) for p in query.split('&')
                          if '=' in p).get('marker')
            start = 0
            if marker:
                start = [s['id'] for s in self.servers].index(marker) + 1
            page = self.servers[start:start + self.page_size]
            body: dict[str, ty.Any] = {'servers': page}
            if start + self.page_size < len(self.servers):
                body['servers_links'] = [{'rel': 'next', 'href': (
                    '%s/servers/detail?marker=%s'
                    % (self.compute_url, page[-1]['id']))}]
            return 200, body
        server_id = path.split('/servers/', 1)[1].split('/')[0]
        server = [s for s in self.servers if s['id'] == server_id]
        if not server:
            return 404, {'itemNotFound': {'code': 404,
                                          'message': 'not found'}}
        if kind == 'server':
            return 200, {'server': server[0]}
        return 200, {'metadata': dict(server[0]['metadata'],
                                      **{'powervc:vm_refcode': 'C9002960'})}

    def token(self) -> dict:
        token = ks_fixture.V3Token(project_id=PROJECT_ID,
                                   project_name='faulty', user_name='admin')
        token.add_role(name='admin')
        identity = token.add_service('identity')
        identity.add_standard_endpoints(public=self.url + '/identity/v3',
                                        region='RegionOne')
        compute = token.add_service('compute')
        compute.add_endpoint('public', self.compute_url, region='RegionOne')
        return token


class _Handler(http.server.BaseHTTPRequestHandler):
    """One request: identity, or a compute call with its behaviour."""

    cloud: FaultyCloud
    protocol_version = 'HTTP/1.1'

    def log_message(self, format: str, *args: ty.Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        length = int(self.headers.get('Content-Length') or 0)
        self.rfile.read(length)
        self._handle()

    def _handle(self) -> None:
        kind = self._kind()
        self.cloud.started(kind, self.command, self.path)
        try:
            if kind == 'identity':
                self._identity()
                return
            self.cloud.wait_to_answer(kind)
            status, body = self.cloud.answer(kind, self.path)
            self._send(status, body, self.cloud.behaviour.get(kind))
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            self.cloud.ended(kind)

    def _kind(self) -> str:
        path = self.path.split('?', 1)[0]
        if path.startswith('/identity'):
            return 'identity'
        if path.endswith('/servers/detail'):
            return 'next-page' if 'marker=' in self.path else 'listing'
        if path.endswith('/metadata'):
            return 'post' if self.command == 'POST' else 'metadata'
        return 'server'

    def _identity(self) -> None:
        if self.command == 'POST':
            self.cloud.wait_to_answer('login')
            self._send(201, self.cloud.token(),
                       headers={'X-Subject-Token': 'faulty-token'})
        else:
            self._send(200, ks_fixture.V3Discovery(
                self.cloud.url + '/identity/v3'))

    def _send(self, status: int, body: ty.Any, behaviour: str | None = None,
              headers: dict | None = None) -> None:
        if behaviour == 'trickle-headers':
            # A header line that never ends: the answer never starts.
            self._trickle(itertools.chain(
                b'HTTP/1.1 200 OK\r\nX-Padding: ', itertools.repeat(46)))
            return
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.send_header('x-openstack-request-id', 'req-%s' % uuid.uuid4())
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if behaviour != 'trickle':
            self.wfile.write(data)
            return
        self._trickle(data)

    def _trickle(self, data: ty.Iterable[int]) -> None:
        """Send ``data`` one byte every ``trickle_seconds``, until stopped."""
        for byte in data:
            if self.cloud._stopped.wait(self.cloud.trickle_seconds):
                return
            self.wfile.write(bytes([byte]))
            self.wfile.flush()
