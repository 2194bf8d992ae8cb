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

"""``powervc-osc-exporter`` in-process: options, setup errors, --once."""

import io
import logging
import os
import signal

import fixtures
import testtools
import yaml

from powervc_osc.exporter import cli
from powervc_osc.exporter import serving
from powervc_osc.history import store as history_store
from powervc_osc.tests import tls_fixtures as tf
from powervc_osc.tests.unit.exporter import base
from powervc_osc.tests.unit import fakes


def cloud(region):
    return {'auth': {'auth_url': fakes.AUTH_URL, 'username': 'admin',
                     'password': fakes.PASSWORD,
                     'project_id': fakes.PROJECT_ID,
                     'user_domain_id': 'default'},
            'region_name': region}


class CliTestCase(base.ExporterTestCase):

    def setUp(self):
        super().setUp()
        self.log = self.useFixture(fixtures.FakeLogger(level=logging.INFO))
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            self.addCleanup(signal.signal, signum, signal.getsignal(signum))
        for name in cli.CHATTY_LOGGERS:
            logger = logging.getLogger(name)
            self.addCleanup(logger.setLevel, logger.level)
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.clouds_yaml = os.path.join(self.tmp, 'clouds.yaml')
        self.write_clouds({'clouds': {'prod': cloud('RegionOne'),
                                      'backup': cloud('RegionTwo')}})
        self.useFixture(fakes.NoOSEnvironment())
        self.useFixture(fixtures.EnvironmentVariable(
            'OS_CLIENT_CONFIG_FILE', self.clouds_yaml))
        self.useFixture(fixtures.EnvironmentVariable(
            'XDG_STATE_HOME', self.tmp))
        self.stdout = io.StringIO()
        self.stderr = io.StringIO()
        self.useFixture(fixtures.MonkeyPatch('sys.stdout', self.stdout))
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', self.stderr))

    def write_clouds(self, data):
        with open(self.clouds_yaml, 'w') as f:
            yaml.safe_dump(data, f)

    def main(self, *argv):
        try:
            return cli.main(list(argv))
        except SystemExit as exc:
            return exc.code


class TestUsage(CliTestCase):

    def assertUsageError(self, argv, *words):
        self.assertEqual(2, self.main(*argv))
        err = self.stderr.getvalue()
        self.assertEqual(1, err.count('\n'), err)
        self.assertTrue(err.startswith('powervc-osc-exporter: error: '), err)
        for word in words:
            self.assertIn(word, err)
        self.assertEqual('', self.stdout.getvalue())

    def test_bad_values_name_the_option(self):
        cases = [
            (['--interval', '0'], '--interval', "'0'"),
            (['--interval', 'soon'], '--interval', "'soon'"),
            (['--interval', '0.5'], '--interval', "shorter than 1s"),
            (['--listen', '9464'], '--listen', "'9464'"),
            (['--listen', 'localhost:99999'], '--listen'),
            (['--max-workers', '0'], '--max-workers'),
            (['--retention', '1x', '--history'], '--retention'),
            (['--bogus'], '--bogus'),
        ]
        for case in cases:
            self.stderr.seek(0)
            self.stderr.truncate()
            self.assertUsageError(*case[:1], *case[1:])

    def test_retention_needs_history(self):
        self.assertUsageError(['--retention', '7d'], '--retention needs '
                              '--history')

    def test_a_cloud_given_twice(self):
        self.assertUsageError(['--os-cloud', 'prod', '--os-cloud', 'prod'],
                              'cloud prod given twice')

    def test_a_web_config_has_no_use_with_once(self):
        self.assertUsageError(['--once', '--web-config-file', 'web.yml'],
                              '--web-config-file has no use with --once')

    def test_a_name_that_is_no_regular_expression(self):
        self.assertUsageError(['--os-cloud', 'prod', '--once', '--name', '('],
                              "--name '(' is not a regular expression")
        self.assertEqual([], self.requests.request_history)


