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

"""Targeted faults and random 503s."""

import requests
import testtools

from powervc_osc.simulator import faults as sim_faults
from powervc_osc.simulator import server as sim_server
from powervc_osc.tests.unit.simulator import base

TIMEOUT = base.TIMEOUT


class TestFaults(base.HTTPTestCase):

    def test_targeted_status_and_count(self):
        self.sim.add_fault(path='/servers/detail$', method='GET',
                           status=502, count=2,
                           body='<html>Bad gateway</html>',
                           content_type='text/html')
        token = self.token()
        statuses = [self.get('/servers/detail', token=token)
                    for _ in range(3)]
        self.assertEqual([502, 502, 200],
                         [r.status_code for r in statuses])
        self.assertEqual('<html>Bad gateway</html>', statuses[0].text)
        self.assertTrue(statuses[0].headers['Content-Type']
                        .startswith('text/html'))
        self.assertEqual([], self.sim.faults.snapshot())

    def test_reset(self):
        self.sim.add_fault(path='/servers$', reset=True, count=1)
        token = self.token()
        self.assertRaises(requests.ConnectionError, self.get, '/servers',
                          token=token)
        self.assertEqual(200, self.get('/servers', token=token)
                         .status_code)
        self.assertIn(('GET', self.sim.requests[-2].path, 0),
                      list(self.sim.requests))

    def test_error_rate_deterministic(self):
        def statuses(seed):
            sim = sim_server.Simulator(error_rate=0.5, seed=seed,
                                       clock=self.clock)
            sim.start()
            self.addCleanup(sim.stop)
            token = None
            result = []
            for _ in range(20):
                if token is None:
                    token = self.token_for(sim)
                response = requests.get(sim.compute_url + '/servers',
                                        headers={'X-Auth-Token': token},
                                        timeout=TIMEOUT)
                result.append(response.status_code)
            return result

        first = statuses(42)
        self.assertEqual(first, statuses(42))
        self.assertEqual({200, 503}, set(first))

    def token_for(self, sim):
        body = {'auth': {'identity': {'methods': ['password'], 'password': {
            'user': {'name': 'admin', 'domain': {'name': 'Default'},
                     'password': 'passw0rd'}}}}}
        response = requests.post(sim.auth_url + '/auth/tokens', json=body,
                                 timeout=TIMEOUT)
        return response.headers['X-Subject-Token']


class TestFaultDefinitions(testtools.TestCase):

    def test_validation(self):
        for data, message in (
                ([], 'a fault must be a JSON object'),
                ({'path': 'x', 'bogus': 1}, 'unknown fault fields: bogus'),
                ({'path': 'x'}, 'a fault needs status, delay_ms or reset'),
                ({'status': 99}, 'status must be an HTTP status code'),
                ({'status': 500, 'count': 0}, 'count must be positive'),
                ({'status': 500, 'body': 3}, 'body must be a string')):
            error = self.assertRaises(ValueError, sim_faults.Fault.from_dict,
                                      data)
            self.assertEqual(message, str(error))

    def test_first_match_wins_and_count_is_consumed(self):
        fault_list = sim_faults.FaultList()
        fault_list.add(path='metadata', method='PUT', status=409, count=1)
        fault_list.add(path='metadata', status=500)
        self.assertEqual(500, fault_list.take('GET', '/s/1/metadata').status)
        self.assertEqual(409, fault_list.take('put', '/s/1/metadata').status)
        self.assertEqual(500, fault_list.take('PUT', '/s/1/metadata').status)
        self.assertIsNone(fault_list.take('GET', '/flavors'))
        self.assertEqual([(2, 2)], [(f.id, f.hits)
                                    for f in fault_list.snapshot()])

    def test_random_errors_spare_versions_and_identity(self):
        errors = sim_faults.RandomErrors(seed=0)
        compute = '/powervc/openstack/compute/v2.1/'
        for path in (compute, compute + 'project', compute + 'project/',
                     '/powervc/openstack/identity/v3/auth/tokens', '/'):
            self.assertFalse(errors.hit(path, 1.0), path)
        self.assertTrue(errors.hit(compute + 'project/servers', 1.0))
        self.assertFalse(errors.hit(compute + 'project/servers', 0.0))
