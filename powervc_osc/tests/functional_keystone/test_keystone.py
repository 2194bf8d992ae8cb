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

"""The ``openstack`` executable against a real Keystone.

One Keystone (and a simulator per region) serves every test of this
module: ``setUpModule`` starts it and ``tearDownModule`` stops it, so run
these tests in one worker (``tox -e functional-keystone`` does).  Each
test writes a clouds.yaml from a template of ``clouds/`` (the files the
documentation shows) and runs the installed ``openstack`` executable.  A
test fails on a traceback or on anything unexpected on stderr.
"""

import json
import os
import time

import fixtures
import requests
from testtools import content

from powervc_osc.simulator import records as sim_records
from powervc_osc.tests import cli_runner
from powervc_osc.tests.functional_keystone import keystone_fixture as kf

ENV = None


def setUpModule():
    global ENV
    env = kf.KeystoneEnvironment()
    env.setUp()
    ENV = env


def tearDownModule():
    global ENV
    env, ENV = ENV, None
    if env is not None:
        env.cleanUp()


class KeystoneTestCase(cli_runner.CLITestCase):
    """:meth:`openstack` runs with the clouds.yaml it is given."""

    def setUp(self):
        super().setUp()
        if ENV is None:
            self.skipTest('the Keystone environment did not start')
        self.env = ENV
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.addDetail('keystone-log', content.Content(
            content.UTF8_TEXT,
            lambda: [self.env.keystone.logs().encode('utf-8')]))

    # -- clouds.yaml --------------------------------------------------

    def clouds(self, template, **values):
        values.setdefault('auth_url', self.env.keystone.auth_url)
        values.setdefault('cacert', os.path.join(self.tmp, 'unused-ca.pem'))
        values.setdefault('region_name', kf.REGION_ONE)
        path = os.path.join(self.tmp, 'clouds-%d.yaml' % len(os.listdir(
            self.tmp)))
        return kf.render_clouds(template, path, **values)

    def password_clouds(self, username='operator', **values):
        user = sim_records.USERS[username]
        values.setdefault('password', user.password)
        return self.clouds('clouds-password.yaml', username=user.name,
                           project_name=user.project, **values)

    def show(self, clouds_yaml, server):
        return self.openstack('server', 'refcode', 'show', server, '-f',
                              'json', clouds_yaml=clouds_yaml).json()


class TestAuthentication(KeystoneTestCase):
    """Each clouds.yaml form of the documentation, against Keystone."""

    def assert_booted(self, row, name='ibmi-prod-1'):
        self.assertEqual(name, row['name'])
        self.assertEqual(sim_records.server_uuid(name), row['id'])
        self.assertIs(True, row['required'])
        self.assertEqual('00000000', row['refcode'])
        self.assertEqual('Running', row['led_code'])

    def test_password(self):
        self.assert_booted(self.show(self.password_clouds(), 'ibmi-prod-1'))

    def test_application_credential(self):
        cred_id, secret = self.env.create_application_credential(
            'operator', 'powervc-osc-%s' % self.getUniqueString())
        clouds = self.clouds('clouds-appcred.yaml',
                             application_credential_id=cred_id,
                             application_credential_secret=secret)
        self.assert_booted(self.show(clouds, 'ibmi-prod-1'))

    def test_pre_issued_token(self):
        token = self.env.issue_token('operator')
        clouds = self.clouds('clouds-token.yaml', token=token,
                             project_name='ibm-default')
        self.assert_booted(self.show(clouds, 'ibmi-prod-1'))

    def test_wrong_password(self):
        clouds = self.password_clouds(password='not-the-password')
        result = self.openstack('server', 'refcode', 'show', 'ibmi-prod-1',
                                clouds_yaml=clouds, status=1, stderr=True)
        self.assertIn('401', result.err)
        self.assertEqual('', result.out)


class TestScope(KeystoneTestCase):
    """Project scope comes from the token that Keystone validated."""

    def test_member_denied_other_projects_server(self):
        other_vm = sim_records.server_uuid('other-proj-vm')
        result = self.openstack(
            'server', 'refcode', 'show', other_vm,
            clouds_yaml=self.password_clouds('operator'), status=1,
            stderr=True)
        self.assertIn('HTTP 403', result.err)
        self.assertIn(other_vm, result.err)
        self.assertEqual(1, len(result.err.strip().splitlines()), result)
        self.assertEqual('', result.out)
        # Its owner may.
        row = self.show(self.password_clouds('other'), other_vm)
        self.assertEqual('other-proj-vm', row['name'])

    def test_member_lists_own_project(self):
        result = self.openstack('server', 'refcode', 'list', '-f', 'json',
                                clouds_yaml=self.password_clouds('operator'))
        names = {row['Name'] for row in result.json()}
        self.assertIn('ibmi-prod-1', names)
        self.assertNotIn('other-proj-vm', names)

    def test_admin_all_projects(self):
        clouds = self.password_clouds('admin')
        result = self.openstack('server', 'refcode', 'list',
                                '--all-projects', '--long', '-f', 'json',
                                clouds_yaml=clouds)
        names = {row['Name'] for row in result.json()}
        self.assertIn('other-proj-vm', names)
        self.assertIn('ibmi-prod-1', names)
        hosts = {row['Host'] for row in result.json()}
        self.assertIn(sim_records.HOST_NL1, hosts)
        own = self.openstack('server', 'refcode', 'list', '-f', 'json',
                             clouds_yaml=clouds)
        self.assertNotIn('other-proj-vm', {r['Name'] for r in own.json()})


