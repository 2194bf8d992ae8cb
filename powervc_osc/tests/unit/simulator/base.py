# Copyright 2026 The powervc_osc Authors
#
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

"""Helpers for the simulator tests."""

import threading

from keystoneauth1.identity import v3
from keystoneauth1 import session as ks_session
import requests
import testtools

from powervc_osc.simulator import fixture as sim_fixture
from powervc_osc.simulator import records as sim_records

TIMEOUT = 30


class FakeClock:
    """A clock that only moves when told to; thread-safe."""

    def __init__(self, start=1000.0):
        self._now = float(start)
        self._lock = threading.Lock()

    def __call__(self):
        with self._lock:
            return self._now

    def advance(self, seconds):
        with self._lock:
            self._now += seconds


# 2026-01-02T03:04:05Z
WALL_START = 1767323045.0


class FakeSleep:
    """Records sleeps instead of sleeping."""

    def __init__(self):
        self.calls = []
        self._lock = threading.Lock()

    def __call__(self, seconds):
        with self._lock:
            self.calls.append(seconds)


class HTTPTestCase(testtools.TestCase):
    """A test against a simulator on 127.0.0.1:0 with fake clocks."""

    sim_kwargs = {}

    def setUp(self):
        super().setUp()
        self.clock = FakeClock()
        self.wall = FakeClock(WALL_START)
        self.sleep = FakeSleep()
        kwargs = dict(clock=self.clock, wall_clock=self.wall,
                      sleep=self.sleep)
        kwargs.update(self.sim_kwargs)
        self.sim = self.useFixture(sim_fixture.SimulatorFixture(**kwargs))

    def token(self, user='admin', project=None):
        user_obj = sim_records.USERS[user]
        body = {'auth': {
            'identity': {'methods': ['password'], 'password': {'user': {
                'name': user, 'domain': {'name': 'Default'},
                'password': user_obj.password}}},
            'scope': {'project': {
                'name': project or user_obj.project,
                'domain': {'name': 'Default'}}}}}
        response = requests.post(self.sim.auth_url + '/auth/tokens',
                                 json=body, timeout=TIMEOUT)
        self.assertEqual(201, response.status_code, response.text)
        return response.headers['X-Subject-Token']

    def get(self, path, token=None, user='admin', project=None, **kwargs):
        if token is None:
            token = self.token(user)
        headers = kwargs.pop('headers', {})
        headers['X-Auth-Token'] = token
        url = path if '://' in path else (
            self.sim.compute_url_for(project or sim_records.USERS[user]
                                     .project) + path)
        return requests.get(url, headers=headers, timeout=TIMEOUT,
                            **kwargs)

    def call(self, method, path, user='admin', **kwargs):
        headers = kwargs.pop('headers', {})
        headers['X-Auth-Token'] = self.token(user)
        url = self.sim.compute_url_for(sim_records.USERS[user].project) + path
        return requests.request(method, url, headers=headers,
                                timeout=TIMEOUT, **kwargs)

    def session(self, user='admin'):
        user_obj = sim_records.USERS[user]
        auth = v3.Password(auth_url=self.sim.auth_url, username=user,
                           password=user_obj.password,
                           project_name=user_obj.project,
                           user_domain_name='Default',
                           project_domain_name='Default')
        return ks_session.Session(auth=auth)

    def sid(self, name):
        return self.sim.server_id(name)
