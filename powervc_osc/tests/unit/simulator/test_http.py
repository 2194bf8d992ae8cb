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

"""HTTP tests against a simulator started on 127.0.0.1:0."""

import json
import urllib.parse

from keystoneauth1 import adapter as ks_adapter
from keystoneauth1.identity import v3
from keystoneauth1 import session as ks_session
import requests
import testtools

from powervc_osc.simulator import fixture as sim_fixture
from powervc_osc.simulator import server as sim_server
from powervc_osc.simulator import state as sim_state
from powervc_osc.tests.unit.simulator import base

REQUIRED = sim_state.REQUIRED
TIMEOUT = 30


class HTTPTestCase(testtools.TestCase):

    sim_kwargs = {}

    def setUp(self):
        super().setUp()
        self.clock = base.FakeClock()
        self.wall = base.FakeClock(base.WALL_START)
        self.sleep = base.FakeSleep()
        kwargs = dict(clock=self.clock, wall_clock=self.wall,
                      sleep=self.sleep)
        kwargs.update(self.sim_kwargs)
        self.sim = self.useFixture(sim_fixture.SimulatorFixture(**kwargs))

    def token(self, user='admin', project=None):
        user_obj = sim_state.USERS[user]
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
            self.sim.compute_url_for(project or sim_state.USERS[user]
                                     .project) + path)
        return requests.get(url, headers=headers, timeout=TIMEOUT,
                            **kwargs)

    def call(self, method, path, user='admin', **kwargs):
        headers = kwargs.pop('headers', {})
        headers['X-Auth-Token'] = self.token(user)
        url = self.sim.compute_url_for(sim_state.USERS[user].project) + path
        return requests.request(method, url, headers=headers,
                                timeout=TIMEOUT, **kwargs)

    def session(self, user='admin'):
        user_obj = sim_state.USERS[user]
        auth = v3.Password(auth_url=self.sim.auth_url, username=user,
                           password=user_obj.password,
                           project_name=user_obj.project,
                           user_domain_name='Default',
                           project_domain_name='Default')
        return ks_session.Session(auth=auth)


class TestIdentity(HTTPTestCase):

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


class TestComputeAuth(HTTPTestCase):

    sim_kwargs = {'token_ttl': 60}

    def test_compute_version_documents_need_no_token(self):
        for path in ('/', '/v2.1', '/v2.1/'):
            response = requests.get(self.sim.compute_root + path,
                                    timeout=TIMEOUT)
            self.assertEqual(200, response.status_code, path)
        versions = requests.get(self.sim.compute_root + '/',
                                timeout=TIMEOUT).json()['versions']
        self.assertEqual('2.88', versions[0]['version'])
        version = requests.get(self.sim.compute_root + '/v2.1',
                               timeout=TIMEOUT).json()['version']
        self.assertEqual(('v2.1', 'CURRENT', '2.1'),
                         (version['id'], version['status'],
                          version['min_version']))
        self.assertEqual(self.sim.compute_root + '/v2.1/',
                         version['links'][0]['href'])

    def test_no_bad_or_expired_token(self):
        url = self.sim.compute_url + '/servers'
        response = requests.get(url, timeout=TIMEOUT)
        self.assertEqual(401, response.status_code)
        self.assertEqual(401, response.json()['error']['code'])
        self.assertIn('Keystone uri=', response.headers['WWW-Authenticate'])
        self.assertEqual(401, self.get('/servers', token='bogus')
                         .status_code)
        token = self.token()
        self.assertEqual(200, self.get('/servers', token=token).status_code)
        self.clock.advance(61)
        self.assertEqual(401, self.get('/servers', token=token).status_code)

    def test_project_mismatch(self):
        other = '/servers'
        response = self.get(other, user='operator', project='other-project')
        self.assertEqual(403, response.status_code)
        self.assertIn('forbidden', response.json())
        response = self.get(other, user='admin', project='other-project')
        self.assertEqual(200, response.status_code)


