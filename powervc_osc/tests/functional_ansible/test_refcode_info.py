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

"""powervc.refcode.refcode_info in real playbooks against the simulator."""

from __future__ import annotations

from powervc_osc.options import filters
from powervc_osc.osc import fields
from powervc_osc.simulator import records
from powervc_osc.tests.functional_ansible import base
from powervc_osc.tests.functional_ansible.base import task

OTHER_PROJECT = records.PROJECTS['other-project']


def names(result):
    return [rc['name'] for rc in result['refcodes']]


class TestInfo(base.AnsibleTestCase):

    def test_filters_as_refcode_list(self):
        filters = [
            dict(host='9109RMD_1031CAT'),
            dict(name='^ibmi-', status='shutoff'),
            dict(enabled_only=True),
            dict(all_projects=True, enabled_only=True),
            dict(project=OTHER_PROJECT),
            dict(server='aix-prod-1'),
        ]
        results = self.results(self.playbook(
            [task('refcode_info', **f) for f in filters], '--check'))
        cli = [
            ('--host', '9109RMD_1031CAT'),
            ('--name', '^ibmi-', '--status', 'SHUTOFF'),
            ('--enabled-only',),
            ('--all-projects', '--enabled-only'),
            ('--project', OTHER_PROJECT),
            ('aix-prod-1',),
        ]
        for result, options in zip(results, cli):
            self.assertIs(False, result['changed'])
            rows = self.openstack('server', 'refcode', 'list', *options,
                                  '-f', 'json').json()
            self.assertEqual([r['Name'] for r in rows], names(result),
                             options)
            for rc in result['refcodes']:
                self.assertEqual(list(fields.SHOW_FIELDS), list(rc))
        self.assertEqual(['ibmi-off-1'], names(results[1]))
        self.assertEqual(['other-proj-vm'], names(results[4]))
        self.assertEqual([], self.metadata_posts())

    def test_max_age_reads_the_listing(self):
        self.sim.requests.clear()
        result, = self.results(self.playbook(
            [task('refcode_info', enabled_only=True, max_age=3600)]))
        self.assertTrue(result['refcodes'])
        reads = [r for r in self.sim.requests
                 if r.path.endswith('/metadata')]
        self.assertLess(len(reads), len(result['refcodes']))

    def test_as_a_member(self):
        own, host = self.results(self.playbook([
            task('refcode_info', cloud=base.OPERATOR),
            task('refcode_info', cloud=base.OPERATOR,
                 host='9109RMD_1031CAT', ignore_errors=True)]))
        self.assertNotIn('other-proj-vm', names(own))
        self.assertIn('ibmi-prod-1', names(own))
        self.assertIs(True, host['failed'])
        self.assertIn('needs the admin role', host['msg'])
        self.assertNotIn('\n', host['msg'])

    def test_bad_options(self):
        results = self.results(self.playbook([
            task('refcode_info', server='aix-prod-1', host='h',
                 ignore_errors=True),
            task('refcode_info', status='RUNNING', ignore_errors=True),
            task('refcode_info', max_age=-1, ignore_errors=True),
            task('refcode_info', server='no-such-vm', ignore_errors=True)]))
        self.assertEqual([
            'server cannot be combined with host',
            "status: 'RUNNING' is not a Nova server status (one of %s)"
            % ', '.join(filters.NOVA_STATUSES),
            "max_age: '-1.0' is not between 0 and 86400",
            "1 server(s) failed: No server with a name or ID of "
            "'no-such-vm' exists."],
            [r['msg'] for r in results])
