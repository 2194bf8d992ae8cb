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


"""The ``openstack`` executable against the real Nova API (``nova`` 34).

One Keystone and one Nova serve every test of this module:
``setUpModule`` starts them and ``tearDownModule`` stops them, so run
these tests in one worker (``tox -e functional-nova`` does).  Nova lists
at most :data:`~nova_fixture.MAX_LIMIT` servers a page, so every listing
is paged.  Nova never moves reference codes: the ``powervc:*`` keys are
the fleet's (:data:`~nova_fixture.FLEET`).  Tests that change a server use
their own (``set-*``, ``osc-prop-1``).  A test fails on a traceback or on
anything unexpected on stderr.
"""

import math
import os
import re
import signal
import subprocess
import sys

import fixtures
from testtools import content
import yaml

from powervc_osc.simulator import records as sim_records
from powervc_osc.tests import cli_runner
from powervc_osc.tests.functional_keystone import keystone_fixture as kf
from powervc_osc.tests.functional_nova import nova_fixture as nf

ENV = None

ADMIN_ONLY = ('%s needs the admin role: PowerVC shows this user only the '
              'servers of its own project.\n')
HOST_ADMIN_ONLY = ('--host needs the admin role: PowerVC does not show this '
                   'user which host a server runs on.\n')
REQUEST_ID = re.compile(r'\(request ID (req-[0-9a-f-]{36})\)$')


def setUpModule():
    global ENV
    env = nf.NovaEnvironment()
    env.setUp()
    ENV = env
    print('functional-nova setup: %s' % ', '.join(
        '%s %.1fs' % item for item in sorted(env.timings.items())),
        file=sys.stderr)


def tearDownModule():
    global ENV
    env, ENV = ENV, None
    if env is not None:
        env.cleanUp()


def names(project):
    """The names of the fleet's servers in ``project``."""
    return {s['name'] for s in nf.FLEET if s['project'] == project}


OWN = names(nf.DEFAULT)
OTHERS = names(nf.OTHER)


class NovaTestCase(cli_runner.CLITestCase):
    """:meth:`openstack` runs as ``admin``, ``operator`` or ``other``."""

    cloud = 'admin'

    def setUp(self):
        super().setUp()
        if ENV is None:
            self.skipTest('the Nova environment did not start')
        self.env = ENV
        self.clouds_yaml = self.write_clouds()
        self.addDetail('nova-log', content.Content(
            content.UTF8_TEXT, lambda: [self.env.nova.logs().encode()]))

    def write_clouds(self, **extra):
        """A clouds.yaml with a password cloud per user, plus ``extra``."""
        clouds = {}
        for user in ('admin', 'operator', 'other'):
            entry = sim_records.USERS[user]
            clouds[user] = {
                'auth_type': 'password',
                'auth': {'auth_url': self.env.keystone.auth_url,
                         'username': user, 'password': entry.password,
                         'project_name': entry.project,
                         'project_domain_name': sim_records.DOMAIN_NAME,
                         'user_domain_name': sim_records.DOMAIN_NAME},
                'identity_api_version': 3, 'region_name': nf.REGION}
        clouds.update(extra)
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'clouds.yaml')
        with open(path, 'w') as stream:
            yaml.safe_dump({'clouds': clouds}, stream)
        return path

    def listed(self, *args, cloud='admin', **kwargs):
        result = self.openstack('server', 'refcode', 'list', '-f', 'json',
                                *args, cloud=cloud, **kwargs)
        return {row['Name'] for row in result.json()}

    def show(self, server, *args, cloud='admin'):
        return self.openstack('server', 'refcode', 'show', server, '-f',
                              'json', *args, cloud=cloud).json()

    def failed(self, *args, cloud='admin', status=1):
        """Run a command that must fail; returns its one stderr line."""
        result = self.openstack(*args, cloud=cloud, status=status,
                                stderr=True)
        self.assertEqual('', result.out)
        self.assertEqual(1, len(result.err.splitlines()), result)
        return result.err

    def detail_requests(self):
        return [path for method, path, status in self.env.nova.requests()
                if method == 'GET' and '/servers/detail' in path]


