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

"""The runner both functional suites use fails what it must fail."""

import json
import os
import sys

import fixtures
import testtools

from powervc_osc.tests import cli_runner


def python(code, *args):
    return [sys.executable, '-c', code] + list(args)


ENV_DUMP = 'import json, os; print(json.dumps(dict(os.environ)))'
FAIL = 'import sys; sys.stderr.write("one line\\n"); sys.exit(1)'
TRACEBACK = 'raise RuntimeError("boom")'


class TestCLITestCase(cli_runner.CLITestCase):

    def setUp(self):
        super().setUp()
        self.clouds_yaml = os.path.join(self.home, 'clouds.yaml')

    def test_environment_has_no_os_variable_of_the_caller(self):
        self.useFixture(fixtures.EnvironmentVariable('OS_CLOUD', 'prod'))
        self.useFixture(fixtures.EnvironmentVariable('OS_PASSWORD', 'x'))
        env = self.run_command(python(ENV_DUMP), self.environment(
            OS_API_TIMEOUT='5')).json()
        self.assertEqual(
            {'OS_CLIENT_CONFIG_FILE': self.clouds_yaml,
             'OS_API_TIMEOUT': '5'},
            {k: v for k, v in env.items() if k.startswith('OS_')})
        self.assertEqual(self.home, env['HOME'])
        self.assertTrue(env['XDG_CONFIG_HOME'].startswith(self.home))

    def test_expected_failure(self):
        result = self.run_command(python(FAIL), self.environment(),
                                  status=1, stderr=True)
        self.assertEqual((1, '', 'one line\n'),
                         (result.status, result.out, result.err))
        self.run_command(python(FAIL), self.environment(), status=(0, 1),
                         stderr=True)

    def test_unexpected_status_fails(self):
        self.assertRaises(AssertionError, self.run_command, python(FAIL),
                          self.environment(), stderr=True)

    def test_unexpected_stderr_fails(self):
        self.assertRaises(AssertionError, self.run_command, python(FAIL),
                          self.environment(), status=1)

    def test_traceback_fails_unless_debug(self):
        self.assertRaises(AssertionError, self.run_command,
                          python(TRACEBACK), self.environment(),
                          status=1, stderr=True)
        self.run_command(python(TRACEBACK, '--debug'), self.environment(),
                         status=1, stderr=True)

    def test_background_openstack(self):
        process = self.start_openstack('--version')
        result = self.finish(process)
        self.assertEqual((cli_runner.OPENSTACK, '--os-cloud', 'powervc',
                          '--version'), result.args)
        self.assertTrue(result.out.startswith('openstack '), result)

    def test_failure_shows_every_command(self):
        class Inner(cli_runner.CLITestCase):
            def test(inner):
                inner.run_command(python(FAIL), self.environment(),
                                  status=1, stderr=True)
                inner.fail('a later check')

        inner = Inner('test')
        result = testtools.TestResult()
        inner.run(result)
        self.assertEqual(1, len(result.failures))
        shown = inner.getDetails()['command-1'].as_text()
        self.assertIn('exit status 1\n', shown)
        self.assertIn('--- stderr ---\none line\n', shown)

    def test_result_json(self):
        result = cli_runner.Result(('x',), 0, json.dumps({'a': [1]}), '')
        self.assertEqual({'a': [1]}, result.json())
