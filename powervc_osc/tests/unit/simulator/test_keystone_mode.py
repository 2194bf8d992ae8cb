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


"""Keystone mode's application, fed the headers ``auth_token`` sets.

``auth_token`` itself (and a real Keystone) is what the
``functional-keystone`` tests add; here the WSGI application is called
without it, as the middleware would call it for a validated token.
"""

import hashlib

import testtools
from werkzeug import test as wz_test

from powervc_osc.simulator import keystone_mode
from powervc_osc.simulator import records as sim_records
from powervc_osc.simulator import server as sim_server

DEFAULT = sim_records.PROJECTS['ibm-default']
OTHER = sim_records.PROJECTS['other-project']


def confirmed(project_id, roles='member', token='tok'):
    return {'X-Identity-Status': 'Confirmed', 'X-User-Id': 'u1',
            'X-Project-Id': project_id, 'X-Roles': roles,
            'X-Auth-Token': token}


class TestKeystoneMode(testtools.TestCase):

    def setUp(self):
        super().setUp()
        auth = keystone_mode.KeystoneAuth('http://127.0.0.1:1/v3',
                                          username='svc', password='pw')
        self.sim = sim_server.Simulator(keystone=auth)
        self.client = wz_test.Client(self.sim.app)

    def compute(self, project_id, headers):
        return self.client.get(
            '/powervc/openstack/compute/v2.1/%s/servers' % project_id,
            headers=headers)

    def test_scope_from_validated_headers(self):
        response = self.compute(DEFAULT, confirmed(DEFAULT))
        self.assertEqual(200, response.status_code)
        self.assertEqual(9, len(response.json['servers']))
        response = self.compute(OTHER, confirmed(DEFAULT))
        self.assertEqual(403, response.status_code)
        self.assertEqual(403, response.json['forbidden']['code'])
        response = self.compute(OTHER, confirmed(DEFAULT, 'reader, admin'))
        self.assertEqual(200, response.status_code)

    def test_unconfirmed_is_401(self):
        for headers in ({}, {'X-Identity-Status': 'Invalid'}):
            response = self.compute(DEFAULT, headers)
            self.assertEqual(401, response.status_code)
            self.assertEqual(401, response.json['error']['code'])
            self.assertIn('Keystone uri=',
                          response.headers['WWW-Authenticate'])

    def test_builtin_identity_is_off(self):
        for path in ('', '/', '/v3', '/v3/auth/tokens'):
            response = self.client.post('/powervc/openstack/identity' + path)
            self.assertEqual(404, response.status_code, path)
            self.assertEqual('This simulator uses an external Keystone.',
                             response.json['error']['message'])

    def test_seen_tokens_are_digests(self):
        self.compute(DEFAULT, confirmed(DEFAULT, token='secret'))
        self.compute(OTHER, confirmed(DEFAULT, token='secret'))
        seen = self.sim.app.seen_tokens
        self.assertEqual(
            [(hashlib.sha256(b'secret').hexdigest(), 'u1', DEFAULT)] * 2,
            [(r.token, r.user_id, r.project_id) for r in seen])
