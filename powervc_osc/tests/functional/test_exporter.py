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

"""``powervc-osc-exporter`` as a process against the simulator."""

import hashlib
import os
import signal
import socket
import sqlite3
import subprocess

import yaml

from powervc_osc import history
from powervc_osc.simulator import fixture as sim_fixture
from powervc_osc.tests import cli_runner
from powervc_osc.tests.functional import base
from powervc_osc.tests.functional import exporter_fixtures as ef


class ExporterTestCase(base.FunctionalTestCase):

    def setUp(self):
        super().setUp()
        self.env = self.environment()
        self.history = os.path.join(
            self.useFixture(ef.fixtures.TempDir()).path, 'history.sqlite3')

    def exporter(self, *args):
        return self.useFixture(ef.ExporterProcess(args, self.env))

    def assertCleanEnd(self, exporter, signum=signal.SIGTERM):
        self.assertEqual(0, exporter.stop(signum), exporter.stderr)
        self.assertNotIn('Traceback', exporter.stderr)
        self.assertNotIn('passw0rd', exporter.stderr)

    def spoil_a_row(self):
        """Record a poll, then give one row an impossible time."""
        stuck = self.sim.state.server_id('ibmi-stuck-1')
        done = subprocess.run(
            [ef.EXPORTER, '--os-cloud', base.ADMIN, '--once', '--history',
             self.history], env=self.env, capture_output=True, text=True,
            timeout=cli_runner.COMMAND_TIMEOUT)
        self.assertEqual(0, done.returncode, done.stderr)
        with sqlite3.connect(self.history) as db:
            db.execute('UPDATE latest SET code_since = NULL')
            db.execute('UPDATE changes SET observed_at = 1e20 WHERE '
                       'server_id = ?', (stuck,))
        db.close()

    def recorded(self):
        store = history.HistoryStore(self.history, readonly=True)
        self.addCleanup(store.close)
        return store.changes()


