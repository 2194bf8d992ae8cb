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

"""The SQLite history store, on real files in a temporary directory."""

import dataclasses
import datetime
import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
import threading

import fixtures
from hypothesis import given
from hypothesis import strategies as st
import testtools

from powervc_osc import exceptions
from powervc_osc.history import store as history
from powervc_osc import model

UTC = datetime.timezone.utc
T0 = 1_790_000_000.0   # 2026-09-21T13:33:20Z
HOUR = 3600.0


def refcode(server_id, refcode, led_code=None, name=None, queried=None):
    return model.Refcode(
        server_id=server_id, server_name=name or 'vm-' + server_id,
        refcode=refcode, led_code=led_code,
        queried_at=(datetime.datetime(2026, 9, 21, 13, 0, 0, 955450)
                    if queried is None else queried),
        required=True)


def by_code(rc):
    """A stand-in for the caller's category function."""
    return 'progress' if (rc.refcode or '').startswith('C') else 'error'


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


class Clock:
    """Unix seconds that a test moves by hand."""

    def __init__(self, now=T0):
        self.now = now

    def __call__(self):
        return self.now


class StoreTestCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.path = os.path.join(self.dir, 'state', 'powervc-osc',
                                 'history.sqlite3')
        self.clock = Clock()

    def store(self, **kwargs):
        kwargs.setdefault('clock', self.clock)
        store = history.HistoryStore(kwargs.pop('path', self.path), **kwargs)
        self.addCleanup(store.close)
        return store

    def rows(self):
        """Every stored row, read with plain sqlite3, oldest first."""
        with sqlite3.connect(self.path) as db:
            return db.execute(
                'SELECT cloud, server_id, refcode, led_code, category '
                'FROM changes ORDER BY id').fetchall()


class TestPaths(testtools.TestCase):

    def test_xdg_state_home(self):
        self.useFixture(fixtures.EnvironmentVariable(
            'XDG_STATE_HOME', '/srv/state'))
        self.assertEqual('/srv/state/powervc-osc/history.sqlite3',
                         history.default_path())

    def test_home_when_unset_or_relative(self):
        self.useFixture(fixtures.EnvironmentVariable('HOME', '/home/op'))
        for value in (None, '', 'relative/state'):
            self.useFixture(fixtures.EnvironmentVariable(
                'XDG_STATE_HOME', value))
            self.assertEqual(
                '/home/op/.local/state/powervc-osc/history.sqlite3',
                history.default_path())

    def test_default_path_is_used(self):
        state = self.useFixture(fixtures.TempDir()).path
        self.useFixture(fixtures.EnvironmentVariable('XDG_STATE_HOME', state))
        with history.HistoryStore() as store:
            self.assertEqual(history.default_path(), store.path)
        self.assertTrue(os.path.isfile(history.default_path()))

    def test_home_is_expanded(self):
        home = self.useFixture(fixtures.TempDir()).path
        self.useFixture(fixtures.EnvironmentVariable('HOME', home))
        with history.HistoryStore('~/h.sqlite3') as store:
            self.assertEqual(os.path.join(home, 'h.sqlite3'), store.path)
        self.assertTrue(os.path.isfile(os.path.join(home, 'h.sqlite3')))


