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

"""Never silent: one bad server, row or poll is caught, logged, counted."""

import datetime
import logging
import os
import sqlite3

import fixtures
from prometheus_client import exposition
from prometheus_client import registry as registry_mod

from powervc_osc import codes
from powervc_osc.exporter import changes
from powervc_osc.exporter import health as health_mod
from powervc_osc.exporter import poller
from powervc_osc import history
from powervc_osc.tests.unit.exporter import base

GOOD = (1, 'ibmi-1', base.metadata('B2008105', 'IPL_failed_attention'))
BAD = (2, 'ibmi-2', base.metadata('C6004031', 'LIC_IPL_in_progress'))


class HealthTestCase(base.ExporterTestCase):

    def setUp(self):
        super().setUp()
        self.log = self.useFixture(fixtures.FakeLogger(level=logging.INFO))
        self.health = health_mod.Health()
        self.health.expect(['prod'], history=True)

    def poller(self, cloud='prod', region='RegionOne', **filters):
        return poller.CloudPoller(cloud, self.client(region), self.changes,
                                  filters, wall=self.wall, health=self.health)

    def counters(self):
        registry = registry_mod.CollectorRegistry(auto_describe=False)
        registry.register(self.health)
        text = exposition.generate_latest(registry).decode('utf-8')
        return {line.rsplit(' ', 1)[0]: float(line.rsplit(' ', 1)[1])
                for line in text.splitlines() if line.startswith('powervc_')}


class TestOneServer(HealthTestCase):

    def test_a_server_that_cannot_be_handled_leaves_the_rest_published(self):
        real = codes.explain

        def explain(refcode, *args, **kwargs):
            if refcode == 'C6004031':
                raise OverflowError('int too large to convert')
            return real(refcode, *args, **kwargs)

        self.useFixture(fixtures.MockPatchObject(codes, 'explain', explain))
        self.fleet([GOOD, BAD])
        p = self.poller()
        for _ in range(2):
            result = self.poll(p)
        self.assertTrue(result.up)
        self.assertEqual([base.server_id(1)],
                         [s.row.server_id for s in result.servers])
        self.assertEqual(1, len(self.samples('powervc_refcode_info')))
        self.assertEqual(2, self.counters()[
            'powervc_exporter_errors_total{cloud="prod",stage="server"}'])
        # Logged once, in one line naming the cloud and the server.
        lines = [line for line in self.log.output.splitlines()
                 if 'left out' in line]
        self.assertEqual(1, len(lines))
        self.assertIn(base.server_id(2), lines[0])
        self.assertIn('Cloud prod', lines[0])

    def test_an_unexpected_error_keeps_powervc_up_and_the_last_servers(self):
        self.fleet([GOOD])
        p = self.poller()
        self.poll(p)

        def broken(*args, **kwargs):
            raise ValueError('year 10000 is out of range')

        self.useFixture(fixtures.MockPatchObject(self.changes, 'update',
                                                 broken))
        result = self.poll(p)
        self.assertTrue(result.up)
        self.assertEqual([base.server_id(1)],
                         [s.row.server_id for s in result.servers])
        self.assertEqual(1, self.counters()[
            'powervc_exporter_errors_total{cloud="prod",stage="poll"}'])
        self.assertIn('year 10000 is out of range', self.log.output)
        self.assertNotIn('Traceback', self.log.output)


class TestHistoryRows(HealthTestCase):

    def setUp(self):
        super().setUp()
        self.path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                                 'history.sqlite3')
        self.store = history.HistoryStore(self.path, clock=self.wall)
        self.changes = changes.HistoryChanges(
            self.store, datetime.timedelta(days=1), health=self.health)
        self.addCleanup(self.changes.close)

    def test_a_bad_row_is_counted_each_poll_and_logged_once(self):
        self.fleet([GOOD, BAD])
        p = self.poller()
        self.poll(p)
        with sqlite3.connect(self.path) as db:
            db.execute('UPDATE latest SET code_since = NULL')
            db.execute("UPDATE changes SET observed_at = 1e20 WHERE "
                       "server_id = ?", (base.server_id(2),))
        db.close()
        for _ in range(3):
            result = self.poll(p)
        self.assertEqual(2, len(result.servers))
        changed = {s.row.server_id: s.changed_at for s in result.servers}
        self.assertEqual({base.server_id(1): self.wall.now,
                          base.server_id(2): None}, changed)
        self.assertEqual(3, self.counters()[
            'powervc_exporter_errors_total{cloud="prod",stage="history"}'])
        lines = [line for line in self.log.output.splitlines()
                 if 'skipped' in line]
        self.assertEqual(1, len(lines))
        self.assertIn(self.path, lines[0])

    def test_a_failed_write_is_counted(self):
        self.fleet([GOOD])
        p = self.poller()
        self.assertEqual(0, self.counters()[
            'powervc_history_write_failures_total{cloud="prod"}'])
        self.store.close()
        self.poll(p)
        self.assertEqual(1, self.counters()[
            'powervc_history_write_failures_total{cloud="prod"}'])
        self.assertEqual(1, self.health.write_failures())
        self.assertIn('not recorded', self.log.output)


class TestLoggedLines(base.ExporterTestCase):

    def test_past_the_limit_new_lines_are_counted_not_logged(self):
        log = self.useFixture(fixtures.FakeLogger(
            name='powervc_osc.exporter.health', level=logging.INFO))
        self.useFixture(fixtures.MockPatchObject(
            health_mod, 'LOGGED_LINES', 2))
        health = health_mod.Health()
        for _poll in range(3):
            for row in range(4):
                health.error('prod', 'history', 'bad row %d' % row)
        self.assertEqual(['bad row 0', 'bad row 1',
                          '2 distinct errors logged; further ones are '
                          'counted in powervc_exporter_errors_total only'],
                         log.output.splitlines())
        self.assertIn('powervc_exporter_errors_total{cloud="prod",'
                      'stage="history"} 12.0',
                      exposition.generate_latest(
                          _registry(health)).decode())


def _registry(health):
    registry = registry_mod.CollectorRegistry(auto_describe=False)
    registry.register(health)
    return registry
