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

"""Answers an operator can trust, as an admin and as a member.

The simulator behaves as Nova 34 does for a user without the admin role
(``tox -e functional-nova`` runs the same checks against the real Nova):
its policy refuses ``all_tenants`` (403), it drops ``host`` without a word
and hides the host, and another project's server does not exist (404).
"""

import json
import os
import pty
import subprocess

from powervc_osc.simulator import records as sim_records
from powervc_osc.tests import cli_runner
from powervc_osc.tests.functional import base

OTHER = 'powervc-simulator-other'
NL1 = '9109RMD_1031CAT'
ADMIN_ONLY = ('%s needs the admin role: PowerVC shows this user only the '
              'servers of its own project.\n')


class TestListFilters(base.FunctionalTestCase):

    def names(self, *args, **kwargs):
        result = self.openstack('server', 'refcode', 'list', '-f', 'value',
                                '-c', 'Name', *args, **kwargs)
        return set(result.out.split())

    def test_host_as_admin_and_as_member(self):
        self.assertEqual({'ibmi-prod-1', 'ibmi-prod-2', 'aix-dev-1'},
                         self.names('--host', NL1))
        result = self.openstack('server', 'refcode', 'list', '--host', NL1,
                                cloud=base.OPERATOR, status=1, stderr=True)
        self.assertEqual(('', '--host needs the admin role: PowerVC does '
                              'not show this user which host a server runs '
                              'on.\n'), (result.out, result.err))

    def test_other_projects_as_admin_and_as_members(self):
        self.assertIn('other-proj-vm', self.names('--all-projects'))
        for cloud in (base.OPERATOR, OTHER):
            for option in (['--all-projects'],
                           ['--project', sim_records.PROJECT_OTHER
                            if cloud == base.OPERATOR else
                            sim_records.PROJECT_DEFAULT]):
                result = self.openstack('server', 'refcode', 'list', *option,
                                        cloud=cloud, status=1, stderr=True)
                self.assertEqual(('', ADMIN_ONLY % option[0]),
                                 (result.out, result.err))

    def test_own_project_by_name_for_everyone(self):
        mine = self.names(cloud=base.OPERATOR)
        self.assertNotIn('other-proj-vm', mine)
        self.assertEqual(mine, self.names('--project', 'ibm-default',
                                          cloud=base.OPERATOR))
        self.assertEqual({'other-proj-vm'},
                         self.names('--project', 'other-project',
                                    cloud=OTHER))

    def test_project_by_name_or_id_with_domain(self):
        for project in ('other-project',
                        sim_records.PROJECTS[sim_records.PROJECT_OTHER]):
            self.assertEqual({'other-proj-vm'}, self.names(
                '--project', project, '--project-domain', 'Default'))
        self.assertEqual({'other-proj-vm'},
                         self.names('--project', 'other-project'))

    def test_unknown_project_or_domain(self):
        result = self.openstack('server', 'refcode', 'list', '--project',
                                'no-such-project', status=1, stderr=True)
        self.assertEqual(
            ('', "No project with a name or ID of 'no-such-project' "
                 "exists.\n"), (result.out, result.err))
        result = self.openstack('server', 'refcode', 'list', '--project',
                                'other-project', '--project-domain', 'nodom',
                                status=1, stderr=True)
        self.assertEqual("No domain with a name or ID of 'nodom' exists.\n",
                         result.err)

    def test_rows_never_contradict_status(self):
        for cloud in (base.ADMIN, base.OPERATOR):
            rows = self.openstack('server', 'refcode', 'list', '--status',
                                  'shutoff', '--long', '-f', 'json',
                                  cloud=cloud).json()
            self.assertEqual([('ibmi-off-1', 'SHUTOFF')],
                             [(r['Name'], r['Status']) for r in rows])

    def test_empty_result_says_which_filter(self):
        for cloud in (base.ADMIN, base.OPERATOR):
            result = self.openstack(
                'server', 'refcode', 'list', '--name', '^nothing', '--status',
                'ERROR', '-f', 'json', cloud=cloud, stderr=True)
            self.assertEqual(([], 'No server matched --name ^nothing '
                                  '--status ERROR.\n'),
                             (result.json(), result.err))
        result = self.openstack('server', 'refcode', 'list', '--host',
                                'NOPE', stderr=True)
        self.assertEqual(('', 'No server matched --host NOPE.\n'),
                         (result.out.strip(), result.err))


class TestAllProjectsLookups(base.FunctionalTestCase):

    def test_show_and_set_by_name_in_another_project(self):
        result = self.openstack('server', 'refcode', 'show', 'other-proj-vm',
                                status=1, stderr=True)
        self.assertIn("No server with a name or ID of 'other-proj-vm'",
                      result.err)
        self.openstack('server', 'refcode', 'set', '--disable',
                       'other-proj-vm', '--all-projects')
        rc = self.openstack('server', 'refcode', 'show', 'other-proj-vm',
                            '--all-projects', '-f', 'json').json()
        self.assertEqual(('other-proj-vm', False),
                         (rc['name'], rc['required']))
        # A member may not look in other projects: Nova's policy refuses
        # all_tenants (403), and the plugin says what the option needs.
        for command in (['show', 'other-proj-vm'],
                        ['set', '--enable', 'ibmi-prod-1'],
                        ['set', '--enable', 'ibmi-prod-1', 'ibmi-dev-1']):
            result = self.openstack('server', 'refcode', *command,
                                    '--all-projects', cloud=base.OPERATOR,
                                    status=1, stderr=True)
            self.assertEqual(('', ADMIN_ONLY % '--all-projects'),
                             (result.out, result.err))

    def test_same_ambiguity_rule(self):
        self.sim.state.add_server('ibmi-prod-1', project='other-project',
                                  refcode=True)
        self.openstack('server', 'refcode', 'show', 'ibmi-prod-1')
        result = self.openstack('server', 'refcode', 'show', 'ibmi-prod-1',
                                '--all-projects', status=1, stderr=True)
        self.assertIn("More than one server is named 'ibmi-prod-1'",
                      result.err)


