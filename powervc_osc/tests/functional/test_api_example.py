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

"""The documented Python API and its example script, against the simulator.
"""

import os
import sys

import fixtures

import powervc_osc
from powervc_osc.tests.functional import base

EXAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..',
                       '..', '..', 'doc', 'source', 'examples',
                       'ipl_report.py')


class TestPythonAPI(base.FunctionalTestCase):

    def setUp(self):
        super().setUp()
        # This process gets the environment the commands get.
        env = self.environment()
        for name in set(os.environ) | set(env):
            if os.environ.get(name) != env.get(name):
                self.useFixture(fixtures.EnvironmentVariable(
                    name, env.get(name)))

    def test_three_lines(self):
        client = powervc_osc.RefcodeClient.from_cloud(base.ADMIN)
        rc = client.show('ibmi-stuck-1')
        self.assertIsInstance(rc, powervc_osc.Refcode)
        self.assertEqual(('B2008105', True), (rc.refcode, rc.required))
        self.assertEqual('2', rc.raw['powervc:vm_refcode_query_ts'][0])

    def test_every_error_is_a_refcode_error(self):
        exc = self.assertRaises(powervc_osc.RefcodeError,
                                powervc_osc.RefcodeClient.from_cloud,
                                'no-such-cloud')
        self.assertIsInstance(exc, powervc_osc.ConfigurationError)
        member = powervc_osc.RefcodeClient.from_cloud(base.OPERATOR)
        exc = self.assertRaises(powervc_osc.RefcodeError, list,
                                member.list(host='9109RMD_1031CAT'))
        self.assertIsInstance(exc, powervc_osc.AdminRequired)
        admin = powervc_osc.RefcodeClient.from_cloud(base.ADMIN)
        self.assertEqual('other-proj-vm', admin.show(
            'other-proj-vm', all_projects=True).server_name)

    def test_from_connection(self):
        import openstack

        conn = openstack.connect(cloud=base.ADMIN)
        client = powervc_osc.RefcodeClient.from_connection(conn)
        client.set_required('aix-dev-1', True)
        rc = client.wait('aix-dev-1', timeout=60, interval=0.2)
        self.assertIsNotNone(rc.refcode)
        self.assertRaises(powervc_osc.BadRequest, client.set_required,
                          'linux-web-1', True)

    def test_example_script(self):
        result = self.run_command([sys.executable, EXAMPLE, base.ADMIN],
                                  self.environment())
        lines = result.out.splitlines()
        self.assertIn('ibmi-stuck-1', '\n'.join(lines))
        self.assertIn('B2008105', '\n'.join(lines))
        self.assertNotIn('ibmi-prod-1 ', '\n'.join(lines))
        # Off, at the steady code it kept: not running all the same.
        off = [line.split()[:3] for line in lines
               if line.startswith('ibmi-off-1 ')]
        self.assertEqual([['ibmi-off-1', 'SHUTOFF', '00000000']], off)
