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

"""The compute API: version documents, tokens, listings, metadata."""

import json
import urllib.parse

import requests

from powervc_osc.simulator import records as sim_records
from powervc_osc.tests.unit.simulator import base

REQUIRED = sim_records.REQUIRED
TIMEOUT = base.TIMEOUT


class TestComputeAuth(base.HTTPTestCase):

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


class TestServers(base.HTTPTestCase):

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
        other = sim_records.PROJECTS['other-project']
        only = self.get('/servers/detail?all_tenants=1&project_id=' + other
                        ).json()['servers']
        self.assertEqual([other], [s['tenant_id'] for s in only])


class TestServerErrors(base.HTTPTestCase):

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


class TestMetadataHTTP(base.HTTPTestCase):

    def test_merge_and_refcode(self):
        path = '/servers/%s/metadata' % self.sid('ibmi-dev-1')
        response = self.call('POST', path, json={'metadata': {
            REQUIRED: 'true'}})
        self.assertEqual(200, response.status_code)
        self.assertEqual({'owner': 'dev', 'app': 'erp-test',
                          REQUIRED: 'true',
                          'original_host': '8286-42A_21A7B2V'},
                         response.json()['metadata'])
        self.assertNotIn(sim_records.REFCODE, self.get(path).json()[
            'metadata'])
        self.clock.advance(2)
        metadata = self.get(path).json()['metadata']
        self.assertRegex(metadata[sim_records.REFCODE], '^C2')
        self.assertEqual(32, len(metadata[sim_records.LED_CODE]))
        self.assertRegex(metadata[sim_records.QUERY_TS], r'^\d{20}$')

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
