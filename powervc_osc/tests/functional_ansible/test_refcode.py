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

"""powervc.refcode.refcode in real playbooks against the simulator."""

from __future__ import annotations

import os
import shlex
import sys
import uuid

from powervc_osc.osc import fields
from powervc_osc.tests.functional_ansible import base
from powervc_osc.tests.functional_ansible.base import task


class TestEnable(base.AnsibleTestCase):

    def test_enable_wait_then_nothing_to_do(self):
        enable = task('refcode', server='ibmi-dev-1', state='enabled',
                      wait=True, interval=1)
        first, second = self.results(self.playbook([enable, enable]))
        self.assertIs(True, first['changed'])
        self.assertIsNotNone(first['refcode']['refcode'])
        self.assertIs(True, first['refcode']['required'])
        self.assertIs(False, second['changed'])
        self.assertEqual(1, len(self.metadata_posts()))
        # The keys and values of `openstack server refcode show -f json`.
        shown = self.openstack('server', 'refcode', 'show', 'ibmi-dev-1',
                               '-f', 'json').json()
        self.assertEqual(list(fields.SHOW_FIELDS), sorted(
            second['refcode'], key=fields.SHOW_FIELDS.index))
        self.assertEqual(set(shown), set(second['refcode']))
        for key in ('id', 'name', 'required'):
            self.assertEqual(shown[key], second['refcode'][key])

    def test_disable(self):
        result, = self.results(self.playbook([
            task('refcode', server='aix-prod-1', state='disabled')]))
        self.assertIs(True, result['changed'])
        self.assertIs(False, result['refcode']['required'])
        shown = self.openstack('server', 'refcode', 'show', 'aix-prod-1',
                               '-f', 'json').json()
        self.assertIs(False, shown['required'])

    def test_as_a_member(self):
        result, = self.results(self.playbook([
            task('refcode', cloud=base.OPERATOR, server='aix-dev-1',
                 state='enabled', wait=True, interval=1)]))
        self.assertIs(True, result['changed'])
        self.assertEqual('aix-dev-1', result['refcode']['name'])
        self.assertIsNotNone(result['refcode']['refcode'])

    def test_by_id_in_every_project(self):
        server_id = self.sim.server_id('other-proj-vm')
        result, = self.results(self.playbook([
            task('refcode', server='other-proj-vm', all_projects=True)]))
        self.assertEqual(server_id, result['refcode']['id'])
        self.assertIs(False, result['changed'])


class TestCheckModeAndDiff(base.AnsibleTestCase):

    def test_check_mode_sends_no_post(self):
        result, = self.results(self.playbook(
            [task('refcode', server='aix-dev-1', state='enabled',
                  wait=True)], '--check', '--diff'))
        self.assertIs(True, result['changed'])
        self.assertEqual({'before': {'required': False},
                          'after': {'required': True}}, result['diff'])
        self.assertIs(False, result['refcode']['required'])
        self.assertEqual([], self.metadata_posts())

    def test_diff_shown(self):
        result = self.playbook(
            [task('refcode', server='ibmi-prod-1', state='disabled')],
            '--diff')
        self.assertIn('-    "required": true', result.out)
        self.assertIn('+    "required": false', result.out)
        self.assertIn('changed: [localhost]', result.out)


class TestWaitFor(base.AnsibleTestCase):

    def test_until_the_ipl_is_over(self):
        self.sim.state.add_server('ipl-1', refcode=True, boot_progress=0.0)
        result, = self.results(self.playbook([
            task('refcode', server='ipl-1', wait_for='[^C].*',
                 interval=1)]))
        self.assertEqual('00000000', result['refcode']['refcode'])
        self.assertEqual('running', result['refcode']['category'])
        self.assertIs(False, result['changed'])

    def test_a_plain_code_in_any_case(self):
        result, = self.results(self.playbook([
            task('refcode', server='aix-prod-1', wait_for='0000')]))
        self.assertEqual('0000', result['refcode']['refcode'])


