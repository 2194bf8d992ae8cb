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

"""The built-in Keystone v3 endpoints."""

from keystoneauth1 import adapter as ks_adapter
import requests

from powervc_osc.simulator import state as sim_state
from powervc_osc.tests.unit.simulator import base

TIMEOUT = base.TIMEOUT


class TestIdentity(base.HTTPTestCase):

    def test_version_documents(self):
        response = requests.get(self.sim.auth_url, timeout=TIMEOUT)
        self.assertEqual(200, response.status_code)
        self.assertEqual('v3.14', response.json()['version']['id'])
        response = requests.get(self.sim.url + '/powervc/openstack/'
                                'identity/', timeout=TIMEOUT)
        self.assertEqual(300, response.status_code)
        self.assertEqual(1, len(response.json()['versions']['values']))

    def test_token_and_catalog(self):
        body = {'auth': {'identity': {'methods': ['password'], 'password': {
            'user': {'name': 'admin', 'domain': {'id': 'default'},
                     'password': 'passw0rd'}}},
            'scope': {'project': {'id': sim_state.PROJECTS['ibm-default']}}}}
        response = requests.post(self.sim.auth_url + '/auth/tokens',
                                 json=body, timeout=TIMEOUT)
        self.assertEqual(201, response.status_code)
        self.assertTrue(response.headers['X-Subject-Token'])
        token = response.json()['token']
        self.assertEqual(['admin', 'member'],
                         sorted(r['name'] for r in token['roles']))
        self.assertEqual('ibm-default', token['project']['name'])
        self.assertEqual('2026-01-02T04:04:05.000000Z', token['expires_at'])
        catalog = {s['type']: s for s in token['catalog']}
        self.assertEqual({'identity', 'compute'}, set(catalog))
        endpoints = catalog['compute']['endpoints']
        self.assertEqual({'public', 'internal', 'admin'},
                         {e['interface'] for e in endpoints})
        for endpoint in endpoints:
            self.assertEqual(self.sim.compute_url, endpoint['url'])
            self.assertEqual('RegionOne', endpoint['region'])
        self.assertTrue(self.sim.compute_url.endswith(
            '/powervc/openstack/compute/v2.1/'
            'f09a6cc067cc5ac0b968dcf5e2e08480'))

    def test_member_roles(self):
        token = self.token('operator')
        response = requests.get(
            self.sim.auth_url + '/auth/tokens', timeout=TIMEOUT,
            headers={'X-Auth-Token': token, 'X-Subject-Token': token})
        self.assertEqual(200, response.status_code)
        self.assertEqual(['member'], [r['name'] for r in
                                      response.json()['token']['roles']])

    def test_bad_credentials(self):
        for user, password, project in (
                ('admin', 'wrong', 'ibm-default'),
                ('nobody', 'passw0rd', 'ibm-default'),
                ('operator', 'passw0rd', 'other-project')):
            body = {'auth': {'identity': {
                'methods': ['password'], 'password': {'user': {
                    'name': user, 'domain': {'name': 'Default'},
                    'password': password}}},
                'scope': {'project': {'name': project,
                                      'domain': {'name': 'Default'}}}}}
            response = requests.post(self.sim.auth_url + '/auth/tokens',
                                     json=body, timeout=TIMEOUT)
            self.assertEqual(401, response.status_code)
            self.assertEqual(
                {'error': {'code': 401, 'title': 'Unauthorized',
                           'message': 'The request you have made requires '
                                      'authentication.'}},
                response.json())
        response = requests.post(self.sim.auth_url + '/auth/tokens',
                                 data='not json', timeout=TIMEOUT)
        self.assertEqual(400, response.status_code)

    def test_token_method(self):
        token = self.token('operator')
        body = {'auth': {'identity': {'methods': ['token'],
                                      'token': {'id': token}}}}
        response = requests.post(self.sim.auth_url + '/auth/tokens',
                                 json=body, timeout=TIMEOUT)
        self.assertEqual(201, response.status_code)
        self.assertNotEqual(token, response.headers['X-Subject-Token'])
        self.assertEqual('operator',
                         response.json()['token']['user']['name'])

    def test_keystoneauth_session(self):
        session = self.session()
        adapter = ks_adapter.Adapter(session, service_type='compute',
                                     interface='public',
                                     region_name='RegionOne')
        response = adapter.get('/servers')
        self.assertEqual(200, response.status_code)
        self.assertEqual(9, len(response.json()['servers']))