class TestCreate(StoreTestCase):

    def test_private_file_and_folder_in_wal_mode(self):
        store = self.store()
        store.record('c', [refcode('a', 'C6004031')], by_code)
        self.assertEqual(0o700, stat.S_IMODE(
            os.stat(os.path.dirname(self.path)).st_mode))
        for name in (self.path, self.path + '-wal'):
            self.assertEqual(0o600, stat.S_IMODE(os.stat(name).st_mode),
                             name)
        with sqlite3.connect(self.path) as db:
            self.assertEqual('wal', db.execute(
                'PRAGMA journal_mode').fetchone()[0])
            self.assertEqual(history.schema_version(), db.execute(
                'PRAGMA user_version').fetchone()[0])

    def test_intermediate_folders_are_private(self):
        self.store()
        self.assertEqual(0o700, mode(os.path.join(self.dir, 'state')))

    def test_wide_files_are_made_private(self):
        self.store().record('c', [refcode('a', 'C6004031')], by_code)
        self.assertTrue(os.path.exists(self.path + '-wal'))
        # As a store left by a crash, or by a umask-less copy, looks.
        open(self.path + '-shm', 'a').close()
        wide = {self.path: 0o644, self.path + '-wal': 0o666,
                self.path + '-shm': 0o604}
        for name, bits in wide.items():
            os.chmod(name, bits)
        self.store().record('c', [refcode('a', 'C9002960')], by_code)
        for name in wide:
            self.assertEqual(0o600, mode(name), name)
        self.assertEqual(2, len(self.rows()))

    def test_permissions_are_only_taken_away(self):
        self.store().close()
        for before, after in ((0o644, 0o600), (0o755, 0o600),
                              (0o640, 0o600), (0o600, 0o600)):
            os.chmod(self.path, before)
            self.store().close()
            self.assertEqual(after, mode(self.path), oct(before))

    def test_readonly_open_changes_no_mode(self):
        self.store().close()
        os.chmod(self.path, 0o644)
        self.store(readonly=True).changes()
        self.assertEqual(0o644, mode(self.path))

    def test_default_folder_is_made_private(self):
        self.useFixture(fixtures.EnvironmentVariable('XDG_STATE_HOME',
                                                     self.dir))
        folder = os.path.dirname(history.default_path())
        os.mkdir(folder, 0o755)
        os.chmod(folder, 0o755)
        self.store(path=None)
        self.assertEqual(0o700, mode(folder))
        os.chmod(folder, 0o300)
        self.addCleanup(os.chmod, folder, 0o700)
        self.store(path=None)
        self.assertEqual(0o300, mode(folder))

    def test_a_folder_named_by_the_user_keeps_its_mode(self):
        folder = os.path.join(self.dir, 'shared')
        os.mkdir(folder)
        os.chmod(folder, 0o755)
        self.store(path=os.path.join(folder, 'h.sqlite3'))
        self.assertEqual(0o755, mode(folder))
        self.assertEqual(0o600, mode(os.path.join(folder, 'h.sqlite3')))

    def test_existing_file_keeps_its_rows(self):
        self.store().record('c', [refcode('a', 'C6004031')], by_code)
        self.assertEqual(1, len(self.store().changes()))

    def test_readonly_missing_file_is_not_created(self):
        error = self.assertRaises(history.HistoryNotFound, self.store,
                                  readonly=True)
        self.assertIn(self.path, str(error))
        self.assertIn('nothing has been recorded', str(error))
        self.assertFalse(os.path.exists(os.path.dirname(self.path)))

    def test_readonly_cannot_write(self):
        self.store().record('c', [refcode('a', 'C6004031')], by_code)
        reader = self.store(readonly=True)
        self.assertEqual(1, len(reader.changes()))
        self.assertRaises(history.HistoryError, reader.record, 'c',
                          [refcode('a', 'C9002960')], by_code)
        self.assertRaises(history.HistoryError, reader.prune,
                          datetime.timedelta(days=1))
        self.assertEqual(1, len(self.rows()))

    def test_uncreatable_folder(self):
        blocker = os.path.join(self.dir, 'file')
        open(blocker, 'w').close()
        path = os.path.join(blocker, 'history.sqlite3')
        error = self.assertRaises(history.HistoryError, self.store, path=path)
        self.assertIn(path, str(error))
        self.assertIn('cannot be created', str(error))

    def test_folder_instead_of_file(self):
        error = self.assertRaises(history.HistoryError, self.store,
                                  path=self.dir, readonly=True)
        self.assertIsInstance(error, exceptions.RefcodeError)
        self.assertIn(self.dir, str(error))
        self.assertNotIn('\n', str(error))


