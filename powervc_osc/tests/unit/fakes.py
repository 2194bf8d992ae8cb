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

"""A fake PowerVC at the HTTP boundary: requests-mock plus a real token."""

from __future__ import annotations

import os
import threading
import types

import fixtures
from keystoneauth1 import fixture as ks_fixture
from keystoneauth1.identity import v3
from keystoneauth1 import session as ks_session
from keystoneauth1 import token_endpoint
from requests_mock.contrib import fixture as rm_fixture
import testtools

from powervc_osc import client as client_mod

BASE = 'https://powervc.example.com/powervc/openstack'
AUTH_URL = BASE + '/identity/v3'
PROJECT_ID = '2b5e8a1f0c8d4f9e9d2d7a4b1c3e5f60'
COMPUTE_URL = BASE + '/compute/v2.1/' + PROJECT_ID
DETAIL_URL = COMPUTE_URL + '/servers/detail'
COMPUTE_URL_TWO = ('https://powervc2.example.com/powervc/openstack'
                   '/compute/v2.1/' + PROJECT_ID)
INTERNAL_URL = 'https://powervc-int.example.com/compute/v2.1/' + PROJECT_ID
TOKEN_ID = 'gAAAAAB-fake-token-0123456789'
PASSWORD = 'sekrit-Passw0rd'
#: Real seconds a test's pool thread may take to end after the test.
WORKER_EXIT_WAIT = 10.0

SERVER_ID = '0f6d3c2e-9b1a-4c8e-a2f7-5d4e3c2b1a09'
SERVER_URL = COMPUTE_URL + '/servers/' + SERVER_ID
METADATA_URL = SERVER_URL + '/metadata'
SERVER_NAME = 'ibmi-prod-1'
HOST = '9109RMD_1031CAT'
METADATA = {
    'powervc:vm_refcode': 'C6004031',
    'powervc:vm_led_code': 'Surr_rebooting__________________',
    'powervc:vm_refcode_query_ts': '20201014052153955450',
    'powervc:vm_refcode_required': 'true',
    'owner': 'ops-team',
}


def token(admin: bool = True) -> ks_fixture.V3Token:
    """A scoped token whose catalog holds compute in two regions.

    :param admin: with the admin role, else with the member role only.
    """
    tok = ks_fixture.V3Token(project_id=PROJECT_ID, project_name='ibm-default',
                             user_name='admin' if admin else 'operator')
    tok.add_role(name='admin' if admin else 'member')
    identity = tok.add_service('identity')
    identity.add_standard_endpoints(public=AUTH_URL, region='RegionOne')
    compute = tok.add_service('compute')
    compute.add_endpoint('public', COMPUTE_URL, region='RegionOne')
    compute.add_endpoint('internal', INTERNAL_URL, region='RegionOne')
    compute.add_endpoint('public', COMPUTE_URL_TWO, region='RegionTwo')
    return tok


def server_body(server_id: str = SERVER_ID, name: str = SERVER_NAME,
                metadata: dict | None = None, host: str = HOST,
                status: str = 'ACTIVE') -> dict:
    """A Nova server-detail body as PowerVC returns it."""
    return {'id': server_id, 'name': name, 'status': status,
            'OS-EXT-SRV-ATTR:host': host,
            'metadata': dict(METADATA if metadata is None else metadata)}


def uuid(n: int) -> str:
    """The ID of the n-th server of a fake fleet."""
    return '00000000-0000-4000-8000-%012d' % n


def fleet(count: int, required_every: int = 1) -> list:
    """``count`` server bodies; every ``required_every``-th collects codes."""
    servers = []
    for n in range(count):
        meta = {'owner': 'x'}
        if n % required_every == 0:
            meta['powervc:vm_refcode_required'] = 'true'
        servers.append(server_body(uuid(n), 'vm-%03d' % n, meta))
    return servers


class NoOSEnvironment(fixtures.Fixture):
    """No ``OS_*`` variable in this process's environment.

    A user's ``OS_CLOUD`` or credentials must not reach a command under
    test.
    """

    def _setUp(self) -> None:
        for name in [n for n in os.environ if n.startswith('OS_')]:
            self.useFixture(fixtures.EnvironmentVariable(name))


class FakeClock:
    """A clock that moves only when slept on; it records every sleep.

    Pass ``clock.clock`` and ``clock.sleep`` where a clock and a sleep are
    taken; like :func:`time.sleep`, ``sleep`` refuses a negative length.
    """

    def __init__(self, now: float = 0.0) -> None:
        self.now = now
        self.sleeps: list = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError('sleep length must be non-negative')
        self.sleeps.append(seconds)
        self.now += seconds


class FakeTime(fixtures.Fixture):
    """The clients built from now on wait and sleep on a :class:`FakeClock`.

    For code that builds its own client (the OSC commands): the client
    takes its clock and sleep when built, so use this fixture first.
    Only the modules that build clients see the fake time: the
    :mod:`time` module itself is left alone, so threads of other tests,
    of the libraries and the deadline's watchdog keep real time.
    """

    #: The modules whose ``time.monotonic`` and ``time.sleep`` a client
    #: takes as its defaults.
    MODULES = ('powervc_osc.client', 'powervc_osc.http.compute')

    def _setUp(self) -> None:
        self.clock = FakeClock(1000.0)
        fake = types.SimpleNamespace(monotonic=self.clock.clock,
                                     sleep=self.clock.sleep)
        for module in self.MODULES:
            self.useFixture(fixtures.MonkeyPatch(module + '.time', fake))