class TestAsNovaAnswers(base.FunctionalTestCase):
    """The answers the real Nova gives (see doc/source/nova.rst)."""

    def test_member_all_tenants_is_refused_by_policy(self):
        result = self.openstack('server', 'refcode', 'list',
                                '--all-projects', cloud=base.OPERATOR,
                                status=1, stderr=True)
        self.assertEqual(ADMIN_ONLY % '--all-projects', result.err)
        self.assertIn(('GET', 403), {
            (r.method, r.status) for r in self.sim.requests
            if r.path.endswith('/servers/detail')})

    def test_conflict_in_vm_state_error(self):
        server = self.sim.state.add_server('ibmi-error-1', status='ERROR')
        result = self.openstack('server', 'refcode', 'set', '--enable',
                                'ibmi-error-1', status=1, stderr=True)
        self.assertIn("(HTTP 409)", result.err)
        self.assertIn("Cannot 'update metadata' instance %s while it is in "
                      "vm_state error" % server.id, result.err)
        self.assertIn('(request ID req-', result.err)
        self.assertEqual(1, len(result.err.splitlines()))

    def test_project_id_with_a_token_and_its_endpoint(self):
        # admin_token: no Keystone to ask, so a project is given by ID.
        token = self.openstack('token', 'issue', '-f', 'value', '-c',
                               'id').out.strip()
        self.set_cloud_option('direct', auth_type='admin_token', auth={
            'endpoint': self.sim.compute_url, 'token': token})
        other = sim_records.PROJECTS[sim_records.PROJECT_OTHER]
        result = self.openstack('server', 'refcode', 'list', '--project',
                                other, '-f', 'value', '-c', 'Name',
                                cloud='direct')
        self.assertEqual(['other-proj-vm'], result.out.split())
        result = self.openstack('server', 'refcode', 'list', '--project',
                                'other-project', cloud='direct', status=1,
                                stderr=True)
        self.assertEqual(
            "Cannot look project 'other-project' up: this login (a token "
            "with its endpoint) has no Keystone to ask; give --project the "
            "project's ID, without --project-domain.\n", result.err)


class TestQuietWatch(base.FunctionalTestCase):

    def watch(self, *args, cloud=base.ADMIN):
        self.sim.requests.clear()
        rows = [json.loads(line) for line in self.openstack(
            'server', 'refcode', 'show', 'slow', '--watch', '--interval',
            '1', '-f', 'json', *args, cloud=cloud).out.splitlines()]
        polls = [r for r in self.sim.requests
                 if r.path.endswith('/metadata')]
        # Each step lasts 5 s and is polled about 5 times: one row.
        self.assertGreater(len(polls), 2 * len(rows))
        changes = [(r['refcode'], r['led_code']) for r in rows]
        self.assertEqual(len(changes), len(set(changes)), changes)
        self.assertTrue(all(r['queried_at'] for r in rows[1:]), rows)
        return changes

    def test_a_row_only_when_the_code_or_led_text_changes(self):
        # Near the end of its boot sequence (the interval's floor is 1 s).
        self.sim.state.add_server('slow', refcode=True, boot_progress=0.8,
                                  pace=25)
        changes = self.watch('--timeout', '10', cloud=base.OPERATOR)
        self.assertLessEqual(len(changes), 4, changes)
        changes = self.watch('--until', '00000000', '--timeout', '120')
        self.assertEqual('00000000', changes[-1][0])


class TestProgress(base.FunctionalTestCase):

    simulator_kwargs = {'servers': 30}

    def test_on_a_terminal_stderr_only(self):
        for cloud in (base.ADMIN, base.OPERATOR):
            self.check_on_a_terminal(cloud)

    def check_on_a_terminal(self, cloud):
        listed = self.openstack('server', 'refcode', 'list', '-f', 'value',
                                '-c', 'Name', cloud=cloud).out.split()
        controller, terminal = pty.openpty()
        self.addCleanup(os.close, controller)
        with subprocess.Popen(
                self.openstack_command(['server', 'refcode', 'list',
                                        '--max-workers', '2', '-f', 'value',
                                        '-c', 'Name'], cloud),
                env=self.environment(), cwd=self.home,
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=terminal, text=True,
                preexec_fn=cli_runner.default_sigint) as process:
            os.close(terminal)
            out, _ = process.communicate(timeout=cli_runner.COMMAND_TIMEOUT)
            err = _read_all(controller)
        self.assertEqual(0, process.returncode, err)
        self.assertEqual(sorted(listed), sorted(out.split()))
        self.assertNotIn('servers done', out)
        total = len(listed)
        self.assertIn('\r\x1b[K1/%d servers done' % total, err)
        self.assertIn('\r\x1b[K%d/%d servers done' % (total, total), err)
        self.assertTrue(err.endswith('\r\x1b[K'), repr(err[-40:]))

    def test_never_off_a_terminal(self):
        for cloud in (base.ADMIN, base.OPERATOR):
            result = self.openstack('server', 'refcode', 'list', cloud=cloud)
            self.assertNotIn('servers done', result.out)


def _read_all(fd):
    """Everything written to a pty whose other end is closed."""
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:     # EIO: the writer is gone
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b''.join(chunks).decode()