class TestRecord(StoreTestCase):

    FLEET = [refcode('a', 'C6004031', 'Surr_rebooting'),
             refcode('b', 'B2008105', 'IPL_failed_attention'),
             refcode('linux', None, None)]

    def test_one_row_per_change(self):
        store = self.store()
        self.assertEqual(2, store.record('c', self.FLEET, by_code))
        self.assertEqual([('c', 'a', 'C6004031', 'Surr_rebooting', 'progress'),
                          ('c', 'b', 'B2008105', 'IPL_failed_attention',
                           'error')], self.rows())

    def test_unchanged_fleet_writes_nothing(self):
        store = self.store()
        store.record('c', self.FLEET, by_code)
        self.clock.now += 60
        later = [dataclasses.replace(
            rc, queried_at=datetime.datetime(2027, 1, 1))
            for rc in self.FLEET]
        # A new query time alone is no change.
        self.assertEqual(0, store.record('c', later, by_code))
        self.assertEqual(0, store.record('c', self.FLEET, by_code))
        self.assertEqual(2, len(self.rows()))

    def test_code_or_led_text_change(self):
        store = self.store()
        store.record('c', self.FLEET, by_code)
        self.assertEqual(2, store.record('c', [
            refcode('a', 'C6004031', 'Surr_ready'),
            refcode('b', 'C9002960', 'IPL_failed_attention'),
            refcode('linux', None, None)], by_code))
        self.assertEqual(1, store.record('c', [refcode('a', None, None)],
                                         by_code))
        self.assertEqual(('c', 'a', None, None, 'error'), self.rows()[-1])

    def test_category_is_what_the_caller_says(self):
        store = self.store()
        asked = []

        def category(rc):
            asked.append(rc.server_id)
            return 'attention'

        store.record('c', self.FLEET, category)
        self.assertEqual(0, store.record('c', self.FLEET, category))
        self.assertEqual(['a', 'b', 'linux'] * 2, asked)
        self.assertEqual({'attention'}, {r[4] for r in self.rows()})

    def test_clouds_are_apart(self):
        store = self.store()
        store.record('one', self.FLEET, by_code)
        self.assertEqual(2, store.record('two', self.FLEET, by_code))
        self.assertEqual(0, store.record('one', self.FLEET, by_code))

    def test_last_changed(self):
        store = self.store()
        store.record('c', self.FLEET, by_code)
        self.clock.now += HOUR
        store.record('c', [refcode('a', 'C9002960', 'Surr_ready'),
                           refcode('b', 'B2008105', 'IPL_failed_attention')],
                     by_code)
        store.record('other', [refcode('z', 'C6004031')], by_code)
        last = store.last_changed('c')
        self.assertEqual({'a', 'b'}, set(last))
        self.assertEqual(('C9002960', 'Surr_ready', 'progress'),
                         (last['a'].refcode, last['a'].led_code,
                          last['a'].category))
        self.assertEqual(datetime.datetime.fromtimestamp(T0 + HOUR, UTC),
                         last['a'].observed_at)
        self.assertEqual(datetime.datetime.fromtimestamp(T0, UTC),
                         last['b'].observed_at)
        self.assertEqual(datetime.datetime(2026, 9, 21, 13, 0, 0, 955450),
                         last['b'].queried_at)
        self.assertEqual({}, store.last_changed('nowhere'))


class TestQuery(StoreTestCase):

    def setUp(self):
        super().setUp()
        self.store_ = self.store()
        for hour, code in enumerate(('C1001F00', 'C6004031', 'C9002960')):
            self.clock.now = T0 + hour * HOUR
            self.store_.record('c', [
                refcode('id-1', code, name='ibmi-1'),
                refcode('id-2', code[::-1], name='ibmi-2')], by_code)
        self.clock.now = T0 + 3 * HOUR

    def codes(self, changes):
        return [c.refcode for c in changes]

    def test_newest_first_by_id_or_name(self):
        for server in ('id-1', 'ibmi-1'):
            changes = self.store_.changes(server)
            self.assertEqual(['C9002960', 'C6004031', 'C1001F00'],
                             self.codes(changes))
            self.assertEqual({('c', 'id-1', 'ibmi-1')},
                             {(c.cloud, c.server_id, c.server_name)
                              for c in changes})
        self.assertEqual([], self.store_.changes('ibmi'))  # exact only
        self.assertEqual(6, len(self.store_.changes()))

    def test_since_and_limit(self):
        since = datetime.datetime.fromtimestamp(T0 + HOUR, UTC)
        self.assertEqual(['C9002960', 'C6004031'], self.codes(
            self.store_.changes('id-1', since=since)))
        naive = since.replace(tzinfo=None)  # read as UTC
        self.assertEqual(2, len(self.store_.changes('id-1', since=naive)))
        self.assertEqual(['C9002960'], self.codes(
            self.store_.changes('ibmi-1', limit=1)))
        self.assertEqual(['C6004031'], self.codes(
            self.store_.changes('ibmi-1', since=since, limit=2)[1:]))

    def test_cloud_and_servers(self):
        self.store_.record('d', [refcode('id-9', 'C6004031', name='ibmi-1')],
                           by_code)
        self.assertEqual([('c', 'id-1'), ('d', 'id-9')],
                         self.store_.servers('ibmi-1'))
        self.assertEqual([('d', 'id-9')],
                         self.store_.servers('ibmi-1', cloud='d'))
        self.assertEqual(1, len(self.store_.changes('ibmi-1', cloud='d')))
        self.assertEqual([], self.store_.servers('nobody'))

    def test_prune_keeps_each_servers_latest(self):
        self.store_.record('c', [refcode('id-3', 'C6004031')], by_code)
        self.clock.now = T0 + 10 * HOUR
        # Older than 2 hours: every row but each server's latest...
        self.assertEqual(4, self.store_.prune(datetime.timedelta(hours=2)))
        self.assertEqual(['C9002960'], self.codes(
            self.store_.changes('id-1')))
        self.assertEqual(3, len(self.store_.changes()))
        self.assertEqual(0, self.store_.prune(datetime.timedelta(hours=2)))
        # ...and the latest row still decides what counts as a change.
        self.assertEqual(0, self.store_.record(
            'c', [refcode('id-1', 'C9002960', name='ibmi-1')], by_code))

    def test_prune_keeps_recent_rows(self):
        # Three hours after the first cycle: only its two rows go.
        self.assertEqual(2, self.store_.prune(datetime.timedelta(hours=2.5)))
        self.assertEqual(['C9002960', 'C6004031'], self.codes(
            self.store_.changes('id-1')))


