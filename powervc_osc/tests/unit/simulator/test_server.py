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

"""The Simulator object: start and stop, its URLs and its clouds.yaml."""

import os
import stat

import fixtures
import requests
import testtools
import yaml

from powervc_osc.simulator import records as sim_records
from powervc_osc.simulator import server as sim_server
from powervc_osc.tests.unit.simulator import base


class TestLifecycle(testtools.TestCase):

    def test_serves_on_an_ephemeral_loopback_port_until_stopped(self):
        with sim_server.Simulator(port=0) as sim:
            self.assertNotEqual(0, sim.port)
            self.assertTrue(sim.url.startswith('http://127.0.0.1:'))
            answer = requests.get(sim.auth_url, timeout=base.TIMEOUT)
            self.assertEqual(200, answer.status_code)
            url = sim.url
        self.assertRaises(requests.ConnectionError, requests.get, url,
                          timeout=base.TIMEOUT)

    def test_stop_is_idempotent_and_a_second_start_refused(self):
        sim = sim_server.Simulator(port=0).start()
        self.addCleanup(sim.stop)
        self.assertRaises(RuntimeError, sim.start)
        sim.stop()
        sim.stop()

    def test_temporary_clouds_yaml_is_removed_on_stop(self):
        sim = sim_server.Simulator(port=0).start()
        path = sim.write_clouds_yaml()
        self.assertTrue(os.path.exists(path))
        sim.stop()
        self.assertFalse(os.path.exists(path))


class TestURLs(testtools.TestCase):

    def test_a_wildcard_address_is_advertised_as_loopback(self):
        for host, url in (('0.0.0.0', 'http://127.0.0.1:5000'),  # nosec
                          ('::', 'http://[::1]:5000'),
                          ('::1', 'http://[::1]:5000'),
                          ('localhost', 'http://localhost:5000')):
            sim = sim_server.Simulator(host=host, port=5000)
            self.assertEqual(url, sim.url, host)

    def test_identity_and_compute_urls(self):
        sim = sim_server.Simulator(port=5000)
        self.assertEqual(
            'http://127.0.0.1:5000/powervc/openstack/identity/v3',
            sim.auth_url)
        project_id = sim_records.PROJECTS[sim_records.PROJECT_DEFAULT]
        self.assertEqual(
            'http://127.0.0.1:5000/powervc/openstack/compute/v2.1/'
            + project_id, sim.compute_url)
        self.assertEqual(sim.compute_url,
                         sim.compute_url_for(sim_records.PROJECT_DEFAULT))
        self.assertEqual(sim.compute_url, sim.compute_url_for(project_id))


class TestCloudsYaml(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.sim = sim_server.Simulator(port=5000)
        self.path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                                 'clouds.yaml')

    def read(self):
        with open(self.path) as stream:
            return yaml.safe_load(stream)['clouds']

    def test_one_cloud_per_user_with_its_password(self):
        self.sim.write_clouds_yaml(self.path)
        clouds = self.read()
        self.assertEqual(
            {'powervc-simulator': 'admin',
             'powervc-simulator-operator': 'operator',
             'powervc-simulator-other': 'other'},
            {name: c['auth']['username'] for name, c in clouds.items()})
        admin = clouds['powervc-simulator']
        self.assertEqual(self.sim.auth_url, admin['auth']['auth_url'])
        self.assertEqual(sim_records.USERS['admin'].password,
                         admin['auth']['password'])
        self.assertEqual(0o600, stat.S_IMODE(os.stat(self.path).st_mode))

    def test_other_clouds_and_the_files_mode_are_kept(self):
        with open(self.path, 'w') as stream:
            yaml.safe_dump({'clouds': {'mine': {'auth_type': 'none'}}},
                           stream)
        os.chmod(self.path, 0o640)
        self.sim.write_clouds_yaml(self.path)
        self.assertIn('mine', self.read())
        self.assertIn('powervc-simulator', self.read())
        self.assertEqual(0o640, stat.S_IMODE(os.stat(self.path).st_mode))

    def test_a_file_that_is_not_a_mapping_is_refused(self):
        with open(self.path, 'w') as stream:
            stream.write('- a list\n')
        self.assertRaises(ValueError, self.sim.write_clouds_yaml, self.path)
        with open(self.path) as stream:
            self.assertEqual('- a list\n', stream.read())


class TestSettings(testtools.TestCase):

    def test_latency_and_error_rate_can_change_while_running(self):
        sim = sim_server.Simulator(port=5000)
        sim.latency_ms = '25'
        self.assertEqual(25.0, sim.latency_ms)
        sim.error_rate = 0.5
        self.assertEqual(0.5, sim.error_rate)
        self.assertRaises(ValueError, setattr, sim, 'error_rate', 2)
        self.assertEqual(0.5, sim.error_rate)

    def test_server_id_by_name(self):
        sim = sim_server.Simulator(port=5000)
        server_id = sim.server_id('ibmi-prod-1')
        self.assertEqual('finance',
                         sim.state.raw_metadata(server_id)['owner'])
        self.assertRaises(LookupError, sim.server_id, 'no-such-server')
