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

"""Change times: in memory, or from the history store (real SQLite)."""

import datetime
import os
import sqlite3
import threading

import fixtures
import testtools

from powervc_osc.exporter import changes
from powervc_osc import history
from powervc_osc import model


def row(server_id, refcode, led='IPL', required=True):
    return model.Refcode(server_id, 'vm-' + server_id, refcode, led, None,
                         required)


class TestMemoryChanges(testtools.TestCase):

    def test_time_of_first_sight_then_of_each_change(self):
        tracker = changes.MemoryChanges()
        self.assertEqual({'a': 10.0}, tracker.update('c', [row('a', 'X')], 10))
        self.assertEqual({'a': 10.0}, tracker.update('c', [row('a', 'X')], 20))
        self.assertEqual({'a': 30.0},
                         tracker.update('c', [row('a', 'X', 'other')], 30))
        self.assertEqual({'a': 40.0}, tracker.update('c', [row('a', 'Y')], 40))

    def test_gone_servers_are_forgotten_unless_kept(self):
        tracker = changes.MemoryChanges()
        tracker.update('c', [row('a', 'X'), row('b', 'X')], 10)
        self.assertEqual({'a': 10.0, 'b': 10.0},
                         tracker.update('c', [row('a', 'X')], 20, keep={'b'}))
        self.assertEqual({'a': 10.0}, tracker.update('c', [row('a', 'X')], 30))
        self.assertEqual({'a': 10.0, 'b': 40.0},
                         tracker.update('c', [row('a', 'X'), row('b', 'X')],
                                        40))

    def test_clouds_are_apart(self):
        tracker = changes.MemoryChanges()
        tracker.update('one', [row('a', 'X')], 10)
        self.assertEqual({'a': 20.0}, tracker.update('two', [row('a', 'X')],
                                                     20))


