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

"""``--max-age`` and ``--max-rate`` against the simulator, requests counted
from its request log, with PowerVC in and out of UTC."""

import datetime

import testtools

from powervc_osc import client as client_mod
from powervc_osc.simulator import fixture as sim_fixture
from powervc_osc.tests.functional import base
from powervc_osc.tests.functional import test_faults

#: 12 servers that all collect codes, steady (the boot sequence done).
FLEET = [dict(name='vm-%02d' % n, refcode=True, boot_progress=1.0)
         for n in range(12)]


class MaxAgeTestCase(testtools.TestCase):

    zone_offset_minutes = 0

    def setUp(self):
        super().setUp()
        self.sim = self.useFixture(sim_fixture.SimulatorFixture(
            write_clouds_yaml=False, servers=FLEET, step_seconds=0.01,
            max_limit=5, zone_offset_minutes=self.zone_offset_minutes))
        self.client = test_faults.admin_client(self.sim)

    def metadata_gets(self):
        return [r.path.split('/')[-2] for r in self.sim.requests
                if r.path.endswith('/metadata')]

    def listings(self):
        return [r for r in self.sim.requests
                if r.path.endswith('/servers/detail')]

    def refresh(self, names):
        """Read these servers now, so that their codes are recent."""
        for name in names:
            self.client.show(self.sim.server_id(name))

    def test_stale_servers_are_read_and_fresh_ones_are_not(self):
        self.sim.advance(3600)              # every code an hour old
        recent = ['vm-03', 'vm-04', 'vm-07', 'vm-11']
        self.refresh(recent)
        self.sim.requests.clear()
        rows = list(self.client.list(max_age=600))
        self.assertEqual(12, len(rows))
        read = set(self.metadata_gets())
        # The oldest listed code is also the zone's calibration read.
        self.assertEqual({self.sim.server_id('vm-%02d' % n)
                          for n in range(12)} -
                         {self.sim.server_id(n) for n in recent}, read)
        self.assertEqual(8, len(self.metadata_gets()))
        self.assertEqual(3, len(self.listings()))   # 12 servers, 5 a page
        self.assertEqual(datetime.timedelta(
            minutes=self.zone_offset_minutes), self.client.zone_offset)

    def test_warm_fleet_costs_one_request_per_page(self):
        list(self.client.list(max_age=0))    # every code just read
        self.sim.requests.clear()
        rows = list(self.client.list(max_age=600))
        self.assertEqual(12, len(rows))
        self.assertEqual([], self.metadata_gets())
        self.assertEqual(3, len(self.listings()))
        self.assertTrue(all(r.queried_at is not None for r in rows))

    def test_max_age_zero_reads_every_code(self):
        list(self.client.list(max_age=0))
        self.sim.requests.clear()
        list(self.client.list())
        self.assertEqual(12, len(self.metadata_gets()))

    def test_codes_older_than_max_age_are_read_again(self):
        list(self.client.list(max_age=0))
        self.sim.advance(120)
        self.sim.requests.clear()
        list(self.client.list(max_age=60))
        self.assertEqual(12, len(self.metadata_gets()))

    def test_a_known_zone_needs_no_calibration_read(self):
        self.sim.advance(3600)
        self.refresh(['vm-00'])
        client = test_faults.admin_client(self.sim)
        client.zone_offset = datetime.timedelta(
            minutes=self.zone_offset_minutes)
        self.sim.requests.clear()
        list(client.list(max_age=600))
        self.assertNotIn(self.sim.server_id('vm-00'), self.metadata_gets())
        self.assertEqual(11, len(self.metadata_gets()))


class TestPowerVCEastOfUTC(MaxAgeTestCase):
    """PowerVC at UTC+05:30: read as UTC, every code is 5.5 h ahead."""

    zone_offset_minutes = 330


class TestPowerVCWestOfUTC(MaxAgeTestCase):
    """PowerVC at UTC-04:00: read as UTC, every code is 4 h old."""

    zone_offset_minutes = -240


class TestWrongZone(testtools.TestCase):

    def test_a_wrong_zone_reads_fresh_and_is_learned_again(self):
        sim = self.useFixture(sim_fixture.SimulatorFixture(
            write_clouds_yaml=False, servers=FLEET, step_seconds=0.01,
            zone_offset_minutes=120))
        list(test_faults.admin_client(sim).list(max_age=0))
        client = client_mod.RefcodeClient(test_faults.admin_session(sim),
                                          zone_offset=datetime.timedelta(0))
        sim.requests.clear()
        # Taken for UTC, PowerVC's codes are two hours in the future.
        list(client.list(max_age=600))
        self.assertEqual(12, len([r for r in sim.requests
                                  if r.path.endswith('/metadata')]))
        self.assertEqual(datetime.timedelta(hours=2), client.zone_offset)


class TestMaxRate(testtools.TestCase):

    def test_reads_are_spread_at_the_rate(self):
        sim = self.useFixture(sim_fixture.SimulatorFixture(
            write_clouds_yaml=False, servers=FLEET, step_seconds=0.01))
        client = client_mod.RefcodeClient(test_faults.admin_session(sim),
                                          max_rate=20, max_workers=8)
        sim.requests.clear()
        self.assertEqual(12, len(list(client.list())))
        starts = sorted(r.started for r in sim.requests
                        if r.path.endswith('/metadata'))
        # 12 reads at 20 a second: at least 11 gaps of 50 ms, minus the
        # burst of one.
        self.assertGreaterEqual(starts[-1] - starts[0], 0.5)


class TestListCommand(base.FunctionalTestCase):

    simulator_kwargs = {'servers': FLEET, 'zone_offset_minutes': -300}

    def test_list_max_age_from_the_command_line(self):
        self.openstack('server', 'refcode', 'list', '--max-age', '0')
        self.sim.requests.clear()
        rows = self.openstack('server', 'refcode', 'list', '--max-age',
                              '600', '-f', 'json').json()
        self.assertEqual(12, len(rows))
        # One read learns PowerVC's zone (UTC-05:00), remembered in the
        # user's cache: the next run of a warm fleet sends no GET at all.
        self.assertEqual(1, len(self.metadata_gets()))
        self.sim.requests.clear()
        rows = self.openstack('server', 'refcode', 'list', '-f',
                              'json').json()
        self.assertEqual(12, len(rows))
        self.assertEqual([], self.metadata_gets())
        self.assertEqual(['/servers/detail'], [
            r.path[-len('/servers/detail'):] for r in self.sim.requests
            if '/compute/v2.1/' in r.path])
        self.assertTrue(all(r['Queried At'] for r in rows))

    def metadata_gets(self):
        return [r for r in self.sim.requests if r.path.endswith('/metadata')]
