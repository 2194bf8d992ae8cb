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

from powervc_osc.simulator import records as sim_records
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
            'scope': {'project': {'id': sim_records.PROJECTS['ibm-default']}}}}
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


class TestDirectory(base.HTTPTestCase):
    """Projects and domains, with Keystone's default policy."""

    other = sim_records.PROJECTS[sim_records.PROJECT_OTHER]

    def ask(self, path, user='admin'):
        return self.get(self.sim.auth_url + path, user=user)

    def test_admin_lists_and_reads(self):
        projects = self.ask('/projects?name=other-project').json()['projects']
        self.assertEqual([(self.other, 'other-project', 'default')],
                         [(p['id'], p['name'], p['domain_id'])
                          for p in projects])
        self.assertEqual(2, len(self.ask('/projects').json()['projects']))
        self.assertEqual([], self.ask('/projects?name=other-project'
                                      '&domain_id=nodom').json()['projects'])
        self.assertEqual('other-project', self.ask(
            '/projects/' + self.other).json()['project']['name'])
        self.assertEqual(404, self.ask('/projects/nope').status_code)
        self.assertEqual(['Default'], [d['name'] for d in self.ask(
            '/domains?name=Default').json()['domains']])
        self.assertEqual(404, self.ask('/domains/nodom').status_code)

    def test_member_reads_only_its_own(self):
        own = sim_records.PROJECTS[sim_records.PROJECT_DEFAULT]
        for path, status in (('/projects', 403),
                             ('/projects?name=ibm-default', 403),
                             ('/projects/' + self.other, 403),
                             ('/projects/nope', 403),
                             ('/projects/' + own, 200),
                             ('/domains', 403),
                             ('/domains/default', 200)):
            response = self.ask(path, user='operator')
            self.assertEqual(status, response.status_code, path)
        response = self.ask('/projects', user='operator')
        self.assertIn('not authorized', response.json()['error']['message'])

    def test_a_token_is_needed(self):
        response = requests.get(self.sim.auth_url + '/projects',
                                timeout=TIMEOUT)
        self.assertEqual(401, response.status_code)
