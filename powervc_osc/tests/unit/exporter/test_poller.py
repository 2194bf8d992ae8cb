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
"""One cloud's poll: the state it gives, what it keeps, what it logs."""

import logging
import threading

import fixtures

from powervc_osc.exporter import changes
from powervc_osc.exporter import poller
from powervc_osc.tests.unit.exporter import base


class _Store(changes.MemoryChanges):
    """Change times in memory, until the test sets ``error``."""

    error = None

    def update(self, cloud, rows, now, keep=()):
        if self.error is not None:
            raise self.error
        return super().update(cloud, rows, now, keep)


class PollerTestCase(base.ExporterTestCase):

    def setUp(self):
        super().setUp()
        self.changes = _Store()
        self.log = self.useFixture(fixtures.FakeLogger(
            name='powervc_osc.exporter.poller', level=logging.WARNING))
        self.fleet([(1, 'ibmi-1', base.metadata('C6004031')),
                    (2, 'aix-1', base.metadata('0000', led='Running'))])

    def warnings(self):
        return self.log.output.splitlines()


class TestPoll(PollerTestCase):

    def test_a_poll_gives_every_server_with_its_change_time(self):
        result = poller.CloudPoller(
            'prod', self.client(), self.changes, {}, wall=self.wall,
            clock=iter([10.0, 12.5]).__next__).poll(threading.Event())
        self.assertEqual(('prod', True, 0, 0), (
            result.cloud, result.up, result.failures, result.server_errors))
        self.assertEqual(2.5, result.duration)
        self.assertEqual(self.wall.now, result.last_success)
        self.assertEqual(
            [(base.server_id(1), 'C6004031', self.wall.now),
             (base.server_id(2), '0000', self.wall.now)],
            sorted((s.row.server_id, s.row.refcode, s.changed_at)
                   for s in result.servers))
        self.assertEqual([], self.warnings())

    def test_a_cloud_down_keeps_its_servers_and_says_so_once(self):
        p = self.poller()
        first = self.poll(p)
        self.requests.get(base.DETAIL_URL, status_code=500)
        down = [self.poll(p) for _ in range(3)]
        self.assertEqual([(False, n) for n in (1, 2, 3)],
                         [(s.up, s.failures) for s in down])
        self.assertEqual(first.servers, down[-1].servers)
        self.assertEqual(first.last_success, down[-1].last_success)
        self.assertEqual(1, len(self.warnings()))
        self.assertIn('Cloud prod cannot be polled', self.warnings()[0])
        self.fleet([(1, 'ibmi-1', base.metadata('C6004031'))])
        back = self.poll(p)
        self.assertEqual((True, 3), (back.up, back.failures))
        self.assertIn('Cloud prod answers again', self.warnings()[-1])

    def test_a_server_that_cannot_be_read_keeps_its_last_row(self):
        p = self.poller()
        first = self.poll(p)
        self.requests.get(base.fakes.COMPUTE_URL + '/servers/%s/metadata'
                          % base.server_id(2), status_code=500)
        for _ in range(2):
            result = self.poll(p)
        self.assertEqual(1, result.server_errors)
        self.assertEqual(sorted(s.row.server_id for s in first.servers),
                         sorted(s.row.server_id for s in result.servers))
        # logged when it starts failing, not at every poll
        self.assertEqual(1, len(self.warnings()), self.warnings())


class TestStop(PollerTestCase):

    def test_a_stop_during_the_poll_publishes_nothing(self):
        stop = threading.Event()
        stop.set()
        self.assertRaises(poller.Stopped, self.poller().poll, stop)

    def test_a_closed_store_stops_the_poll(self):
        self.changes.error = changes.StoreClosed()
        self.assertRaises(poller.Stopped, self.poller().poll,
                          threading.Event())


class TestStoreFailure(PollerTestCase):

    def test_an_unrecorded_poll_keeps_the_last_change_times(self):
        p = self.poller()
        first = self.poll(p)
        self.changes.error = changes.StoreFailed('disk full')
        self.wall.now += 60
        result = self.poll(p)
        self.assertTrue(result.up)
        self.assertEqual(
            sorted(s.changed_at for s in first.servers),
            sorted(s.changed_at for s in result.servers))
        self.assertIn('Cloud prod: this poll was not recorded: disk full',
                      self.log.output)
