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

"""The shipped alerting rules: promtool, and a real Prometheus.

These need the ``prometheus`` and ``promtool`` binaries (Debian package
``prometheus``; ``.ci/run`` installs it).  Without them the tests skip,
except in CI (``CI`` set), where they fail.
"""

import subprocess

import fixtures
import testtools
import yaml

from powervc_osc.tests.functional import base
from powervc_osc.tests.functional import exporter_fixtures as ef

#: The simulator's server hung at an IPL progress code, for PowerVCIPLStuck.
HUNG = 'ibmi-ipl-hang'


def shipped_rules():
    with open(ef.RULES) as f:
        return yaml.safe_load(f)


def rule_names(rules):
    return {rule['alert'] for group in rules['groups']
            for rule in group['rules']}


def quick_rules(stuck_after: int = 3):
    """The shipped rules with test thresholds: no ``for``, short IPL stuck."""
    rules = shipped_rules()
    for group in rules['groups']:
        for rule in group['rules']:
            rule['for'] = '0s'
            rule['expr'] = rule['expr'].replace(' > 1800)', ' > %d)'
                                                % stuck_after)
    return rules


class TestRequireBinary(testtools.TestCase):
    """A missing binary skips these tests locally but fails them in CI."""

    def outcome(self, ci):
        self.useFixture(fixtures.EnvironmentVariable('CI', ci))

        class Needs(testtools.TestCase):
            def test_it(self):
                ef.require_binary(self, 'no-such-binary-for-powervc-osc')

        result = testtools.TestResult()
        Needs('test_it').run(result)
        return result

    def test_skips_without_ci(self):
        result = self.outcome(None)
        self.assertEqual(0, len(result.failures))
        [reason] = list(result.skip_reasons)
        self.assertIn('apt-get install prometheus', reason)

    def test_fails_in_ci(self):
        result = self.outcome('true')
        self.assertEqual({}, result.skip_reasons)
        self.assertEqual(1, len(result.failures))
        self.assertIn('CI must not skip', result.failures[0][1])


class TestPromtool(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.promtool = ef.require_binary(self, 'promtool')

    def promtool_run(self, *args):
        done = subprocess.run([self.promtool] + list(args),
                              capture_output=True, text=True, timeout=120)
        self.assertEqual(0, done.returncode, done.stdout + done.stderr)
        return done.stdout

    def test_check_rules(self):
        out = self.promtool_run('check', 'rules', ef.RULES)
        self.assertIn('SUCCESS: %d rules found' % len(
            rule_names(shipped_rules())), out)

    def test_rule_unit_tests_pass(self):
        self.assertIn('SUCCESS', self.promtool_run('test', 'rules',
                                                   ef.RULE_TESTS))

    def test_every_shipped_rule_is_tested(self):
        with open(ef.RULE_TESTS) as f:
            tests = yaml.safe_load(f)
        tested = {case['alertname'] for test in tests['tests']
                  for case in test.get('alert_rule_test', [])
                  if case.get('exp_alerts')}
        self.assertEqual(rule_names(shipped_rules()), tested)

    def test_the_test_threshold_edit_applies(self):
        edited = [rule['expr'] for group in quick_rules()['groups']
                  for rule in group['rules'] if rule['alert'] ==
                  'PowerVCIPLStuck']
        self.assertIn('> 3)', edited[0])


class TestPrometheus(base.FunctionalTestCase):
    """Prometheus scrapes the exporter, which polls the simulator."""

    def setUp(self):
        super().setUp()
        binary = ef.require_binary(self, 'prometheus')
        self.sim.state.add_server(
            HUNG, refcode=True, boot_progress=1.0, stuck_at='C6004031')
        self.exporter = self.useFixture(ef.ExporterProcess(
            ['--os-cloud', base.ADMIN, '--interval', '1'],
            self.environment()))
        target = self.exporter.url.split('/')[2]
        self.prometheus = self.useFixture(ef.PrometheusProcess(
            binary, [target], quick_rules()))

    def firing(self, alertname, server_name):
        return [a for a in self.prometheus.alerts()
                if a['labels'].get('alertname') == alertname
                and a['labels'].get('server_name') == server_name]

    def test_series_and_alerts(self):
        series = ef.wait_for('the stuck server in Prometheus', lambda:
                             self.prometheus.query(
                                 'powervc_refcode_info{server_name='
                                 '"ibmi-stuck-1"}'))
        labels = series[0]['metric']
        self.assertEqual(('B2008105', 'IPL_failed_attention', base.ADMIN,
                          ef.JOB),
                         (labels['refcode'], labels['led_code'],
                          labels['cloud'], labels['job']))
        up = self.prometheus.query('powervc_up')
        self.assertEqual('1', up[0]['value'][1])
        # The simulator's stuck IBM i: an error code, alerted at once with
        # the test's "for: 0s"; the server hung at a progress code: IPL
        # stuck after the test's 3 seconds.
        stuck = ef.wait_for('the alert of ibmi-stuck-1', lambda: self.firing(
            'PowerVCRefcodeError', 'ibmi-stuck-1'))
        self.assertEqual('critical', stuck[0]['labels']['severity'])
        hung = ef.wait_for('the IPL stuck alert', lambda: self.firing(
            'PowerVCIPLStuck', HUNG))
        self.assertEqual('C6004031', hung[0]['labels']['refcode'])
        # Servers that are running or still moving do not alert.
        names = {a['labels'].get('server_name')
                 for a in self.prometheus.alerts()}
        self.assertNotIn('ibmi-prod-1', names)
        self.assertNotIn('ibmi-prod-2', names)
        self.assertEqual([], self.firing('PowerVCUnreachable', None))