class TestHistoryChanges(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                                 'history.sqlite3')
        self.now = 1_800_000_000.0
        self.store = history.HistoryStore(self.path, clock=lambda: self.now)
        self.tracker = changes.HistoryChanges(
            self.store, datetime.timedelta(days=1))
        self.addCleanup(self.tracker.close)

    def count_rows(self):
        with sqlite3.connect(self.path) as db:
            return db.execute('SELECT COUNT(*) FROM changes').fetchone()[0]

    def test_times_come_from_the_store_and_survive_a_restart(self):
        self.assertEqual({'a': self.now},
                         self.tracker.update('c', [row('a', 'X')], 0))
        first = self.now
        self.now += 60
        self.tracker.update('c', [row('a', 'X')], 0)
        self.tracker.close()
        again = changes.HistoryChanges(history.HistoryStore(self.path), None)
        self.addCleanup(again.close)
        self.assertEqual({'a': first},
                         again.update('c', [row('a', 'X')], 0))

    def test_an_unchanged_fleet_writes_no_row(self):
        fleet = [row(str(n), 'C6004031') for n in range(50)]
        self.tracker.update('c', fleet, 0)
        self.assertEqual(50, self.count_rows())
        for _ in range(3):
            self.now += 60
            self.tracker.update('c', fleet, 0)
        self.assertEqual(50, self.count_rows())

    def test_rows_carry_the_exporters_category(self):
        self.tracker.update('c', [row('a', '00000000', required=False)], 0)
        [change] = self.store.changes(server='a')
        self.assertEqual('stale', change.category)

    def test_old_rows_are_pruned(self):
        self.tracker.update('c', [row('a', 'X')], 0)
        self.now += 3 * 86400
        self.store.record('c', [row('a', 'Y')], lambda rc: 'unknown')
        self.tracker = changes.HistoryChanges(
            self.store, datetime.timedelta(days=1))
        self.tracker.update('c', [row('a', 'Y')], 0)
        self.assertEqual(['Y'], [c.refcode for c in self.store.changes()])

    def test_nothing_is_written_after_close(self):
        self.tracker.close()
        self.assertRaises(changes.StoreClosed, self.tracker.update, 'c',
                          [row('a', 'X')], 0)

    def test_close_waits_for_the_write_under_way(self):
        entered = threading.Event()
        release = threading.Event()
        store = self.store
        real_record = store.record_cycle

        def slow_record(*args, **kwargs):
            entered.set()
            release.wait(10)
            return real_record(*args, **kwargs)

        self.useFixture(fixtures.MonkeyPatch(
            'powervc_osc.history.HistoryStore.record_cycle',
            lambda self, *a, **k: slow_record(*a, **k)))
        writer = threading.Thread(
            target=self.tracker.update, args=('c', [row('a', 'X')], 0))
        writer.start()
        entered.wait(10)
        closer = threading.Thread(target=self.tracker.close)
        closer.start()
        closer.join(0.2)
        self.assertTrue(closer.is_alive())
        release.set()
        writer.join(10)
        closer.join(10)
        self.assertEqual(1, self.count_rows())

    def start_blocked_write(self):
        """A tracker whose write waits for ``release`` inside the store.

        Returns the tracker, the writer thread (under way) and ``release``.
        """
        entered = threading.Event()
        release = threading.Event()
        real_record = self.store.record_cycle

        def blocked_record(*args, **kwargs):
            entered.set()
            release.wait(10)
            return real_record(*args, **kwargs)

        self.useFixture(fixtures.MonkeyPatch(
            'powervc_osc.history.HistoryStore.record_cycle',
            lambda self, *a, **k: blocked_record(*a, **k)))
        tracker = changes.HistoryChanges(self.store, None, close_wait=0)
        writer = threading.Thread(
            target=tracker.update, args=('c', [row('a', 'X')], 0))
        writer.start()
        entered.wait(10)
        return tracker, writer, release

    def test_close_does_not_wait_long_for_a_blocked_write(self):
        # A write that waits for another process's lock (up to SQLite's
        # busy timeout) must not hold up a stop beyond close_wait.
        tracker, writer, release = self.start_blocked_write()
        with self.assertLogs('powervc_osc.exporter.changes', 'WARNING'):
            tracker.close()
        self.assertTrue(writer.is_alive())
        self.assertRaises(changes.StoreClosed, tracker.update, 'c',
                          [row('b', 'Y')], 0)
        # It failed at once: the blocked write is still under way.
        self.assertTrue(writer.is_alive())
        release.set()
        writer.join(10)
        # The write under way is one transaction: all of it or nothing.
        self.assertEqual(1, self.count_rows())

    def test_a_write_queued_behind_a_blocked_one_fails_on_close(self):
        tracker, writer, release = self.start_blocked_write()
        errors = []

        def queued_update():
            try:
                tracker.update('c', [row('b', 'Y')], 0)
            except changes.StoreClosed as exc:
                errors.append(exc)

        queued = threading.Thread(target=queued_update)
        queued.start()
        with self.assertLogs('powervc_osc.exporter.changes', 'WARNING'):
            tracker.close()
        queued.join(10)
        self.assertFalse(queued.is_alive())
        self.assertEqual(1, len(errors))
        self.assertTrue(writer.is_alive())
        release.set()
        writer.join(10)
        self.assertEqual(1, self.count_rows())

    def test_a_store_error_is_reported_not_raised_raw(self):
        self.store.close()
        error = self.assertRaises(changes.StoreFailed, self.tracker.update,
                                  'c', [row('a', 'X')], 0)
        self.assertIn(self.path, str(error))


class TestCategories(testtools.TestCase):

    def test_the_table_is_asked_once_per_code(self):
        from powervc_osc import codes

        asked = []
        real = codes.explain

        def explain(refcode, *args, **kwargs):
            asked.append(refcode)
            return real(refcode, *args, **kwargs)

        self.useFixture(fixtures.MockPatchObject(codes, 'explain', explain))
        categories = changes.Categories()
        fleet = [row(str(n), 'B2008105' if n % 2 else 'C6004031')
                 for n in range(100)]
        self.assertEqual(['progress', 'error'] * 50,
                         [categories(rc) for rc in fleet])
        self.assertEqual('stale', categories(row('x', 'B2008105',
                                                 required=False)))
        self.assertEqual(['C6004031', 'B2008105', 'B2008105'], asked)
