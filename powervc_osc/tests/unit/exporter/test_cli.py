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
        for signum in (signal.SIGTERM, signal.SIGINT):
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
        self.assertIn('Cloud backup cannot be polled', self.log.output)

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
