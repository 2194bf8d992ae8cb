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

"""The ``/_sim`` control API."""

import requests

from powervc_osc.tests.unit.simulator import base

TIMEOUT = base.TIMEOUT


class TestControl(base.HTTPTestCase):

    def test_control_api(self):
        control = self.sim.url + '/_sim'
        response = requests.post(control + '/faults', json=[
            {'path': 'metadata', 'status': 500},
            {'path': 'flavors', 'delay_ms': 250, 'count': 1}],
            timeout=TIMEOUT)
        self.assertEqual(201, response.status_code)
        self.assertEqual(2, len(requests.get(control + '/faults',
                                             timeout=TIMEOUT)
                                .json()['faults']))
        token = self.token()
        self.assertEqual(500, self.get('/servers/x/metadata',
                                       token=token).status_code)
        self.assertEqual(200, self.get('/flavors', token=token).status_code)
        self.assertEqual([0.25], self.sleep.calls)
        requests.delete(control + '/faults', timeout=TIMEOUT)
        self.assertEqual(404, self.get('/servers/x/metadata',
                                       token=token).status_code)
        log = requests.get(control + '/requests', timeout=TIMEOUT).json()
        self.assertEqual(
            [('POST', 201), ('GET', 500), ('GET', 200), ('GET', 404)],
            [(r['method'], r['status']) for r in log['requests']])
        requests.delete(control + '/requests', timeout=TIMEOUT)
        self.assertEqual(0, len(self.sim.requests))
        response = requests.post(control + '/faults', json={'path': 'x'},
                                 timeout=TIMEOUT)
        self.assertEqual(400, response.status_code)

    def test_revoke(self):
        session = self.session()
        url = self.sim.compute_url + '/servers'
        self.assertEqual(200, session.get(url).status_code)
        token = session.get_token()
        response = requests.post(self.sim.url + '/_sim/tokens/revoke',
                                 timeout=TIMEOUT)
        self.assertEqual(200, response.status_code)
        self.assertEqual(401, self.get('/servers', token=token).status_code)
        # keystoneauth re-authenticates on 401 and retries
        self.assertEqual(200, session.get(url).status_code)
        self.assertNotEqual(token, session.get_token())
        self.assertIn(401, [r.status for r in self.sim.requests])