class TestServe(ExporterTestCase):

    def test_serves_the_fleet_records_history_and_ends_on_signals(self):
        for signum in (signal.SIGTERM, signal.SIGINT):
            exporter = self.exporter(
                '--os-cloud', base.ADMIN, '--interval', '1',
                '--history', self.history)
            text = ef.wait_for('the stuck server', lambda: (
                lambda t: 'refcode="B2008105"' in t and t)(
                    exporter.metrics()))
            self.assertIn('server_name="ibmi-stuck-1"', text)
            self.assertIn('powervc_up{cloud="%s"} 1.0' % base.ADMIN, text)
            self.assertCleanEnd(exporter, signum)
            self.assertIn('Stopping (%s)' % signum.name, exporter.stderr)
            self.assertIn('B2008105', [c.refcode for c in self.recorded()])

    def test_a_signal_ends_it_while_powervc_hangs(self):
        self.sim.add_fault(path='/servers/detail', delay_ms=120000)
        exporter = self.exporter('--os-cloud', base.ADMIN, '--history',
                                 self.history)
        ef.wait_for('the listing to hang', lambda: any(
            f.hits for f in self.sim.faults.snapshot()))
        # The answer would take two minutes; stop() allows ten seconds.
        self.assertCleanEnd(exporter)
        self.assertEqual([], self.recorded())

    def test_one_cloud_down_does_not_stop_the_other(self):
        ef.add_unreachable_cloud(self.sim.clouds_yaml, base.ADMIN, 'broken')
        exporter = self.exporter('--os-cloud', base.ADMIN, '--os-cloud',
                                 'broken', '--interval', '1')
        text = ef.wait_for('two failed polls', lambda: (
            lambda t: 'powervc_poll_failures_total{cloud="broken"} 2.0' in t
            and t)(exporter.metrics()))
        self.assertIn('powervc_up{cloud="broken"} 0.0', text)
        self.assertIn('powervc_up{cloud="%s"} 1.0' % base.ADMIN, text)
        self.assertIn('refcode="B2008105"', text)
        self.assertEqual(1, exporter.stderr.count('Cloud broken cannot be '
                                                  'reached'), exporter.stderr)
        self.assertIn('powervc_poll_failure{cloud="broken",reason='
                      '"unreachable"} 1.0', text)
        self.assertCleanEnd(exporter)

    def test_a_slow_cloud_does_not_delay_another(self):
        slow = self.useFixture(sim_fixture.SimulatorFixture(
            write_clouds_yaml=False, latency_ms=5000))
        with open(self.sim.clouds_yaml) as f:
            clouds = yaml.safe_load(f)
        clouds['clouds']['slow'] = slow.clouds()[base.ADMIN]
        with open(self.sim.clouds_yaml, 'w') as f:
            yaml.safe_dump(clouds, f)
        exporter = self.exporter('--os-cloud', base.ADMIN, '--os-cloud',
                                 'slow', '--interval', '1')
        listings = ef.wait_for('three polls of the healthy cloud', lambda: (
            lambda n: n >= 3 and n)(len(
                [r for r in self.sim.requests
                 if r.path.endswith('/servers/detail')])))
        # Each answer of the slow PowerVC takes 5 s: it has not even
        # answered the login yet.
        self.assertEqual([], [r for r in slow.requests
                              if r.path.endswith('/servers/detail')])
        self.assertGreaterEqual(listings, 3)
        self.assertIn('refcode="B2008105"', exporter.metrics())
        self.assertCleanEnd(exporter)

    def test_a_malformed_store_row_is_one_line_and_a_counter(self):
        self.spoil_a_row()
        exporter = self.exporter('--os-cloud', base.ADMIN, '--interval', '1',
                                 '--history', self.history)
        text = ef.wait_for('two cycles with the bad row', lambda: (
            lambda t: 'stage="history"} 2.0' in t and t)(exporter.metrics()))
        self.assertIn('powervc_up{cloud="%s"} 1.0' % base.ADMIN, text)
        self.assertIn('refcode="B2008105"', text)
        self.assertIn('server_name="ibmi-prod-1"', text)
        self.assertCleanEnd(exporter)
        lines = [line for line in exporter.stderr.splitlines()
                 if 'skipped' in line]
        self.assertEqual(1, len(lines), exporter.stderr)
        self.assertIn(self.history, lines[0])


