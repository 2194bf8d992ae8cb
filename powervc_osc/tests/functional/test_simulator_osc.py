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

"""The real ``openstack`` executable against the simulator."""

import json
import os
import subprocess
import sys

import testtools

from powervc_osc.simulator import demo
from powervc_osc.simulator import fixture as sim_fixture
from powervc_osc.simulator import records as sim_records

OPENSTACK = os.path.join(os.path.dirname(sys.executable), 'openstack')


@testtools.skipUnless(os.access(OPENSTACK, os.X_OK),
                      'no openstack executable next to %s' % sys.executable)
class TestOpenStackClient(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.sim = self.useFixture(sim_fixture.SimulatorFixture())
        self.env = demo.clean_environment(self.sim.clouds_yaml)

    def openstack(self, *args, cloud='powervc-simulator'):
        result = subprocess.run(
            [OPENSTACK, '--os-cloud', cloud] + list(args), env=self.env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            timeout=120)
        self.assertEqual((0, ''), (result.returncode, result.stderr),
                         result.stdout)
        return result.stdout

    def test_server_commands(self):
        server_id = self.sim.server_id('ibmi-prod-1')
        shown = json.loads(self.openstack('server', 'show', server_id,
                                          '-f', 'json'))
        self.assertEqual('ibmi-prod-1', shown['name'])
        self.assertEqual('9109RMD_1031CAT', shown['OS-EXT-SRV-ATTR:host'])
        self.assertEqual('true',
                         shown['properties'][sim_records.REQUIRED])
        shown = json.loads(self.openstack('server', 'show', '-c',
                                          'properties', 'ibmi-prod-1',
                                          '-f', 'json'))
        self.assertEqual(['properties'], list(shown))

        self.openstack('server', 'set', '--property', 'k=v', server_id)
        metadata = self.sim.state.raw_metadata(server_id)
        self.assertEqual('v', metadata['k'])
        self.assertEqual('finance', metadata['owner'])

        listed = json.loads(self.openstack('server', 'list', '-f', 'json'))
        self.assertEqual(9, len(listed))
        listed = json.loads(self.openstack('server', 'list', '--long',
                                           '-f', 'json'))
        by_name = {s['Name']: s for s in listed}
        self.assertEqual('9009-42A_HMC01', by_name['aix-prod-1']['Host'])
        listed = json.loads(self.openstack(
            'server', 'list', '--all-projects', '-f', 'json'))
        self.assertIn('other-proj-vm', [s['Name'] for s in listed])
        listed = json.loads(self.openstack(
            'server', 'list', '-f', 'json',
            cloud='powervc-simulator-operator'))
        self.assertEqual(9, len(listed))
        statuses = {r.status for r in self.sim.requests}
        self.assertFalse({500, 501} & statuses)
