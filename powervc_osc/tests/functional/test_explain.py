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

"""``openstack server refcode explain`` with no cloud at all."""

import json
import subprocess

import fixtures
import testtools

from powervc_osc.tests.functional import base


class TestExplainOffline(testtools.TestCase):

    def openstack(self, *args):
        """The real executable, empty environment, HOME in a temp dir."""
        home = self.useFixture(fixtures.TempDir()).path
        completed = subprocess.run(
            [base.OPENSTACK] + list(args), capture_output=True, text=True,
            timeout=base.COMMAND_TIMEOUT, env={'HOME': home})
        return completed

    def test_json_without_clouds_yaml(self):
        completed = self.openstack('server', 'refcode', 'explain',
                                   'C6004031', '-f', 'json')
        self.assertEqual((0, ''), (completed.returncode, completed.stderr))
        [row] = json.loads(completed.stdout)
        self.assertEqual(('C6004031', 'progress'),
                         (row['Code'], row['Category']))
        self.assertIn('Licensed Internal Code', row['Meaning'])
        self.assertIn('https://www.ibm.com/', row['Source'])

    def test_unreachable_cloud_settings_are_not_used(self):
        # An auth URL nobody listens on: any network call would fail.
        completed = subprocess.run(
            [base.OPENSTACK, '--os-auth-url', 'http://127.0.0.1:9/v3',
             'server', 'refcode', 'explain', '0553', 'Linux ppc64',
             '-f', 'value', '-c', 'Category'],
            capture_output=True, text=True, timeout=base.COMMAND_TIMEOUT,
            env={'HOME': self.useFixture(fixtures.TempDir()).path})
        self.assertEqual((0, 'progress\nunknown\n', ''),
                         (completed.returncode, completed.stdout,
                          completed.stderr))