class TestShow(NovaTestCase):

    def test_by_name_with_regex_trap_names(self):
        # Nova's name filter is a regular expression: 'web.1' matches
        # web.11 and webX1 too.  The plugin shows the one named exactly.
        for name in ('web.1', 'web.11', 'webX1'):
            row = self.show(name, cloud='operator')
            self.assertEqual((name, nf.BY_NAME[name]['id']),
                             (row['name'], row['id']))

    def test_by_id(self):
        server = nf.BY_NAME['ibmi-prod-1']
        row = self.show(server['id'], cloud='operator')
        # An LED text of padding only is no text.
        self.assertEqual(
            ('ibmi-prod-1', '00000000', True, None),
            (row['name'], row['refcode'], row['required'], row['led_code']))
        self.assertEqual('2026-11-27T14:42:52.827393', row['queried_at'])

    def test_not_found(self):
        self.assertEqual("No server with a name or ID of 'nosuch' exists.\n",
                         self.failed('server', 'refcode', 'show', 'nosuch'))
        missing = '12345678-1234-4234-8234-123456789012'
        self.assertEqual(
            "No server with a name or ID of %r exists.\n" % missing,
            self.failed('server', 'refcode', 'show', missing))

    def test_other_projects_server_is_not_found_for_a_member(self):
        # Nova reads servers within the member's project: 404, not 403.
        other = nf.BY_NAME['other-proj-vm']['id']
        self.assertEqual(
            "No server with a name or ID of %r exists.\n" % other,
            self.failed('server', 'refcode', 'show', other,
                        cloud='operator'))
        self.assertEqual('other-proj-vm',
                         self.show(other, cloud='other')['name'])

    def test_all_projects_as_admin(self):
        self.failed('server', 'refcode', 'show', 'other-proj-vm')
        row = self.show('other-proj-vm', '--all-projects')
        self.assertEqual(('other-proj-vm', 'C9002960'),
                         (row['name'], row['refcode']))

    def test_all_projects_as_member_needs_admin(self):
        for command in (['show', 'web.1'], ['set', '--enable', 'web.1'],
                        ['set', '--enable', 'web.1', 'web.11']):
            self.assertEqual(
                ADMIN_ONLY % '--all-projects',
                self.failed('server', 'refcode', *command, '--all-projects',
                            cloud='operator'))


class TestList(NovaTestCase):

    def test_every_page(self):
        before = len(self.detail_requests())
        self.assertEqual(OWN, self.listed(cloud='operator'))
        pages = len(self.detail_requests()) - before
        self.assertEqual(math.ceil(len(OWN) / nf.MAX_LIMIT), pages)
        self.assertNotEqual(0, len(OWN) % nf.MAX_LIMIT)

    def test_empty_last_page(self):
        # Three servers fill one page: Nova sends a next link, and the
        # page after it is empty.
        before = len(self.detail_requests())
        self.assertEqual({'web.1', 'web.11', 'webX1'},
                         self.listed('--name', '^web', cloud='operator'))
        self.assertEqual(2, len(self.detail_requests()) - before)

    def test_name_is_nova_regex(self):
        self.assertEqual({'web.1', 'web.11', 'webX1'},
                         self.listed('--name', 'web.1'))
        self.assertEqual({'web.1'}, self.listed('--name', r'^web\.1$'))

    def test_all_projects(self):
        self.assertEqual(OWN | OTHERS, self.listed('--all-projects'))
        self.assertEqual(OWN, self.listed())
        for cloud in ('operator', 'other'):
            self.assertEqual(
                ADMIN_ONLY % '--all-projects',
                self.failed('server', 'refcode', 'list', '--all-projects',
                            cloud=cloud))

    def test_host(self):
        on_nl1 = {s['name'] for s in nf.FLEET if s['host'] == nf.NL1}
        rows = self.openstack('server', 'refcode', 'list', '--host', nf.NL1,
                              '--long', '-f', 'json').json()
        self.assertEqual(on_nl1 & OWN, {r['Name'] for r in rows})
        self.assertEqual({nf.NL1}, {r['Host'] for r in rows})
        self.assertEqual(on_nl1, self.listed('--host', nf.NL1,
                                             '--all-projects'))
        # Nova drops a member's host filter without a word; the plugin
        # says that it needs the admin role.
        for extra in ([], ['--all-projects']):
            self.assertIn(self.failed(
                'server', 'refcode', 'list', '--host', nf.NL1, *extra,
                cloud='operator'),
                (HOST_ADMIN_ONLY, ADMIN_ONLY % '--all-projects'))

    def test_project_by_name_and_id(self):
        project_id = self.env.project_id(nf.OTHER)
        for project in (nf.OTHER, project_id):
            self.assertEqual(OTHERS, self.listed('--project', project))
        self.assertEqual(ADMIN_ONLY % '--project', self.failed(
            'server', 'refcode', 'list', '--project', nf.OTHER,
            cloud='operator'))
        # One's own project needs no all_tenants, which Nova refuses.
        self.assertEqual(OWN, self.listed('--project', nf.DEFAULT,
                                          cloud='operator'))

    def test_project_with_a_pre_issued_token(self):
        token = self.env.token('admin')
        clouds = self.write_clouds(token={
            'auth_type': 'token',
            'auth': {'auth_url': self.env.keystone.auth_url,
                     'token': token, 'project_name': nf.DEFAULT,
                     'project_domain_name': sim_records.DOMAIN_NAME},
            'identity_api_version': 3, 'region_name': nf.REGION})
        project_id = self.env.project_id(nf.OTHER)
        for project in (nf.OTHER, project_id):
            self.assertEqual(OTHERS, self.listed(
                '--project', project, cloud='token', clouds_yaml=clouds))

    def test_project_with_a_token_and_its_endpoint(self):
        # admin_token: no Keystone to ask, so a project is given by ID.
        own = self.env.project_id(nf.DEFAULT)
        clouds = self.write_clouds(direct={
            'auth_type': 'admin_token',
            'auth': {'endpoint': '%s/v2.1/%s' % (self.env.nova.url, own),
                     'token': self.env.token('admin')}})
        self.assertEqual(OTHERS, self.listed(
            '--project', self.env.project_id(nf.OTHER), cloud='direct',
            clouds_yaml=clouds))
        err = self.openstack('server', 'refcode', 'list', '--project',
                             nf.OTHER, cloud='direct', clouds_yaml=clouds,
                             status=1, stderr=True).err
        self.assertEqual(
            "Cannot look project 'other-project' up: this login (a token "
            "with its endpoint) has no Keystone to ask; give --project the "
            "project's ID, without --project-domain.\n", err)