class TestLogLines(testtools.TestCase):

    def record(self, message, *args):
        return logging.LogRecord('powervc_osc.exporter', logging.WARNING,
                                 __file__, 1, message, args, None)

    def test_lines_are_cut_at_200_characters_on_one_line(self):
        form = cli._ShortLines('%(levelname)s %(name)s: %(message)s')
        line = form.format(self.record('Cloud %s: %s', 'prod',
                                       'x' * 500 + '\nsecond line'))
        self.assertEqual(cli.MAX_LOG_LINE, len(line))
        self.assertTrue(line.startswith('WARNING powervc_osc.exporter: '
                                        'Cloud prod: xxx'), line)
        self.assertTrue(line.endswith('...'))
        short = form.format(self.record('Cloud prod answers again'))
        self.assertEqual('WARNING powervc_osc.exporter: Cloud prod answers '
                         'again', short)


class TestSetupErrors(CliTestCase):

    def assertSetupError(self, argv, *words):
        self.assertEqual(1, self.main(*argv))
        err = self.stderr.getvalue()
        self.assertEqual(1, err.count('\n'), err)
        self.assertNotIn('Traceback', err)
        self.assertNotIn(fakes.PASSWORD, err)
        for word in words:
            self.assertIn(word, err)
        self.assertEqual([], self.requests.request_history)

    def test_unknown_cloud(self):
        self.assertSetupError(['--os-cloud', 'nope', '--once'],
                              'cloud nope', 'nope')

    def test_clouds_yaml_that_is_not_yaml(self):
        with open(self.clouds_yaml, 'w') as f:
            f.write('clouds:\n  prod: [unclosed\n')
        self.assertSetupError(['--os-cloud', 'prod', '--once'],
                              self.clouds_yaml, 'is not valid YAML (line')

    def test_clouds_yaml_that_cannot_be_read(self):
        os.unlink(self.clouds_yaml)
        os.mkdir(self.clouds_yaml)
        self.assertSetupError(['--os-cloud', 'prod', '--once'],
                              'cannot read %s: Is a directory'
                              % self.clouds_yaml)

    def test_unusable_history_store(self):
        folder = os.path.join(self.tmp, 'folder')
        os.mkdir(folder)
        self.assertSetupError(['--os-cloud', 'prod', '--once',
                               '--history', folder], folder)

    def test_a_wrong_web_config_stops_the_start(self):
        path = os.path.join(self.tmp, 'web.yml')
        with open(path, 'w') as f:
            f.write('basic_auth_users:\n  prometheus: %s\n'
                    % fakes.PASSWORD)
        self.assertSetupError(['--os-cloud', 'prod', '--web-config-file',
                               path], path, 'not a bcrypt hash')

    def test_a_missing_web_config(self):
        path = os.path.join(self.tmp, 'absent.yml')
        self.assertSetupError(['--os-cloud', 'prod', '--web-config-file',
                               path], '%s: cannot read it' % path)