class NoLeftoverWorkers(fixtures.Fixture):
    """At cleanup, wait for the pool threads started meanwhile to end.

    A command that fails leaves its pool's threads to end on their own
    (:func:`powervc_osc.http.concurrency.thread_pool`); one still running
    could send its request into the next test's requests-mock, whose
    counts would then be wrong.  Use it after the requests-mock fixture,
    so that the threads end while this test's mock still answers them.
    """

    def _setUp(self) -> None:
        before = set(threading.enumerate())
        self.addCleanup(self._join, before)

    @staticmethod
    def _join(before: set) -> None:
        for thread in set(threading.enumerate()) - before:
            if thread.name.startswith('powervc-osc-') and (
                    thread.name != 'powervc-osc-deadlines'):
                thread.join(WORKER_EXIT_WAIT)
                if thread.is_alive():
                    raise AssertionError('pool thread %s still runs after '
                                         'the test' % thread.name)


class FakePowerVC(fixtures.Fixture):
    """requests-mock with Keystone answering and compute URLs to register."""

    def _setUp(self) -> None:
        self.mock = self.useFixture(rm_fixture.Fixture())
        self.mock.get(AUTH_URL, json=ks_fixture.V3Discovery(AUTH_URL))
        self.mock.post(AUTH_URL + '/auth/tokens', json=token(),
                       headers={'X-Subject-Token': TOKEN_ID}, status_code=201)

    def log_in_as_member(self) -> None:
        """From now on, log in without the admin role (as ``operator``)."""
        self.mock.post(AUTH_URL + '/auth/tokens', json=token(admin=False),
                       headers={'X-Subject-Token': TOKEN_ID}, status_code=201)

    def compute_requests(self) -> list:
        """Every request that went to a compute endpoint, in order."""
        return [r for r in self.mock.request_history
                if '/compute' in r.url and '/identity' not in r.url]

    def session(self) -> ks_session.Session:
        return password_session()


def password_session() -> ks_session.Session:
    """A session that logs in to the fake Keystone with a password."""
    auth = v3.Password(auth_url=AUTH_URL, username='admin',
                       password=PASSWORD, project_id=PROJECT_ID,
                       user_domain_id='default')
    return ks_session.Session(auth=auth)


def token_session(**kwargs) -> ks_session.Session:
    """A session with a fixed token: no identity requests at all."""
    return ks_session.Session(auth=token_endpoint.Token(
        COMPUTE_URL, TOKEN_ID), **kwargs)


class TokenTestCase(testtools.TestCase):
    """requests-mock and a client with a fixed token (7 s timeout).

    The back-off between retries of the clients built from now on sleeps
    on ``self.backoff`` (the :mod:`time` module itself is left alone, as
    in :class:`FakeTime`).
    """

    def setUp(self) -> None:
        super().setUp()
        self.requests = self.useFixture(rm_fixture.Fixture())
        self.useFixture(NoLeftoverWorkers())
        self.backoff = FakeClock()
        self.useFixture(fixtures.MonkeyPatch(
            'powervc_osc.http.compute.time',
            types.SimpleNamespace(sleep=self.backoff.sleep)))
        self.client = client_mod.RefcodeClient(token_session(), timeout=7)


class TestCase(testtools.TestCase):
    """A unit test with the fake PowerVC in place."""

    def setUp(self) -> None:
        super().setUp()
        self.powervc = self.useFixture(FakePowerVC())
        self.useFixture(NoLeftoverWorkers())
        self.requests = self.powervc.mock


class FleetMixin:
    """A paged fleet behind ``/servers/detail`` for a :class:`TestCase`."""

    def mock_fleet(self, servers, page_size=3):
        pages = [servers[i:i + page_size]
                 for i in range(0, len(servers), page_size)] or [[]]
        responses = []
        for number, page in enumerate(pages):
            body = {'servers': page}
            if number + 1 < len(pages):
                body['servers_links'] = [{'rel': 'next', 'href': (
                    'https://elsewhere.example/v2.1/servers/detail'
                    '?limit=3&marker=%s' % page[-1]['id'])}]
            responses.append({'json': body})
        self.requests.get(DETAIL_URL, responses)
        for server in servers:
            meta = dict(server['metadata'])
            meta['powervc:vm_refcode'] = 'C900' + server['id'][-4:]
            self.requests.get(
                COMPUTE_URL + '/servers/%s/metadata' % server['id'],
                json={'metadata': meta})

    def listing_requests(self):
        return [r for r in self.powervc.compute_requests()
                if r.path.endswith('/servers/detail')]

    def metadata_requests(self):
        return [r for r in self.powervc.compute_requests()
                if r.path.endswith('/metadata')]
