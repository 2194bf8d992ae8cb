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

"""Keystone v3 tokens: issued in Keystone's shape, expiring, revocable."""

import testtools

from powervc_osc.simulator import identity
from powervc_osc.simulator import records as sim_records
from powervc_osc.simulator import state as sim_state
from powervc_osc.tests.unit.simulator import base

IDENTITY_URL = 'http://127.0.0.1:1/powervc/openstack/identity/v3'
COMPUTE_URL = 'http://127.0.0.1:1/powervc/openstack/compute/v2.1'


def password_auth(user='admin', password=None, scope=None):
    body = {'auth': {'identity': {'methods': ['password'], 'password': {
        'user': {'name': user, 'domain': {'id': sim_records.DOMAIN_ID},
                 'password': (sim_records.USERS[user].password
                              if password is None else password)}}}}}
    if scope is not None:
        body['auth']['scope'] = scope
    return body


class TokenTestCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.clock = base.FakeClock()
        self.wall = base.FakeClock(base.WALL_START)
        self.state = sim_state.SimulatorState(clock=self.clock,
                                              wall_clock=self.wall)
        self.store = identity.TokenStore(self.state, token_ttl=60)

    def issue(self, body=None):
        if body is None:
            body = password_auth()
        return self.store.authenticate(body, IDENTITY_URL, COMPUTE_URL)


class TestTokenBody(TokenTestCase):

    def test_the_body_has_keystones_shape(self):
        token = self.issue().body['token']
        user = sim_records.USERS['admin']
        project_id = sim_records.PROJECTS[user.project]
        self.assertEqual(['password'], token['methods'])
        self.assertEqual((user.id, 'admin', sim_records.DOMAIN_ID),
                         (token['user']['id'], token['user']['name'],
                          token['user']['domain']['id']))
        self.assertEqual((project_id, user.project),
                         (token['project']['id'], token['project']['name']))
        self.assertEqual(
            sorted(user.roles), sorted(r['name'] for r in token['roles']))
        self.assertEqual([sim_records.ROLES[r['name']]
                          for r in token['roles']],
                         [r['id'] for r in token['roles']])
        self.assertEqual(1, len(token['audit_ids']))

    def test_times_are_keystones_utc_format(self):
        token = self.issue().body['token']
        self.assertEqual('2026-01-02T03:04:05.000000Z', token['issued_at'])
        self.assertEqual('2026-01-02T03:05:05.000000Z', token['expires_at'])

    def test_the_catalog_has_identity_and_the_projects_compute(self):
        token = self.issue().body['token']
        catalog = {s['type']: s for s in token['catalog']}
        self.assertEqual({'identity', 'compute'}, set(catalog))
        for service_type, url in (
                ('identity', IDENTITY_URL),
                ('compute', COMPUTE_URL + '/' + token['project']['id'])):
            endpoints = catalog[service_type]['endpoints']
            self.assertEqual(
                [('admin', identity.REGION, url),
                 ('internal', identity.REGION, url),
                 ('public', identity.REGION, url)],
                sorted((e['interface'], e['region_id'], e['url'])
                       for e in endpoints))

    def test_keystoneauth_reads_it(self):
        from keystoneauth1 import access

        info = self.issue()
        ref = access.create(body=info.body, auth_token=info.id)
        self.assertEqual('admin', ref.username)
        self.assertEqual(info.project_id, ref.project_id)
        self.assertEqual(
            COMPUTE_URL + '/' + info.project_id,
            ref.service_catalog.url_for(service_type='compute',
                                        interface='public'))


class TestAuthentication(TokenTestCase):

    def test_a_wrong_password_is_401(self):
        exc = self.assertRaises(identity.IdentityError, self.issue,
                                password_auth(password='wrong'))
        self.assertEqual(401, exc.code)

    def test_a_malformed_body_is_400(self):
        for body in ({}, {'auth': {'identity': {'methods': []}}},
                     {'auth': {'identity': {'methods': ['password']}}}):
            exc = self.assertRaises(identity.IdentityError, self.issue, body)
            self.assertEqual(400, exc.code, body)
            self.assertEqual('Bad Request', exc.body()['error']['title'])

    def test_only_the_users_own_project_can_be_scoped(self):
        other = sim_records.PROJECTS[sim_records.USERS['other'].project]
        body = password_auth(scope={'project': {'id': other}})
        exc = self.assertRaises(identity.IdentityError, self.issue, body)
        self.assertEqual(401, exc.code)

    def test_a_token_gives_a_new_token_for_the_same_user(self):
        first = self.issue()
        second = self.issue({'auth': {'identity': {
            'methods': ['token'], 'token': {'id': first.id}}}})
        self.assertNotEqual(first.id, second.id)
        self.assertEqual(first.user, second.user)


class TestLifetime(TokenTestCase):

    def test_a_token_is_valid_until_its_ttl(self):
        info = self.issue()
        self.clock.advance(59)
        self.assertIs(info, self.store.validate(info.id))
        self.clock.advance(1)
        self.assertIsNone(self.store.validate(info.id))

    def test_revoked_tokens_are_invalid(self):
        one, two = self.issue(), self.issue()
        self.assertTrue(self.store.revoke(one.id))
        self.assertFalse(self.store.revoke(one.id))
        self.assertIsNone(self.store.validate(one.id))
        self.assertIs(two, self.store.validate(two.id))
        self.assertEqual(1, self.store.revoke_all())
        self.assertIsNone(self.store.validate(two.id))

    def test_unknown_or_empty_ids_are_invalid(self):
        self.assertIsNone(self.store.validate(''))
        self.assertIsNone(self.store.validate('gAAAAAnope'))
