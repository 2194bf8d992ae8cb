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

"""The store touches only its own files; churn, renames and bad rows."""

import datetime
import hashlib
import logging
import os
import shutil
import sqlite3
import stat
import subprocess
import threading

import fixtures
import testtools

import powervc_osc
from powervc_osc.history import files
from powervc_osc.history import store as history
from powervc_osc import model
from powervc_osc.tests.unit.history import test_store as base

refcode = base.refcode
by_code = base.by_code
mode = base.mode


def digest(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


class TestOnlyItsOwnFiles(base.StoreTestCase):

    def setUp(self):
        super().setUp()
        os.makedirs(os.path.dirname(self.path))

    def test_a_link_at_the_store_path_is_not_followed(self):
        target = os.path.join(self.dir, 'precious')
        with open(target, 'w') as f:
            f.write('not yours')
        os.chmod(target, 0o644)
        os.symlink(target, self.path)
        error = self.assertRaises(history.HistoryError, self.store)
        self.assertIn('%s: is a symbolic link' % self.path, str(error))
        self.assertEqual(0o644, mode(target))
        with open(target) as f:
            self.assertEqual('not yours', f.read())

    def test_a_dangling_link_creates_nothing_at_its_target(self):
        target = os.path.join(self.dir, 'elsewhere.sqlite3')
        os.symlink(target, self.path)
        error = self.assertRaises(history.HistoryError, self.store)
        self.assertIn('symbolic link', str(error))
        self.assertFalse(os.path.lexists(target))

    def test_a_link_at_a_side_file_is_not_followed(self):
        self.store().close()
        target = os.path.join(self.dir, 'precious')
        open(target, 'w').close()
        os.chmod(target, 0o644)
        os.symlink(target, self.path + '-wal')
        error = self.assertRaises(history.HistoryError, self.store)
        self.assertIn(self.path + '-wal', str(error))
        self.assertEqual(0o644, mode(target))

    def test_another_programs_database_is_left_byte_for_byte(self):
        with sqlite3.connect(self.path) as db:
            db.execute('CREATE TABLE accounts (name TEXT, balance REAL)')
            db.execute("INSERT INTO accounts VALUES ('ann', 12.5)")
        db.close()
        os.chmod(self.path, 0o644)
        before = digest(self.path)
        for readonly in (False, True):
            error = self.assertRaises(history.HistoryError, self.store,
                                      readonly=readonly)
            self.assertEqual(
                "History store %s: is another program's SQLite database (it "
                "has tables but no powervc-osc schema version); it was left "
                "unchanged: choose another --history path" % self.path,
                str(error))
        self.assertEqual(before, digest(self.path))
        self.assertEqual(0o644, mode(self.path))
        self.assertEqual(['history.sqlite3'],
                         os.listdir(os.path.dirname(self.path)))

    def test_an_empty_file_becomes_a_store(self):
        open(self.path, 'w').close()
        self.store().record('c', [refcode('a', 'C6004031')], by_code)
        self.assertEqual(1, len(self.rows()))

    def test_two_writers_creating_the_same_store_both_succeed(self):
        # The first writer holds its new file while the second switches
        # to WAL; SQLite does not wait for that by itself.
        other = sqlite3.connect(self.path, isolation_level=None)
        self.addCleanup(other.close)
        other.execute('BEGIN IMMEDIATE')
        waiting = threading.Event()
        real_pause = files._pause

        def pause(seconds):
            waiting.set()
            real_pause(seconds)

        self.useFixture(fixtures.MockPatchObject(files, '_pause',
                                                 pause))
        opened = []
        second = threading.Thread(
            target=lambda: opened.append(self.store()))
        second.start()
        self.assertTrue(waiting.wait(30))
        other.execute('ROLLBACK')
        second.join(30)
        self.assertEqual(1, len(opened))
        opened[0].record('c', [refcode('a', 'C6004031')], by_code)
        self.assertEqual(1, len(self.rows()))

    def test_messages_name_the_file_not_a_descriptor(self):
        self.store().close()
        os.mkdir(self.path + '-shm')
        self.addCleanup(os.rmdir, self.path + '-shm')
        error = self.assertRaises(history.HistoryError, self.store)
        self.assertIn('%s-shm is not a regular file' % self.path,
                      str(error))
        error = files._problem(
            self.path, 'cannot be made private',
            PermissionError(1, 'Operation not permitted'))
        self.assertEqual('cannot be made private: Operation not permitted',
                         error.problem)
        self.assertEqual(self.path, error.path)

    def test_a_reader_needs_no_write_access_to_the_folder(self):
        writer = self.store()
        writer.record('c', [refcode('a', 'C6004031')], by_code)
        writer.close()
        folder = os.path.dirname(self.path)
        if os.geteuid() != 0:
            os.chmod(folder, 0o500)
            self.addCleanup(os.chmod, folder, 0o700)
            self.assertEqual(['C6004031'], [
                c.refcode for c in self.store(readonly=True).changes()])
        else:
            # Root may write any folder: read as nobody instead.
            out = self.as_nobody(
                'from powervc_osc import history; '
                'print([c.refcode for c in history.HistoryStore(%r, '
                'readonly=True).changes()])' % self.path)
            self.assertEqual("['C6004031']\n", out)
        self.assertEqual(['history.sqlite3'], os.listdir(folder))

    def as_nobody(self, code):
        """Run ``code`` as user nobody (it may read, not write, the store).

        nobody runs a copy of the package in the test's own folder: the
        checkout may be where nobody cannot reach (a 0700 home).
        """
        setpriv = shutil.which('setpriv')
        python = '/usr/bin/python3'
        if not setpriv or not os.access(python, os.X_OK):
            self.skipTest('setpriv and /usr/bin/python3 are needed as root')
        unreachable = _not_searchable_by_others(os.path.dirname(self.dir))
        if unreachable:
            self.skipTest('nobody cannot reach the temporary folder (%s is '
                          'not searchable by others): set TMPDIR'
                          % unreachable)
        code_dir = os.path.join(self.dir, 'code')
        shutil.copytree(os.path.dirname(powervc_osc.__file__),
                        os.path.join(code_dir, 'powervc_osc'),
                        ignore=shutil.ignore_patterns('tests', '__pycache__'))
        for path in [self.dir, os.path.join(self.dir, 'state'),
                     os.path.dirname(self.path)]:
            os.chmod(path, 0o755)
        for top, dirs, names in os.walk(code_dir):
            os.chmod(top, 0o755)
            for name in names:
                os.chmod(os.path.join(top, name), 0o644)
        os.chmod(self.path, 0o644)
        done = subprocess.run(
            [setpriv, '--reuid=65534', '--regid=65534', '--clear-groups',
             python, '-c', code], capture_output=True, text=True,
            env={'PYTHONPATH': code_dir, 'PATH': '/usr/bin:/bin',
                 'PYTHONDONTWRITEBYTECODE': '1'},
            cwd='/', timeout=60)
        self.assertEqual('', done.stderr)
        return done.stdout


def _not_searchable_by_others(path):
    """The first folder from / to ``path`` that others may not enter."""
    folder = '/'
    for part in os.path.abspath(path).split(os.sep):
        folder = os.path.join(folder, part)
        if not os.stat(folder).st_mode & stat.S_IXOTH:
            return folder
    return None


class TestChurn(base.StoreTestCase):

    def latest(self):
        with sqlite3.connect(self.path) as db:
            rows = db.execute('SELECT server_id FROM latest').fetchall()
        db.close()
        return sorted(r[0] for r in rows)

    def test_gone_servers_leave_latest_after_some_polls(self):
        store = self.store()
        store.record_cycle('c', [refcode('a', 'C1'), refcode('b', 'C1')],
                           by_code)
        for _ in range(history.FORGET_AFTER_POLLS - 1):
            cycle = store.record_cycle('c', [refcode('a', 'C1')], by_code)
            self.assertEqual(0, cycle.forgotten)
        self.assertEqual(['a', 'b'], self.latest())
        cycle = store.record_cycle('c', [refcode('a', 'C1')], by_code)
        self.assertEqual(1, cycle.forgotten)
        self.assertEqual(['a'], self.latest())
        # Its history stays until retention deletes it.
        self.assertEqual(1, len(store.changes('b')))
        self.clock.now += 2 * base.HOUR
        self.assertEqual(1, store.prune(datetime.timedelta(hours=1)))
        self.assertEqual([], store.changes('b'))
        self.assertEqual(1, len(store.changes('a')))

    def test_a_server_back_in_time_or_kept_is_not_forgotten(self):
        store = self.store()
        store.record_cycle('c', [refcode('a', 'C1'), refcode('b', 'C1')],
                           by_code)
        for _ in range(history.FORGET_AFTER_POLLS - 1):
            store.record_cycle('c', [refcode('a', 'C1')], by_code)
        cycle = store.record_cycle('c', [refcode('a', 'C1'),
                                         refcode('b', 'C1')], by_code)
        self.assertEqual((0, 0), (cycle.written, cycle.forgotten))
        for _ in range(history.FORGET_AFTER_POLLS + 1):
            store.record_cycle('c', [refcode('a', 'C1')], by_code,
                               keep={'b'})
        self.assertEqual(['a', 'b'], self.latest())

    def test_a_partial_record_forgets_nobody(self):
        store = self.store()
        store.record('c', [refcode('a', 'C1'), refcode('b', 'C1')], by_code)
        for _ in range(history.FORGET_AFTER_POLLS + 1):
            store.record('c', [refcode('a', 'C2')], by_code)
        self.assertEqual(['a', 'b'], self.latest())

    def test_latest_stays_bounded_when_the_fleet_is_replaced(self):
        store = self.store()
        for cycle in range(20):
            store.record_cycle('c', [refcode('%d-%d' % (cycle, n), 'C1')
                                     for n in range(10)], by_code)
        # This poll's servers, and those of the polls they may come back
        # in.
        self.assertEqual(10 * history.FORGET_AFTER_POLLS,
                         len(self.latest()))

    def test_changed_at_of_polled_and_kept_servers(self):
        store = self.store()
        store.record_cycle('c', [refcode('a', 'C1'), refcode('b', 'C1')],
                           by_code)
        first = self.clock.now
        self.clock.now += 60
        cycle = store.record_cycle('c', [refcode('a', 'C2')], by_code,
                                   keep={'b'})
        self.assertEqual({'a': first + 60, 'b': first}, cycle.changed_at)


class TestWhatIsRecorded(base.StoreTestCase):

    def test_a_rename_is_a_row_but_not_a_code_change(self):
        store = self.store()
        store.record('c', [refcode('a', 'C1', name='old')], by_code)
        first = self.clock.now
        self.clock.now += 60
        cycle = store.record_cycle(
            'c', [refcode('a', 'C1', name='new')], by_code)
        self.assertEqual(1, cycle.written)
        # The code did not change: its time stays (IPL-stuck alerts).
        self.assertEqual({'a': first}, cycle.changed_at)
        self.clock.now += 60
        cycle = store.record_cycle(
            'c', [refcode('a', 'C2', name='new')], by_code)
        self.assertEqual({'a': first + 120}, cycle.changed_at)
        self.assertEqual(['new', 'new', 'old'],
                         [c.server_name for c in store.changes('a')])
        self.assertEqual([('c', 'a')], store.servers('new'))
        self.assertEqual([('c', 'a')], store.servers('old'))

    def test_collection_off_is_a_stale_row(self):
        store = self.store()
        on = refcode('a', 'B2008105', 'IPL_failed_attention')
        off = model.Refcode('a', on.server_name, on.refcode, on.led_code,
                            on.queried_at, False)
        store.record('c', [on], lambda rc: rc.category)
        self.clock.now += 60
        cycle = store.record_cycle('c', [off], lambda rc: rc.category)
        self.assertEqual(1, cycle.written)
        self.assertEqual({'a': self.clock.now - 60}, cycle.changed_at)
        self.assertEqual(['stale', 'error'],
                         [c.category for c in store.changes('a')])

    def test_an_id_wins_over_a_name(self):
        store = self.store()
        store.record('c', [refcode('a', 'C1', name='b'),
                           refcode('b', 'C2', name='x')], by_code)
        self.assertEqual([('c', 'b')], store.servers('b'))
        self.assertEqual(['C2'], [c.refcode for c in store.changes(
            server_id='b')])

    def test_limit_beyond_sqlite(self):
        store = self.store()
        self.assertRaises(ValueError, store.changes,
                          limit=history.SQLITE_MAX_INT + 1)
        self.assertEqual([], store.changes(limit=history.SQLITE_MAX_INT))

    def test_a_change_composes_the_refcode(self):
        store = self.store()
        rc = refcode('a', 'C6004031', 'Surr')
        store.record('c', [rc], by_code)
        [change] = store.changes()
        self.assertEqual((rc.server_id, rc.server_name, rc.refcode,
                          rc.led_code, rc.queried_at),
                         (change.row.server_id, change.server_name,
                          change.refcode, change.led_code,
                          change.queried_at))


class TestBadRows(base.StoreTestCase):

    def setUp(self):
        super().setUp()
        self.log = self.useFixture(fixtures.FakeLogger(level=logging.INFO))
        self.store_ = self.store()
        self.store_.record('c', [refcode('a', 'C1'), refcode('b', 'C2')],
                           by_code)

    def spoil(self, sql, *params):
        with sqlite3.connect(self.path) as db:
            db.execute(sql, params)
            # As after an upgrade from schema 1: the time is the row's.
            db.execute('UPDATE latest SET code_since = NULL')
        db.close()

    def test_bad_times_are_skipped_in_one_line_each(self):
        for value in (1e20, float('inf'), 'garbage', b'\x00', -1e300):
            self.spoil("UPDATE changes SET observed_at = ? WHERE server_id "
                       "= 'a'", value)
            cycle = self.store_.record_cycle(
                'c', [refcode('a', 'C1'), refcode('b', 'C2')], by_code)
            self.assertEqual(['b'], list(cycle.changed_at))
            [line] = cycle.bad_rows
            self.assertIn(self.path, line)
            self.assertIn("row 1 (cloud 'c', server 'a') skipped: "
                          "observed_at", line)
            self.assertEqual(['b'], list(self.store_.last_changed('c')))
            self.assertEqual(['C2'], [c.refcode
                                      for c in self.store_.changes()])

    def test_a_bad_code_since_is_skipped_too(self):
        with sqlite3.connect(self.path) as db:
            db.execute("UPDATE latest SET code_since = 1e20 WHERE server_id "
                       "= 'a'")
        db.close()
        cycle = self.store_.record_cycle(
            'c', [refcode('a', 'C1'), refcode('b', 'C2')], by_code)
        self.assertEqual(['b'], list(cycle.changed_at))
        self.assertEqual(1, len(cycle.bad_rows))

    def test_control_characters_are_not_returned(self):
        self.spoil("UPDATE changes SET refcode = ?, server_name = ?",
                   '\x1b[2JC1', 'vm\x07')
        [change, _] = self.store_.changes()
        self.assertEqual('\ufffd[2JC1', change.refcode)
        self.assertEqual('vm\ufffd', change.server_name)

    def test_a_bad_row_is_logged_once(self):
        self.spoil("UPDATE changes SET observed_at = 'x'")
        for _ in range(3):
            self.store_.changes()
        self.assertEqual(2, self.log.output.count('skipped'))


class TestFileModes(base.StoreTestCase):

    def test_new_store_file_mode(self):
        self.store().close()
        self.assertEqual(0o600, stat.S_IMODE(os.lstat(self.path).st_mode))


class TestUpgradeFromSchema1(base.StoreTestCase):

    def test_a_schema_1_store_keeps_its_times_and_forgets_the_gone(self):
        # A file as powervc-osc with schema 1 wrote it.
        first = self.clock.now
        os.makedirs(os.path.dirname(self.path))
        with sqlite3.connect(self.path) as db:
            for statement in history.MIGRATIONS[0]:
                db.execute(statement)
            for number, server in enumerate('ab', 1):
                db.execute(
                    "INSERT INTO changes VALUES (?, 'c', ?, ?, 'C1', NULL, "
                    "'progress', NULL, ?)",
                    (number, server, 'vm-' + server, first))
                db.execute("INSERT INTO latest VALUES ('c', ?, ?)",
                           (server, number))
            db.execute('PRAGMA user_version = 1')
        db.close()
        self.clock.now += 60
        store = self.store()
        with sqlite3.connect(self.path) as db:
            self.assertEqual(history.schema_version(), db.execute(
                'PRAGMA user_version').fetchone()[0])
        db.close()
        cycle = store.record_cycle('c', [refcode('a', 'C1')], by_code)
        self.assertEqual(({'a': first}, 0), (cycle.changed_at,
                                             cycle.written))
        for _ in range(history.FORGET_AFTER_POLLS - 1):
            cycle = store.record_cycle('c', [refcode('a', 'C1')], by_code)
        self.assertEqual(1, cycle.forgotten)


class TestLimitConstant(testtools.TestCase):

    def test_the_command_knows_sqlites_largest_integer(self):
        from powervc_osc.osc import history as command

        self.assertEqual(history.SQLITE_MAX_INT, command.SQLITE_MAX_INT)