class TestOnce(CliTestCase):

    def test_once_prints_the_metrics_and_records_history(self):
        self.fleet([(1, 'ibmi-stuck-1', base.metadata('B2008105'))])
        store = os.path.join(self.tmp, 'h.sqlite3')
        self.assertEqual(0, self.main('--os-cloud', 'prod', '--once',
                                      '--history', store))
        out = self.stdout.getvalue()
        self.assertIn('powervc_up{cloud="prod"} 1.0', out)
        self.assertIn('refcode="B2008105"', out)
        self.assertNotIn(fakes.PASSWORD, out + self.stderr.getvalue())
        from powervc_osc import history

        with_store = history.HistoryStore(store, readonly=True)
        self.addCleanup(with_store.close)
        self.assertEqual(['B2008105'],
                         [c.refcode for c in with_store.changes()])

    def test_once_fails_when_a_cloud_fails_and_polls_the_others(self):
        self.fleet([(1, 'ibmi-stuck-1', base.metadata('B2008105'))])
        self.requests.get(base.DETAIL_URL_TWO, status_code=500)
        self.assertEqual(1, self.main('--os-cloud', 'prod', '--os-cloud',
                                      'backup', '--once'))
        out = self.stdout.getvalue()
        self.assertIn('powervc_up{cloud="prod"} 1.0', out)
        self.assertIn('powervc_up{cloud="backup"} 0.0', out)
        self.assertIn('Cloud backup cannot be reached', self.log.output)

    def record_then(self, sql, *params):
        """A store that knows servers 1 and 2, then ``sql`` run on it."""
        import sqlite3

        self.fleet([(1, 'ibmi-1', base.metadata('B2008105')),
                    (2, 'ibmi-2', base.metadata('C6004031'))])
        store = os.path.join(self.tmp, 'h.sqlite3')
        self.assertEqual(0, self.main('--os-cloud', 'prod', '--once',
                                      '--history', store))
        with sqlite3.connect(store) as db:
            db.execute(sql, params)
            # As after an upgrade from schema 1: the time is the row's.
            db.execute('UPDATE latest SET code_since = NULL')
        db.close()
        self.stdout.truncate(0)
        self.stdout.seek(0)
        return store

    def test_a_malformed_store_row_is_counted_and_the_rest_published(self):
        bad_values = ('1e20', "'garbage'")
        for number, value in enumerate(bad_values, 1):
            sql = ('UPDATE changes SET observed_at = %s WHERE server_id = ?'
                   % value)
            store = self.record_then(sql, base.server_id(1))
            self.assertEqual(0, self.main('--os-cloud', 'prod', '--once',
                                          '--history', store))
            out = self.stdout.getvalue()
            self.assertIn('powervc_up{cloud="prod"} 1.0', out)
            # Both servers are published; only the bad row's time is not.
            self.assertEqual(2, out.count('powervc_refcode_info{'))
            self.assertEqual(1, out.count(
                'powervc_refcode_last_change_timestamp_seconds{'))
            self.assertIn('powervc_exporter_errors_total{cloud="prod",'
                          'stage="history"} 1.0', out)
            # One line per bad row, naming the store and the row.
            lines = [line for line in self.log.output.splitlines()
                     if 'skipped' in line]
            self.assertEqual(number, len(lines))
            line = lines[-1]
            self.assertIn(store, line)
            self.assertIn('row 1 ', line)
            self.assertIn('observed_at', line)
            self.assertNotIn('Traceback', self.log.output)
            os.unlink(store)

    def test_garbage_query_time_in_the_store_does_not_matter(self):
        store = self.record_then(
            "UPDATE changes SET queried_at = 'garbage'")
        self.assertEqual(0, self.main('--os-cloud', 'prod', '--once',
                                      '--history', store))
        out = self.stdout.getvalue()
        self.assertEqual(2, out.count(
            'powervc_refcode_last_change_timestamp_seconds{'))
        self.assertIn('powervc_exporter_errors_total{cloud="prod",'
                      'stage="history"} 0.0', out)

    def test_once_fails_when_the_changes_were_not_recorded(self):
        import sqlite3

        store = self.record_then('SELECT 1')
        self.fleet([(1, 'ibmi-1', base.metadata('C9002960'))])
        self.useFixture(fixtures.MockPatchObject(
            history_store, 'BUSY_TIMEOUT', 0))
        holder = sqlite3.connect(store, isolation_level=None)
        self.addCleanup(holder.close)
        # Another writer holds the store while the cycle records.
        original = cli._change_tracker

        def locked_after_open(args, health):
            tracker = original(args, health)
            tracker._store._db.execute('PRAGMA busy_timeout = 0')
            holder.execute('BEGIN IMMEDIATE')
            return tracker

        self.useFixture(fixtures.MonkeyPatch(
            'powervc_osc.exporter.cli._change_tracker', locked_after_open))
        self.assertEqual(1, self.main('--os-cloud', 'prod', '--once',
                                      '--history', store))
        out = self.stdout.getvalue()
        self.assertIn('powervc_up{cloud="prod"} 1.0', out)
        self.assertIn('powervc_history_write_failures_total{cloud="prod"} '
                      '1.0', out)
        self.assertIn('not recorded', self.log.output)
        self.assertIn('locked', self.log.output)

    def test_once_with_powervc_down_does_not_claim_to_keep_values(self):
        self.requests.get(base.DETAIL_URL, status_code=500)
        self.assertEqual(1, self.main('--os-cloud', 'prod', '--once'))
        out = self.stdout.getvalue()
        self.assertIn('powervc_up{cloud="prod"} 0.0', out)
        self.assertNotIn('powervc_refcode_info{', out)
        self.assertIn('Cloud prod cannot be reached', self.log.output)
        self.assertIn('no server values are published until it answers '
                      'again', self.log.output)
        self.assertNotIn('last values are kept', self.log.output)

    def test_os_cloud_defaults_to_the_environment(self):
        self.fleet([(1, 'ibmi-stuck-1', base.metadata('B2008105'))])
        self.useFixture(fixtures.EnvironmentVariable('OS_CLOUD', 'prod'))
        self.assertEqual(0, self.main('--once'))
        self.assertIn('powervc_up{cloud="prod"} 1.0', self.stdout.getvalue())

    def test_max_workers_reaches_the_client(self):
        self.fleet([(1, 'ibmi-stuck-1', base.metadata('B2008105'))])
        exporter = cli.build(cli.options.parse(
            ['--os-cloud', 'prod', '--max-workers', '3']))
        self.addCleanup(exporter.close)
        self.assertEqual(3, exporter.pollers[0]._client.max_workers)