class TestServers(HTTPTestCase):

    sim_kwargs = {'servers': 23}

    def test_pagination_follows_next_links(self):
        session = self.session()
        url = self.sim.compute_url + '/servers/detail?all_tenants=1&limit=4'
        seen, pages = [], 0
        while url:
            body = session.get(url).json()
            pages += 1
            seen.extend(s['id'] for s in body['servers'])
            links = body.get('servers_links') or []
            url = next((link['href'] for link in links
                        if link['rel'] == 'next'), None)
            if url:
                query = urllib.parse.parse_qs(urllib.parse.urlparse(url)
                                              .query)
                self.assertEqual(['4'], query['limit'])
                self.assertEqual(['1'], query['all_tenants'])
                self.assertTrue(url.startswith(self.sim.compute_url))
        self.assertEqual(6, pages)
        self.assertEqual(23, len(set(seen)))
        self.assertEqual([s.id for s in self.sim.state.servers()], seen)

    def test_summary_listing(self):
        body = self.get('/servers?limit=2').json()
        self.assertEqual({'id', 'name', 'links'}, set(body['servers'][0]))
        self.assertIn('servers_links', body)

    def test_bad_marker_and_limit(self):
        response = self.get('/servers/detail?marker=nope')
        self.assertEqual(400, response.status_code)
        self.assertIn('badRequest', response.json())
        self.assertEqual(400, self.get('/servers?limit=x').status_code)
        self.assertEqual(400, self.get('/servers?limit=-1').status_code)

    def test_name_filter_regex(self):
        state = self.sim.state
        for name in ('web.1', 'web.11', 'dup', 'dup'):
            state.add_server(name, os_type='linux')
        names = [s['name'] for s in self.get(
            '/servers?name=' + urllib.parse.quote('^web\\.1$')).json()
            ['servers']]
        self.assertEqual(['web.1'], names)
        names = [s['name'] for s in self.get('/servers?name=web.1')
                 .json()['servers']]
        self.assertEqual(['web.1', 'web.11'], sorted(names))
        body = self.get('/servers?name=%5Edup%24').json()
        self.assertEqual(2, len({s['id'] for s in body['servers']}))

    def test_all_tenants_admin_vs_member(self):
        admin = self.get('/servers?all_tenants=1').json()['servers']
        admin_own = self.get('/servers').json()['servers']
        member = self.get('/servers?all_tenants=1',
                          user='operator').json()['servers']
        self.assertEqual(23, len(admin))
        self.assertEqual(22, len(admin_own))
        self.assertEqual(22, len(member))
        other = sim_state.PROJECTS['other-project']
        only = self.get('/servers/detail?all_tenants=1&project_id=' + other
                        ).json()['servers']
        self.assertEqual([other], [s['tenant_id'] for s in only])


class TestServerViews(HTTPTestCase):

    def sid(self, name):
        return self.sim.server_id(name)

    def test_show(self):
        response = self.get('/servers/' + self.sid('ibmi-prod-1'),
                            headers={'OpenStack-API-Version':
                                     'compute 2.88'})
        self.assertEqual(200, response.status_code)
        self.assertEqual('compute 2.88',
                         response.headers['OpenStack-API-Version'])
        server = response.json()['server']
        self.assertEqual('ibmi-prod-1', server['name'])
        self.assertEqual('9109RMD_1031CAT', server['OS-EXT-SRV-ATTR:host'])
        self.assertEqual('ibmi-medium', server['flavor']['original_name'])
        self.assertEqual('', server['image'])
        self.assertEqual('true', server['metadata'][REQUIRED])

    def test_old_microversion_flavor(self):
        server = self.get('/servers/' + self.sid('ibmi-prod-1')).json()[
            'server']
        self.assertIn('id', server['flavor'])
        response = self.get('/flavors/' + server['flavor']['id'])
        self.assertEqual('ibmi-medium', response.json()['flavor']['name'])

    def test_microversions(self):
        response = self.get('/servers', headers={
            'X-OpenStack-Nova-API-Version': 'latest'})
        self.assertEqual('2.88',
                         response.headers['X-OpenStack-Nova-API-Version'])
        response = self.get('/servers', headers={
            'OpenStack-API-Version': 'compute 3.0'})
        self.assertEqual(406, response.status_code)

    def test_host_attributes_admin_only(self):
        server = self.get('/servers/' + self.sid('ibmi-prod-1'),
                          user='operator').json()['server']
        self.assertNotIn('OS-EXT-SRV-ATTR:host', server)

    def test_not_found_and_forbidden(self):
        response = self.get('/servers/nope')
        self.assertEqual(404, response.status_code)
        self.assertEqual({'itemNotFound': {
            'code': 404, 'message': 'Instance nope could not be found.'}},
            response.json())
        response = self.get('/servers/%s/metadata' % self.sid(
            'other-proj-vm'), user='operator')
        self.assertEqual(403, response.status_code)
        self.assertEqual(403, response.json()['forbidden']['code'])
        response = self.get('/servers/%s/metadata' % self.sid(
            'other-proj-vm'))
        self.assertEqual(200, response.status_code)


