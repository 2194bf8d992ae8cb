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

"""Past one machine: one exporter per PowerVC, one Prometheus over them.

Two simulators (the second in another time zone), one exporter each, and
one real Prometheus that scrapes both with the shipped rules: every series
and alert carries its ``cloud``, and the rules fire for each PowerVC.
"""

from powervc_osc.simulator import fixture as sim_fixture
from powervc_osc.simulator import records as sim_records
from powervc_osc.simulator import server as sim_server
from powervc_osc.tests.functional import base
from powervc_osc.tests.functional import exporter_fixtures as ef
from powervc_osc.tests.functional import test_exporter_prometheus as tep

EAST = 'powervc-east'


class TestTwoExporters(base.FunctionalTestCase):

    def setUp(self):
        super().setUp()
        binary = ef.require_binary(self, 'prometheus')
        east = self.useFixture(sim_fixture.SimulatorFixture(
            write_clouds_yaml=False, step_seconds=0.2,
            zone_offset_minutes=330))
        sim_server.write_clouds_yaml(
            self.clouds_yaml, {EAST: east.clouds()[base.ADMIN]})
        targets = []
        for cloud in (base.ADMIN, EAST):
            exporter = self.useFixture(ef.ExporterProcess(
                ['--os-cloud', cloud, '--interval', '1'],
                self.environment()))
            targets.append(exporter.url.split('/')[2])
        self.prometheus = self.useFixture(ef.PrometheusProcess(
            binary, targets, tep.quick_rules()))

    def test_one_prometheus_over_two_exporters(self):
        up = ef.wait_for('both clouds up', lambda: [
            s for s in self.prometheus.query('powervc_up == 1')
        ] if len(self.prometheus.query('powervc_up == 1')) == 2 else None)
        self.assertEqual({base.ADMIN, EAST},
                         {s['metric']['cloud'] for s in up})
        # The stuck IBM i of each PowerVC alerts, once per cloud (alerts
        # are keyed on the server ID; both fleets name it alike).
        stuck_id = sim_records.server_uuid('ibmi-stuck-1')
        alerts = ef.wait_for('the error alert of both clouds', lambda: (
            lambda found: found if len(found) == 2 else None)([
                a for a in self.prometheus.alerts()
                if a['labels'].get('alertname') == 'PowerVCRefcodeError'
                and a['labels'].get('server_id') == stuck_id]))
        self.assertEqual({base.ADMIN, EAST},
                         {a['labels']['cloud'] for a in alerts})
        # Query times are read in each PowerVC's zone: all within minutes
        # of now, though the east PowerVC writes them 5.5 hours ahead.
        ages = self.prometheus.query(
            'max by (cloud) (abs(time() - '
            'powervc_refcode_query_timestamp_seconds))')
        self.assertEqual({base.ADMIN, EAST},
                         {s['metric']['cloud'] for s in ages})
        for series in ages:
            self.assertLess(float(series['value'][1]), 600, series)