class TestSet(NovaTestCase):

    def test_enable_several_keeps_every_other_key(self):
        servers = ('set-1', 'set-2', 'set-3')
        result = self.openstack('server', 'refcode', 'set', '--enable',
                                *servers, cloud='operator')
        self.assertEqual('', result.out)
        for name in servers:
            self.assertTrue(self.show(name, cloud='operator')['required'])
            expected = dict(nf.BY_NAME[name]['metadata'])
            expected['powervc:vm_refcode_required'] = 'true'
            self.assertEqual(expected, self.env.metadata(name))

    def test_conflict_in_vm_state_error(self):
        line = self.failed('server', 'refcode', 'set', '--enable',
                           'ibmi-error-1', cloud='operator')
        self.assertIn('(HTTP 409)', line)
        self.assertIn("Cannot 'update metadata' instance %s while it is in "
                      "vm_state error" % nf.BY_NAME['ibmi-error-1']['id'],
                      line)
        self.assertFalse(self.show('ibmi-error-1')['required'])


class TestErrors(NovaTestCase):

    def assert_request_id_logged(self, line):
        match = REQUEST_ID.search(line.strip())
        self.assertIsNotNone(match, line)
        with open(self.env.nova.log_file) as stream:
            self.assertIn(match.group(1), stream.read())

    def test_request_ids_in_error_lines(self):
        self.assert_request_id_logged(self.failed(
            'server', 'refcode', 'set', '--enable', 'ibmi-error-1'))
        self.assert_request_id_logged(self.failed(
            'server', 'refcode', 'show', nf.BROKEN))

    def test_newlines_in_an_error_body(self):
        # Nova's 500 body is two lines: "Unexpected API Error. ...\n<class
        # '...'>".  The error stays one line, with a space for the newline.
        line = self.failed('server', 'refcode', 'show', nf.BROKEN)
        self.assertIn('(HTTP 500)', line)
        self.assertIn("Unexpected API Error. Please contact the "
                      "administrator <class 'AttributeError'>", line)
        self.assertNotIn('\ufffd', line)


class TestOSCCrossChecks(NovaTestCase):
    """OSC's own compute commands agree with the plugin."""

    def test_server_show(self):
        for name in ('web.1', 'ibmi-prod-1'):
            row = self.openstack('server', 'show', name, '-f', 'json',
                                 cloud='operator').json()
            rc = self.show(name, cloud='operator')
            self.assertEqual((row['id'], row['name']), (rc['id'], rc['name']))

    def test_server_list(self):
        rows = self.openstack('server', 'list', '-f', 'json',
                              cloud='operator').json()
        self.assertEqual(OWN, {row['Name'] for row in rows})
        self.assertEqual(OWN, self.listed(cloud='operator'))

    def test_server_set_property_then_refcode_set(self):
        self.openstack('server', 'set', '--property', 'rack=r12',
                       'osc-prop-1', cloud='operator')
        self.openstack('server', 'refcode', 'set', '--enable', 'osc-prop-1',
                       cloud='operator')
        row = self.openstack('server', 'show', 'osc-prop-1', '-f', 'json',
                             '-c', 'properties', cloud='operator').json()
        self.assertEqual({'owner': 'osc', 'rack': 'r12',
                          'powervc:vm_refcode_required': 'true'},
                         row['properties'])
        self.assertTrue(self.show('osc-prop-1', cloud='operator')['required'])


class TestNovaServeStops(cli_runner.CLITestCase):
    """tools/nova/serve.py stops on SIGTERM while it waits to load."""

    def test_sigterm_while_waiting(self):
        directory = self.useFixture(fixtures.TempDir()).path
        port_file = os.path.join(directory, 'port')
        process = subprocess.Popen(
            [sys.executable, os.path.join(nf.TOOLS_DIR, 'serve.py'),
             '--config-dir', directory, '--port-file', port_file,
             '--wait-for', os.path.join(directory, 'never')],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        self.addCleanup(kf.stop_process, process)
        self.assertTrue(kf.wait_for_file(port_file, process))
        process.send_signal(signal.SIGTERM)
        self.assertEqual(128 + signal.SIGTERM, process.wait(60))