class TestOnce(ExporterTestCase):

    def run_exporter(self, *args):
        return subprocess.run(
            [ef.EXPORTER] + list(args), env=self.env, capture_output=True,
            text=True, timeout=cli_runner.COMMAND_TIMEOUT)

    def test_once_records_and_prints(self):
        done = self.run_exporter('--os-cloud', base.ADMIN, '--once',
                                 '--history', self.history)
        self.assertEqual(0, done.returncode, done.stderr)
        self.assertIn('server_name="ibmi-stuck-1"', done.stdout)
        self.assertNotIn('Traceback', done.stderr)
        self.assertIn('ibmi-stuck-1',
                      [c.server_name for c in self.recorded()])

    def test_admin_and_non_admin_see_their_scope(self):
        admin = self.run_exporter('--os-cloud', base.ADMIN, '--once',
                                  '--all-projects')
        operator = self.run_exporter('--os-cloud', base.OPERATOR, '--once')
        for done in (admin, operator):
            self.assertEqual(0, done.returncode, done.stderr)
            self.assertIn('server_name="ibmi-prod-1"', done.stdout)
            self.assertNotIn('passw0rd', done.stdout + done.stderr)
        self.assertIn('server_name="other-proj-vm"', admin.stdout)
        self.assertNotIn('server_name="other-proj-vm"', operator.stdout)

    def test_unreadable_clouds_yaml_is_one_line(self):
        os.unlink(self.sim.clouds_yaml)
        os.mkdir(self.sim.clouds_yaml)
        self.addCleanup(os.rmdir, self.sim.clouds_yaml)
        done = self.run_exporter('--os-cloud', base.ADMIN, '--once')
        self.assertEqual(1, done.returncode)
        self.assertEqual('powervc-osc-exporter: cannot read %s: Is a '
                         'directory\n' % self.sim.clouds_yaml, done.stderr)

    def test_bad_option_is_one_line(self):
        done = self.run_exporter('--listen', 'nowhere')
        self.assertEqual(2, done.returncode)
        self.assertEqual(1, done.stderr.count('\n'), done.stderr)
        self.assertIn('--listen', done.stderr)

    def test_a_name_that_is_no_regex_is_a_usage_error(self):
        done = self.run_exporter('--os-cloud', base.ADMIN, '--once',
                                 '--name', '(')
        self.assertEqual(2, done.returncode)
        self.assertEqual(1, done.stderr.count('\n'), done.stderr)
        self.assertIn("--name '(' is not a regular expression", done.stderr)

    def test_once_with_a_malformed_row_publishes_the_rest(self):
        self.spoil_a_row()
        done = self.run_exporter('--os-cloud', base.ADMIN, '--once',
                                 '--history', self.history)
        self.assertEqual(0, done.returncode, done.stderr)
        self.assertIn('powervc_up{cloud="%s"} 1.0' % base.ADMIN, done.stdout)
        self.assertIn('powervc_exporter_errors_total{cloud="%s",'
                      'stage="history"} 1.0' % base.ADMIN, done.stdout)
        self.assertNotIn('Traceback', done.stderr)

    def test_once_fails_when_the_store_is_locked(self):
        self.run_exporter('--os-cloud', base.ADMIN, '--once', '--history',
                          self.history)
        self.sim.state.add_server('new-1', refcode=True)
        other = sqlite3.connect(self.history, isolation_level=None)
        self.addCleanup(other.close)
        other.execute('BEGIN IMMEDIATE')
        done = self.run_exporter('--os-cloud', base.ADMIN, '--once',
                                 '--history', self.history)
        other.execute('ROLLBACK')
        self.assertEqual(1, done.returncode, done.stderr)
        self.assertIn('powervc_up{cloud="%s"} 1.0' % base.ADMIN, done.stdout)
        self.assertIn('powervc_history_write_failures_total{cloud="%s"} 1.0'
                      % base.ADMIN, done.stdout)
        self.assertIn('is locked by another process', done.stderr)
        self.assertNotIn('Traceback', done.stderr)

    def test_a_link_or_another_database_is_refused_untouched(self):
        folder = os.path.dirname(self.history)
        target = os.path.join(folder, 'app.db')
        with sqlite3.connect(target) as db:
            db.execute('CREATE TABLE users (name TEXT)')
        db.close()
        os.chmod(target, 0o644)
        with open(target, 'rb') as f:
            before = hashlib.sha256(f.read()).hexdigest()
        os.symlink(target, self.history)
        for path, words in ((self.history, 'is a symbolic link'),
                            (target, "is another program's SQLite database")):
            done = self.run_exporter('--os-cloud', base.ADMIN, '--once',
                                     '--history', path)
            self.assertEqual(1, done.returncode)
            self.assertEqual(1, done.stderr.count('\n'), done.stderr)
            self.assertIn('%s: %s' % (path, words), done.stderr)
        with open(target, 'rb') as f:
            self.assertEqual(before, hashlib.sha256(f.read()).hexdigest())
        self.assertEqual(0o644, os.stat(target).st_mode & 0o777)
        self.assertEqual(['app.db', 'history.sqlite3'],
                         sorted(os.listdir(folder)))