class TestThreads(StoreTestCase):

    def test_one_store_shared_by_threads(self):
        store = self.store()
        errors = []

        def poll(number):
            try:
                for cycle in range(20):
                    store.record('cloud-%d' % number, [
                        refcode('a', 'C%07d' % cycle)], by_code)
                    store.last_changed('cloud-%d' % number)
            except Exception as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=poll, args=(n,))
                   for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual([], errors)
        self.assertEqual(80, len(store.changes()))
        self.assertEqual(['C0000019'] * 4, [
            store.last_changed('cloud-%d' % n)['a'].refcode
            for n in range(4)])


class TestBadFiles(StoreTestCase):

    def setUp(self):
        super().setUp()
        os.makedirs(os.path.dirname(self.path))

    def test_corrupt_file(self):
        with open(self.path, 'wb') as f:
            f.write(b'\x00garbage, not SQLite\xff' * 100)
        for readonly in (False, True):
            error = self.assertRaises(history.HistoryError, self.store,
                                      readonly=readonly)
            self.assertEqual(
                'History store %s: is not a readable history store (file is '
                'not a database)' % self.path, str(error))

    def test_newer_schema_is_refused_and_left_alone(self):
        with sqlite3.connect(self.path) as db:
            db.execute('PRAGMA user_version = 99')
        for readonly in (False, True):
            error = self.assertRaises(history.HistoryError, self.store,
                                      readonly=readonly)
            self.assertIn(self.path, str(error))
            self.assertIn('newer powervc-osc (schema version 99', str(error))
        with sqlite3.connect(self.path) as db:
            self.assertEqual(99, db.execute(
                'PRAGMA user_version').fetchone()[0])

    def test_locked_by_another_writer(self):
        store = self.store(timeout=0.01)
        store.record('c', [refcode('a', 'C6004031')], by_code)
        other = sqlite3.connect(self.path, isolation_level=None)
        self.addCleanup(other.close)
        other.execute('BEGIN IMMEDIATE')
        other.execute("UPDATE changes SET category = 'x'")
        error = self.assertRaises(history.HistoryError, store.record, 'c',
                                  [refcode('a', 'C9002960')], by_code)
        self.assertIn(self.path, str(error))
        self.assertIn('is locked by another process', str(error))
        # WAL: readers still see the last committed state meanwhile.
        reader = self.store(readonly=True)
        self.assertEqual(['progress'],
                         [c.category for c in reader.changes()])
        other.execute('ROLLBACK')
        self.assertEqual(1, store.record('c', [refcode('a', 'C9002960')],
                                         by_code))

    def test_readonly_old_schema_asks_for_an_upgrade(self):
        self.useFixture(fixtures.MockPatchObject(
            history, 'MIGRATIONS', history.MIGRATIONS + [('SELECT 1',)]))
        with sqlite3.connect(self.path) as db:
            db.execute('PRAGMA user_version = 1')
        error = self.assertRaises(history.HistoryError, self.store,
                                  readonly=True)
        self.assertIn('has schema version 1 and needs an upgrade to %d'
                      % (history.schema_version()), str(error))


class TestMigration(StoreTestCase):

    def test_v1_file_migrates_to_a_later_version(self):
        self.store().record('c', [refcode('a', 'C6004031')], by_code)
        step = ('ALTER TABLE changes ADD COLUMN note TEXT',
                "UPDATE changes SET note = 'migrated'")
        self.useFixture(fixtures.MockPatchObject(
            history, 'MIGRATIONS', history.MIGRATIONS + [step]))
        store = self.store()
        self.assertEqual(['C6004031'], [c.refcode for c in store.changes()])
        with sqlite3.connect(self.path) as db:
            self.assertEqual(history.schema_version(), db.execute(
                'PRAGMA user_version').fetchone()[0])
            self.assertEqual([('migrated',)], db.execute(
                'SELECT note FROM changes').fetchall())

    def test_failed_migration_changes_nothing(self):
        self.store().record('c', [refcode('a', 'C6004031')], by_code)
        step = ('ALTER TABLE changes ADD COLUMN note TEXT',
                'INSERT INTO no_such_table VALUES (1)')
        self.useFixture(fixtures.MockPatchObject(
            history, 'MIGRATIONS', history.MIGRATIONS + [step]))
        error = self.assertRaises(history.HistoryError, self.store)
        self.assertIn('no such table', str(error))
        with sqlite3.connect(self.path) as db:
            self.assertEqual(history.schema_version() - 1, db.execute(
                'PRAGMA user_version').fetchone()[0])
            columns = [r[1] for r in db.execute('PRAGMA table_info(changes)')]
        self.assertNotIn('note', columns)


