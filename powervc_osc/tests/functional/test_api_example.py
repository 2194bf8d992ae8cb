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
import subprocess
import sys

import fixtures

import powervc_osc
from powervc_osc.tests.functional import base

EXAMPLE = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'doc',
                       'source', 'examples', 'ipl_report.py')


class TestPythonAPI(base.FunctionalTestCase):

    def setUp(self):
        super().setUp()
        for name, value in base.clean_env(self.sim.clouds_yaml).items():
            if name.startswith('OS_'):
                self.useFixture(fixtures.EnvironmentVariable(name, value))

    def test_three_lines(self):
        client = powervc_osc.RefcodeClient.from_cloud(base.ADMIN)
        rc = client.show('ibmi-stuck-1')
        self.assertIsInstance(rc, powervc_osc.Refcode)
        self.assertEqual(('B2008105', True), (rc.refcode, rc.required))
        self.assertEqual('2', rc.raw['powervc:vm_refcode_query_ts'][0])

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
        env = base.clean_env(self.sim.clouds_yaml)
        result = subprocess.run(
            [sys.executable, EXAMPLE, base.ADMIN], capture_output=True,
            text=True, env=env, timeout=base.COMMAND_TIMEOUT)
        self.assertEqual((0, ''), (result.returncode, result.stderr))
        lines = result.stdout.splitlines()
        self.assertIn('ibmi-stuck-1', '\n'.join(lines))
        self.assertIn('B2008105', '\n'.join(lines))
        self.assertNotIn('ibmi-prod-1 ', '\n'.join(lines))