class TestMisconfiguration(ExporterTestCase):
    """A configuration to fix is told apart from an outage."""

    def logins(self):
        return [r for r in self.sim.requests
                if r.method == 'POST' and r.path.endswith('/auth/tokens')]

    def test_a_wrong_password_backs_off_and_says_so(self):
        self.set_cloud_option(base.ADMIN, auth={'password': 'wrong-pass'})
        exporter = self.exporter('--os-cloud', base.ADMIN, '--interval', '1')
        ef.wait_for('the second refusal', lambda: 'login refused 2 time(s)'
                    in exporter.stderr)
        text = exporter.metrics()
        self.assertIn('powervc_poll_failure{cloud="%s",reason='
                      '"authentication"} 1.0' % base.ADMIN, text)
        self.assertIn('powervc_up{cloud="%s"} 0.0' % base.ADMIN, text)
        err = exporter.stderr
        self.assertEqual(1, err.count('refused the login'), err)
        self.assertIn('next try in 2 s', err)
        self.assertIn('login refused 2 time(s) in a row; next try in 4 s',
                      err)
        self.assertNotIn('cannot be reached', err)
        # One login per poll: the second poll came 2 s after the first.
        self.assertEqual(2, len(self.logins()))
        self.assertCleanEnd(exporter)
        self.assertNotIn('wrong-pass', exporter.stderr)

    def test_a_filter_that_needs_admin_is_permission(self):
        done = subprocess.run(
            [ef.EXPORTER, '--os-cloud', base.OPERATOR, '--once',
             '--all-projects'], env=self.env, capture_output=True,
            text=True, timeout=cli_runner.COMMAND_TIMEOUT)
        self.assertEqual(1, done.returncode, done.stderr)
        self.assertIn('powervc_poll_failure{cloud="%s",reason="permission"}'
                      ' 1.0' % base.OPERATOR, done.stdout)
        self.assertIn('the user lacks a role the filters need', done.stderr)
        self.assertNotIn('cannot be reached', done.stderr)

    def test_a_host_naming_nothing_is_logged_once(self):
        exporter = self.exporter('--os-cloud', base.ADMIN, '--interval', '1',
                                 '--host', 'NO_SUCH_HOST')
        ef.wait_for('three polls', lambda: len(
            [r for r in self.sim.requests
             if r.path.endswith('/servers/detail')]) >= 3)
        self.assertCleanEnd(exporter)
        self.assertEqual(1, exporter.stderr.count(
            'no server matches --host NO_SUCH_HOST'), exporter.stderr)


class TestQuietLogs(ExporterTestCase):
    """Retries are not logged without --debug; every line is short."""

    def test_a_flaky_powervc_logs_no_retry_line(self):
        self.sim.simulator.error_rate = 0.3
        exporter = self.exporter('--os-cloud', base.ADMIN, '--interval', '1')
        ef.wait_for('retried requests and three polls', lambda: len(
            [r for r in self.sim.requests
             if r.path.endswith('/servers/detail')]) >= 6)
        self.assertCleanEnd(exporter)
        err = exporter.stderr
        for word in ('etry', 'Max retries'):
            self.assertNotIn(word, err)
        self.assertEqual([], [line for line in err.splitlines()
                              if len(line) > 200])


class TestShortTokens(ExporterTestCase):
    """A token that lives 40 s serves 40 s of requests."""

    simulator_kwargs = {'token_ttl': 40}

    def test_one_login_for_many_polls(self):
        # Every code read every poll: many requests within the token's life.
        exporter = self.exporter('--os-cloud', base.ADMIN, '--interval', '1',
                                 '--max-age', '0', '--max-rate', '0')
        ef.wait_for('eleven compute requests', lambda: len(
            [r for r in self.sim.requests
             if '/compute/v2.1/' in r.path]) > 10)
        self.assertCleanEnd(exporter)
        logins = [r for r in self.sim.requests
                  if r.method == 'POST' and r.path.endswith('/auth/tokens')]
        self.assertEqual(1, len(logins))


class TestIdleClients(ExporterTestCase):

    def test_idle_connections_do_not_hold_a_scrape(self):
        exporter = self.exporter('--os-cloud', base.ADMIN, '--interval', '1')
        ef.wait_for('the first poll', lambda: 'B2008105' in exporter.metrics())
        port = int(exporter.url.rsplit(':', 1)[1].split('/')[0])
        idle = [socket.create_connection(('127.0.0.1', port), timeout=10)
                for _ in range(600)]
        self.addCleanup(lambda: [sock.close() for sock in idle])
        self.assertIn('B2008105', exporter.metrics())
        self.assertCleanEnd(exporter)