class TestMiddleware(KeystoneTestCase):
    """The simulator trusts only what auth_token validated."""

    def url(self, server='ibmi-prod-1'):
        sim = self.env.simulators[kf.REGION_ONE]
        return '%s/v2.1/%s/servers/%s/metadata' % (
            sim.compute_root, sim_records.PROJECTS['other-project'],
            sim_records.server_uuid(server))

    def test_forged_identity_headers_are_ignored(self):
        answer = requests.get(self.url(), timeout=30, headers={
            'X-Identity-Status': 'Confirmed', 'X-Roles': 'admin',
            'X-Project-Id': sim_records.PROJECTS['other-project'],
            'X-User-Id': 'forged'})
        self.assertEqual(401, answer.status_code)
        self.assertIn(self.env.keystone.auth_url,
                      answer.headers.get('WWW-Authenticate', ''))

    def test_invalid_token(self):
        answer = requests.get(self.url(), timeout=30,
                              headers={'X-Auth-Token': 'gAAAAAnot-a-token'})
        self.assertEqual(401, answer.status_code)

    def test_scope_comes_from_the_token(self):
        # operator's token, another project's URL: 403, as Nova says.
        token = self.env.issue_token('operator')
        answer = requests.get(self.url('other-proj-vm'), timeout=30,
                              headers={'X-Auth-Token': token})
        self.assertEqual(403, answer.status_code)
        token = self.env.issue_token('other')
        answer = requests.get(self.url('other-proj-vm'), timeout=30,
                              headers={'X-Auth-Token': token})
        self.assertEqual(200, answer.status_code)
        self.assertIn('powervc:vm_refcode', answer.json()['metadata'])


class TestRegions(KeystoneTestCase):
    """region_name picks the compute endpoint from Keystone's catalog."""

    def test_region_two(self):
        sim_one = self.env.simulators[kf.REGION_ONE]
        sim_two = self.env.simulators[kf.REGION_TWO]
        before_one = len(sim_one.requests)
        before_two = len(sim_two.requests())
        result = self.openstack(
            'server', 'refcode', 'list', '-f', 'json',
            clouds_yaml=self.password_clouds(region_name=kf.REGION_TWO))
        self.assertEqual(sorted(kf.REGION_TWO_SERVERS),
                         sorted(row['Name'] for row in result.json()))
        self.assertEqual(before_one, len(sim_one.requests))
        new = sim_two.requests()[before_two:]
        self.assertIn('/servers/detail',
                      {r['path'].rsplit('/v2.1/', 1)[-1][32:] for r in new})
        self.assertEqual({200}, {r['status'] for r in new})

    def test_region_one_does_not_have_region_two_servers(self):
        name = kf.REGION_TWO_SERVERS[0]
        result = self.openstack(
            'server', 'refcode', 'show', name, status=1, stderr=True,
            clouds_yaml=self.password_clouds(region_name=kf.REGION_ONE))
        self.assertIn(name, result.err)
        self.assertEqual(1, len(result.err.strip().splitlines()), result)


class TestTokenExpiry(KeystoneTestCase):

    def test_watch_outlives_its_token(self):
        # Authenticate with the Keystone process whose tokens live a few
        # seconds, and watch for longer than that.
        sim = self.env.simulators[kf.REGION_ONE]
        keystone = self.env.short_keystone
        started = time.time()
        result = self.openstack(
            'server', 'refcode', 'show', 'ibmi-prod-1', '--watch',
            '--interval', '1', '--timeout', str(keystone.expiration + 3),
            '-f', 'json', clouds_yaml=self.password_clouds(
                'operator', auth_url=keystone.auth_url))
        finished = time.time()
        rows = [json.loads(line) for line in result.out.splitlines()]
        # A row per change of code or LED text (a new query time alone is
        # none); the polls themselves are counted below.
        self.assertGreaterEqual(len(rows), 1)
        self.assertEqual({'ibmi-prod-1'}, {row['name'] for row in rows})
        self.assertGreater(finished - started, keystone.expiration)
        seen = [r for r in sim.app.seen_tokens
                if started <= r.seen <= finished]
        self.assertGreaterEqual(len(seen), 3)
        first = seen[0]
        self.assertIsNotNone(first.expires)
        # Keystone's first token expired while the watch went on, and
        # requests after that carried newer tokens that were accepted.
        later = [r for r in seen if r.seen > first.expires]
        self.assertNotEqual([], later)
        self.assertNotIn(first.token, {r.token for r in later})