class TestVersionAndSignals(CliTestCase):

    def test_version_is_printed_with_exit_0(self):
        self.assertEqual(0, self.main('--version'))
        version = cli.options.version()
        self.assertNotEqual('unknown', version)
        self.assertEqual('powervc-osc-exporter %s\n' % version,
                         self.stdout.getvalue())
        self.assertEqual([], self.requests.request_history)

    def test_the_metrics_carry_the_build_info(self):
        self.fleet([(1, 'ibmi-stuck-1', base.metadata('B2008105'))])
        self.assertEqual(0, self.main('--os-cloud', 'prod', '--once'))
        self.assertIn('powervc_exporter_build_info{version="%s"} 1.0'
                      % cli.options.version(), self.stdout.getvalue())

    def exporter(self):
        exporter = cli.build(cli.options.parse(['--os-cloud', 'prod']))
        self.addCleanup(exporter.close)
        return exporter

    def test_sighup_logs_a_line_and_stops(self):
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
        exporter = self.exporter()
        cli._handle_signals(exporter)
        os.kill(os.getpid(), signal.SIGHUP)
        self.assertTrue(exporter.stop.wait(5))
        self.assertIn('Stopping (SIGHUP): start the exporter again to read '
                      'its configuration', self.log.output)

    def test_sighup_with_a_web_config_rereads_it_and_goes_on(self):
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
        certs = self.useFixture(tf.Certificates())
        path = certs.write_config({})
        server = serving.MetricsServer(cli.make_exposition(self.board),
                                       '127.0.0.1', 0).start()
        self.addCleanup(server.stop)
        reloader = cli._WebReloader(path)
        reloader.server = server
        exporter = self.exporter()
        cli._handle_signals(exporter, reloader)
        certs.write_config({'basic_auth_users': {
            tf.USER: tf.hash_password()}})
        os.kill(os.getpid(), signal.SIGHUP)
        self.assertFalse(exporter.stop.is_set())
        self.assertEqual(1, len(server.web.auth.users))
        self.assertIn('SIGHUP: read %s again: basic auth (1 user(s))'
                      % path, self.log.output)
        # A file that became wrong: logged, the one in force is kept.
        in_force = server.web
        certs.write_config('basic_auth_users: [')
        os.kill(os.getpid(), signal.SIGHUP)
        self.assertIs(in_force, server.web)
        self.assertIn('SIGHUP: the web configuration in force is kept: '
                      '%s: not valid YAML (line 1)' % path, self.log.output)
        self.assertFalse(exporter.stop.is_set())

    def test_sighup_ignored_by_the_parent_stays_ignored(self):
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        exporter = self.exporter()
        cli._handle_signals(exporter)
        self.assertIs(signal.SIG_IGN, signal.getsignal(signal.SIGHUP))


class TestListen(testtools.TestCase):

    def test_addresses(self):
        from powervc_osc.exporter import options

        self.assertEqual(('127.0.0.1', 9464), options.listen('127.0.0.1:9464'))
        self.assertEqual(('::1', 0), options.listen('[::1]:0'))


class TestBudgetOptions(testtools.TestCase):

    def test_defaults(self):
        args = cli.options.parse([])
        self.assertEqual((30.0, 100.0, 64),
                         (args.max_age, args.max_rate, args.max_workers))

    def test_max_age_is_at_most_half_the_interval(self):
        args = cli.options.parse(['--interval', '20'])
        self.assertEqual(10.0, args.max_age)
        self.assertEqual(45.0, cli.options.parse(
            ['--interval', '20', '--max-age', '45']).max_age)

    def test_no_budget_keeps_sixteen_workers(self):
        args = cli.options.parse(['--max-rate', '0'])
        self.assertEqual((0.0, 16), (args.max_rate, args.max_workers))