class TestMetadataHTTP(HTTPTestCase):

    def sid(self, name):
        return self.sim.server_id(name)

    def test_merge_and_refcode(self):
        path = '/servers/%s/metadata' % self.sid('ibmi-dev-1')
        response = self.call('POST', path, json={'metadata': {
            REQUIRED: 'true'}})
        self.assertEqual(200, response.status_code)
        self.assertEqual({'owner': 'dev', 'app': 'erp-test',
                          REQUIRED: 'true',
                          'original_host': '8286-42A_21A7B2V'},
                         response.json()['metadata'])
        self.assertNotIn(sim_state.REFCODE, self.get(path).json()[
            'metadata'])
        self.clock.advance(2)
        metadata = self.get(path).json()['metadata']
        self.assertRegex(metadata[sim_state.REFCODE], '^C2')
        self.assertEqual(32, len(metadata[sim_state.LED_CODE]))
        self.assertRegex(metadata[sim_state.QUERY_TS], r'^\d{20}$')

    def test_put_replaces(self):
        path = '/servers/%s/metadata' % self.sid('ibmi-dev-1')
        response = self.call('PUT', path, json={'metadata': {'a': 'b'}})
        self.assertEqual({'a': 'b'}, response.json()['metadata'])

    def test_errors(self):
        path = '/servers/%s/metadata' % self.sid('linux-web-1')
        response = self.call('POST', path,
                             json={'metadata': {REQUIRED: 'true'}})
        self.assertEqual(400, response.status_code)
        self.assertIn('IBM i and AIX',
                      response.json()['badRequest']['message'])
        path = '/servers/%s/metadata' % self.sid('ibmi-hmc-1')
        response = self.call('POST', path,
                             json={'metadata': {REQUIRED: 'true'}})
        self.assertEqual(400, response.status_code)
        self.assertIn('NovaLink', response.json()['badRequest']['message'])
        for body in ('nope', '{}', '{"metadata": []}', '{"meta": {}}',
                     '{"metadata": {"a": 1}}'):
            response = self.call('POST', path, data=body)
            self.assertEqual(400, response.status_code, body)
        response = self.call('POST', path, data=json.dumps(
            {'metadata': {'a': 'x' * 70000}}))
        self.assertEqual(413, response.status_code)

    def test_items(self):
        path = '/servers/%s/metadata/' % self.sid('ibmi-dev-1')
        response = self.call('PUT', path + 'k', json={'meta': {'k': 'v'}})
        self.assertEqual({'meta': {'k': 'v'}}, response.json())
        response = self.call('PUT', path + 'k', json={'meta': {'j': 'v'}})
        self.assertEqual(400, response.status_code)
        self.assertEqual('v', self.get(path + 'k').json()['meta']['k'])
        self.assertEqual(204, self.call('DELETE', path + 'k').status_code)
        self.assertEqual(404, self.get(path + 'k').status_code)
        self.assertEqual(
            400, self.call('PUT', '/servers/%s/metadata/%s' % (
                self.sid('linux-web-1'), REQUIRED),
                json={'meta': {REQUIRED: 'true'}}).status_code)


class TestFaults(HTTPTestCase):

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

    def test_reset(self):
        self.sim.add_fault(path='/servers$', reset=True, count=1)
        token = self.token()
        self.assertRaises(requests.ConnectionError, self.get, '/servers',
                          token=token)
        self.assertEqual(200, self.get('/servers', token=token)
                         .status_code)
        self.assertIn(('GET', self.sim.requests[-2].path, 0),
                      list(self.sim.requests))

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

    def test_latency(self):
        self.sim.simulator.latency_ms = 30
        self.get('/servers')
        self.assertEqual([0.03, 0.03], self.sleep.calls)

    def test_request_log(self):
        self.sim.requests.clear()
        self.get('/servers')
        records = list(self.sim.requests)
        self.assertEqual(('POST', '/powervc/openstack/identity/v3/auth/'
                          'tokens', 201), records[0])
        method, path, status = records[1]
        self.assertEqual(('GET', 200), (method, status))
        self.assertTrue(path.endswith('/servers'))
        self.assertLessEqual(records[1].started, records[1].finished)