class TestCrash(StoreTestCase):

    def test_error_mid_cycle_keeps_earlier_history(self):
        store = self.store()
        store.record('c', [refcode('a', 'C6004031'),
                           refcode('b', 'C6004031')], by_code)

        def failing(rc):
            if rc.server_id == 'b':
                raise RuntimeError('category table broken')
            return 'progress'

        self.assertRaises(RuntimeError, store.record, 'c', [
            refcode('a', 'C9002960'), refcode('b', 'C9002960')], failing)
        self.assertEqual(['C6004031', 'C6004031'],
                         [r[2] for r in self.rows()])
        # The store is still usable and the failed cycle is retried whole.
        self.assertEqual(2, store.record('c', [
            refcode('a', 'C9002960'), refcode('b', 'C9002960')], by_code))

    def test_killed_writer_loses_only_its_cycle(self):
        script = textwrap.dedent('''
            import os, signal, sys
            from powervc_osc import history, model

            def rc(sid, code):
                return model.Refcode(sid, sid, code, None, None, True)

            def die_at_c(refcode):
                if refcode.server_id == 'c':
                    os.kill(os.getpid(), signal.SIGKILL)
                return 'progress'

            store = history.HistoryStore(sys.argv[1])
            store.record('cloud', [rc('a', 'C1'), rc('b', 'C1')],
                         lambda r: 'progress')
            store.record('cloud', [rc('a', 'C2'), rc('b', 'C2'),
                                   rc('c', 'C2')], die_at_c)
        ''')
        result = subprocess.run([sys.executable, '-c', script, self.path],
                                capture_output=True, text=True, timeout=60)
        self.assertEqual(-9, result.returncode, result.stderr)
        self.assertTrue(os.path.exists(self.path + '-wal'))
        store = self.store()
        self.assertEqual([('cloud', 'a', 'C1', None, 'progress'),
                          ('cloud', 'b', 'C1', None, 'progress')],
                         self.rows())
        with sqlite3.connect(self.path) as db:
            self.assertEqual('ok', db.execute(
                'PRAGMA integrity_check').fetchone()[0])
        self.assertEqual(3, store.record('cloud', [
            refcode('a', 'C2'), refcode('b', 'C2'), refcode('c', 'C2')],
            by_code))


class TestDurations(testtools.TestCase):

    def test_durations(self):
        for text, seconds in (('90', 90), ('90s', 90), ('30m', 1800),
                              ('2h', 7200),
                              ('7d', 604800), ('1w', 604800),
                              ('1h30m', 5400), (' 1.5H ', 5400)):
            self.assertEqual(datetime.timedelta(seconds=seconds),
                             history.parse_duration(text), text)

    def test_bad_durations_name_the_value(self):
        for text in ('', '2 h', 'h', '1h2', '2x', '-2h', '0m', '2h junk',
                     '1e9999d',
                     '9' * 30 + 'w'):
            error = self.assertRaises(ValueError, history.parse_duration,
                                      text)
            self.assertIn(repr(text), str(error))

    @given(st.text(max_size=40))
    def test_any_text_is_a_time_or_a_value_error(self, text):
        try:
            since = history.parse_since(text)
        except ValueError as exc:
            self.assertIn(repr(text), str(exc))
        else:
            self.assertIsNotNone(since.tzinfo)

    def test_since(self):
        now = datetime.datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
        self.assertEqual(datetime.datetime(2026, 11, 27, 12, 0, tzinfo=UTC),
                         history.parse_since('2h', now))
        self.assertEqual(datetime.datetime(2026, 11, 27, 8, 0, tzinfo=UTC),
                         history.parse_since('2026-11-27T08:00'))
        self.assertEqual(datetime.datetime(2026, 11, 27, 7, 0, tzinfo=UTC),
                         history.parse_since('2026-11-27T08:00+01:00'))
        for text in ('yesterday', '2026-13-01', '99999999d'):
            error = self.assertRaises(ValueError, history.parse_since, text)
            self.assertIn(repr(text), str(error))
