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

from powervc_osc.tests import cli_runner


class TestExplainOffline(cli_runner.CLITestCase):

    def explain(self, *args, options=(), **check):
        """The real executable, an empty environment but a temp HOME."""
        return self.run_command(
            [cli_runner.OPENSTACK] + list(options) +
            ['server', 'refcode', 'explain'] + list(args),
            env={'HOME': self.home}, **check)

    def test_json_without_clouds_yaml(self):
        [row] = self.explain('C6004031', '-f', 'json').json()
        self.assertEqual(('C6004031', 'progress'),
                         (row['Code'], row['Category']))
        self.assertIn('Licensed Internal Code', row['Meaning'])
        self.assertIn('https://www.ibm.com/', row['Source'])

    def test_unreachable_cloud_settings_are_not_used(self):
        # An auth URL nobody listens on: any network call would fail.
        result = self.explain(
            '0553', 'Linux ppc64', '-f', 'value', '-c', 'Category',
            options=('--os-auth-url', 'http://127.0.0.1:9/v3',
                     '--os-username', 'nobody'))
        self.assertEqual('progress\nunknown\n', result.out)

    def test_missing_code_is_a_usage_error(self):
        result = self.explain(status=2, stderr=True)
        self.assertIn('<code>', result.err)