class TestFailures(base.AnsibleTestCase):
    """Each failure is ``failed`` with one line in ``msg``."""

    def failures(self, *tasks, cloud=base.ADMIN):
        tasks = [task('refcode', cloud=cloud, ignore_errors=True, **t)
                 for t in tasks]
        result = self.playbook(tasks)
        self.assertNotIn('Traceback', result.out)
        found = self.results(result)
        for each in found:
            self.assertIs(True, each.get('failed'), each)
            self.assertNotIn('\n', each['msg'])
            self.assertNotIn('module_stderr', each)
        return [each['msg'] for each in found]

    def test_what_powervc_refuses(self):
        for _ in range(2):
            self.sim.state.add_server('twin', server_id=str(uuid.uuid4()))
        self.sim.state.add_server('slow', refcode=True, boot_progress=0.0,
                                  pace=1000)
        unknown, twin, linux, timeout = self.failures(
            dict(server='no-such-vm'), dict(server='twin'),
            dict(server='linux-web-1', state='enabled'),
            dict(server='slow', wait=True, timeout=1, interval=1))
        self.assertEqual("No server with a name or ID of 'no-such-vm' "
                         "exists.", unknown)
        self.assertIn("More than one server is named 'twin'", twin)
        self.assertIn('HTTP 400', linux)
        self.assertIn('linux', linux)
        self.assertEqual('Server slow reported no reference code within 1 '
                         'second', timeout)
        self.assertEqual([], [r for r in self.metadata_posts()
                              if r.status < 400])

    def test_forbidden(self):
        self.sim.add_fault(path='/metadata$', method='POST', status=403,
                           body='{"forbidden": {"code": 403, "message": '
                                '"Policy does not allow this"}}')
        forbidden, = self.failures(dict(server='aix-dev-1', state='enabled'))
        self.assertIn('HTTP 403', forbidden)
        self.assertIn('Policy does not allow this', forbidden)

    def test_every_project_refused_to_a_member(self):
        refused, = self.failures(
            dict(server='other-proj-vm', all_projects=True),
            cloud=base.OPERATOR)
        self.assertEqual('other-proj-vm: Filtering by all projects needs '
                         'the admin role: '
                         'PowerVC shows this user only the servers of its '
                         'own project.', refused)

    def test_wait_for_times_out(self):
        msg, = self.failures(dict(server='ibmi-stuck-1',
                                  wait_for='00000000', timeout=2,
                                  interval=1))
        self.assertEqual("Server ibmi-stuck-1 reported no code matching "
                         "'00000000' within 2 seconds (last: B2008105)", msg)

    def test_refused_before_any_request(self):
        self.sim.requests.clear()
        msgs = self.failures(
            dict(server='ibmi-dev-1', wait=True),
            dict(server='ibmi-dev-1', state='disabled', wait=True),
            dict(server='ibmi-dev-1', wait_for='C6(', wait=True),
            dict(server='ibmi-dev-1', wait=True, interval=0.5),
            dict(server='ibmi-dev-1', wait=True, timeout=0))
        self.assertEqual([
            'Reference-code collection is off for server ibmi-dev-1, so no '
            'code will come: add state: enabled',
            'wait and wait_for need collection on: they cannot be combined '
            'with state: disabled',
            "wait_for: 'C6(' is not a regular expression: missing ), "
            'unterminated subpattern at position 2',
            'interval: 0.5 is shorter than 1 second: polling faster would '
            'only load PowerVC',
            "timeout: '0.0' must be greater than 0"], msgs)
        self.assertEqual([], self.metadata_posts())

    def test_unknown_cloud(self):
        msg, = self.failures(dict(server='ibmi-dev-1'), cloud='nowhere')
        self.assertIn('nowhere', msg)


class TestSecrets(base.AnsibleTestCase):

    def test_a_password_never_shown(self):
        auth = self.sim.clouds()[base.ADMIN]['auth']
        password = auth['password']
        result = self.playbook(
            [task('refcode', cloud=None, server='ibmi-prod-1',
                  auth_type='password', auth=auth),
             task('refcode', server='ibmi-prod-1'),
             # auth merged over the cloud's.
             task('refcode', server='ibmi-prod-1',
                  auth=dict(password='wrong-pw'), ignore_errors=True)],
            '-vvv')
        self.assertEqual(2, result.out.count('ok: [localhost]'), result.out)
        self.assertIn('HTTP 401', result.out)
        self.assertNotIn(password, result.out + result.err)
        self.assertNotIn('wrong-pw', result.out + result.err)


class TestWithoutPowervcOsc(base.AnsibleTestCase):

    def test_says_how_to_install(self):
        # This Python without its site-packages, where powervc_osc is.
        python = os.path.join(self.home, 'bare-python')
        with open(python, 'w') as stream:
            stream.write('#!/bin/sh\nexec %s -S "$@"\n'
                         % shlex.quote(sys.executable))
        os.chmod(python, 0o755)
        result, = self.results(self.playbook(
            [task('refcode', server='ibmi-prod-1', ignore_errors=True)],
            interpreter=python))
        self.assertIn('pip install powervc-osc', result['msg'])
        self.assertNotIn('\n', result['msg'])
