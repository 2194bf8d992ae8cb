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

import json
import os
import subprocess

import fixtures
import testtools
import yaml

from powervc_osc.tests.functional import base
from powervc_osc.tests.functional import exporter_fixtures as ef
from powervc_osc.tests.functional import test_exporter_webconfig
from powervc_osc.tests import tls_fixtures as tf

#: The simulator's server hung at an IPL progress code, for PowerVCIPLStuck.
HUNG = 'ibmi-ipl-hang'
#: A server waiting at an attention code, for PowerVCRefcodeAttention.
CONSOLE = 'ibmi-no-console'
#: A server in a boot loop, for PowerVCBootLoop.
LOOP = 'ibmi-boot-loop'


def shipped_rules():
    with open(ef.RULES) as f:
        return yaml.safe_load(f)


def rule_names(rules):
    return {rule['alert'] for group in rules['groups']
            for rule in group['rules']}


def quick_rules(stuck_after: int = 3):
    """The shipped rules with test thresholds.

    No ``for``, a short IPL stuck, and the boot-loop count over one minute
    at one-second resolution.
    """
    rules = shipped_rules()
    for group in rules['groups']:
        for rule in group['rules']:
            rule['for'] = '0s'
            rule['expr'] = rule['expr'].replace(
                ' > 1800)', ' > %d)' % stuck_after).replace(
                    '[30m:1m]', '[1m:1s]')
    return rules


def dashboard_queries(cloud: str = '.*'):
    """(panel title, PromQL, instant?) of every target of the dashboard."""
    with open(ef.DASHBOARD) as f:
        dashboard = json.load(f)
    return [(panel['title'], target['expr'].replace('$cloud', cloud),
             bool(target.get('instant')))
            for panel in dashboard['panels']
            for target in panel['targets']]


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
        edited = {rule['alert']: rule['expr']
                  for group in quick_rules()['groups']
                  for rule in group['rules']}
        self.assertIn('> 3)', edited['PowerVCIPLStuck'])
        self.assertIn('[1m:1s]', edited['PowerVCBootLoop'])

    def test_every_alert_has_a_description_and_a_runbook_in_the_docs(self):
        runbook = os.path.join(os.path.dirname(ef.PACKAGE), 'doc', 'source',
                               'runbook.rst')
        with open(runbook) as f:
            titles = {line.strip().lower() for line in f}
        for group in shipped_rules()['groups']:
            for rule in group['rules']:
                notes = rule['annotations']
                self.assertTrue(notes.get('description'), rule['alert'])
                url, _sep, anchor = notes['runbook_url'].partition('#')
                self.assertTrue(url.endswith('/doc/source/runbook.rst'), url)
                self.assertEqual(rule['alert'].lower(), anchor)
                # The section of the runbook titled with the alert's name.
                self.assertIn(anchor, titles)


class TestPrometheus(base.FunctionalTestCase):
    """Prometheus scrapes the exporter, which polls the simulator."""

    def setUp(self):
        super().setUp()
        binary = ef.require_binary(self, 'prometheus')
        self.sim.state.add_server(
            HUNG, refcode=True, boot_progress=1.0, stuck_at='C6004031')
        self.sim.state.add_server(
            CONSOLE, refcode=True, boot_progress=1.0, stuck_at='A9002000')
        # Steps of 2 s: a poll every second sees each code.
        self.sim.state.add_server(
            LOOP, refcode=True, boot_progress=0.0, stuck_at='B2008105',
            boot_loop=True, pace=10)
        # A fixed port, so that a restarted exporter is the same target.
        # A history store, so that its write-failure counter is published
        # (the dashboard graphs it).
        store = os.path.join(self.useFixture(fixtures.TempDir()).path,
                             'history.sqlite3')
        self.exporter_args = ['--os-cloud', base.ADMIN, '--interval', '1',
                              '--listen', '127.0.0.1:%d' % ef.free_port(),
                              '--history', store]
        self.exporter = self.useFixture(ef.ExporterProcess(
            self.exporter_args, self.environment()))
        target = self.exporter.url.split('/')[2]
        self.prometheus = self.useFixture(ef.PrometheusProcess(
            binary, [target], quick_rules()))

    def firing(self, alertname, server_name=None):
        """The alerts firing for the server called ``server_name``.

        Per-server alerts are labelled with the server's ID only.
        """
        server_id = server_name and self.sim.state.server_id(server_name)
        return [a for a in self.prometheus.alerts()
                if a['labels'].get('alertname') == alertname
                and a['labels'].get('server_id') == server_id]

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
        self.assertEqual(
            'ibmi-stuck-1 shows error code B2008105 (IPL_failed_attention) '
            'on %s' % self.sim.state.find('ibmi-stuck-1')[0].host,
            stuck[0]['annotations']['summary'])
        hung = ef.wait_for('the IPL stuck alert', lambda: self.firing(
            'PowerVCIPLStuck', HUNG))
        self.assertIn('at progress code C6004031 for',
                      hung[0]['annotations']['summary'])
        console = ef.wait_for('the attention alert', lambda: self.firing(
            'PowerVCRefcodeAttention', CONSOLE))
        self.assertEqual('warning', console[0]['labels']['severity'])
        self.assertIn('attention code A9002000',
                      console[0]['annotations']['summary'])
        loop = ef.wait_for('the boot loop alert', lambda: self.firing(
            'PowerVCBootLoop', LOOP))
        self.assertEqual('critical', loop[0]['labels']['severity'])
        # The boot loop never stays 5 minutes (here: one step) at its
        # error, so the error alert alone would have missed it.
        self.assertEqual([], self.firing('PowerVCRefcodeError', LOOP))
        # Servers that are running or still moving do not alert.
        ids = {a['labels'].get('server_id')
               for a in self.prometheus.alerts()}
        for name in ('ibmi-prod-1', 'ibmi-prod-2'):
            self.assertNotIn(self.sim.state.server_id(name), ids)
        self.assertEqual([], [a for a in self.prometheus.alerts()
                              if a['labels']['alertname'] in (
                                  'PowerVCUnreachable',
                                  'PowerVCMetricsMissing')])

    def test_an_exporter_restart_resolves_no_alert(self):
        before = ef.wait_for('the error alert', lambda: self.firing(
            'PowerVCRefcodeError', 'ibmi-stuck-1'))
        self.assertEqual(0, self.exporter.stop())
        ef.wait_for('Prometheus to see the exporter down', lambda:
                    self.prometheus.query('up{job="%s"} == 0' % ef.JOB))
        # The exporter's series are stale now, the alert stays.
        self.assertEqual([], self.prometheus.query('powervc_refcode_info'))
        during = self.firing('PowerVCRefcodeError', 'ibmi-stuck-1')
        self.assertEqual([before[0]['activeAt']],
                         [a['activeAt'] for a in during])
        self.useFixture(ef.ExporterProcess(self.exporter_args,
                                           self.environment()))
        ef.wait_for('the values again', lambda: self.prometheus.query(
            'powervc_refcode_info{server_name="ibmi-stuck-1"}'))
        # The next evaluation names the server again.
        after = ef.wait_for('the summary to name the server', lambda: [
            a for a in self.firing('PowerVCRefcodeError', 'ibmi-stuck-1')
            if 'ibmi-stuck-1 shows error code B2008105'
            in a['annotations']['summary']])
        # The same alert, never resolved: it would fire anew otherwise.
        self.assertEqual(before[0]['activeAt'], after[0]['activeAt'])

    def test_every_dashboard_panel_has_data(self):
        clouds = ef.wait_for('the cloud variable', lambda: self.prometheus.api(
            'label/cloud/values', **{'match[]': 'powervc_up'}))
        self.assertEqual([base.ADMIN], clouds)
        queries = dashboard_queries(cloud='|'.join(clouds))
        self.assertGreaterEqual(len(queries), 10)
        for title, promql, instant in queries:
            # As Grafana asks: an instant query for tables, a range query
            # (the last minute) for graphs.
            ef.wait_for('data for the panel %r (%s)' % (title, promql),
                        lambda: self.prometheus.query(promql) if instant
                        else self.prometheus.query_range(promql, 60))


class TestPrometheusOverTLS(base.FunctionalTestCase):
    """Prometheus scrapes the exporter over TLS with basic auth.

    The exporter reads the shipped ``web.yml`` and Prometheus the shipped
    scrape job (``deploy/prometheus-scrape.yml``), their paths pointed at
    this test's CA, certificate and password file.
    """

    def test_up_with_the_shipped_examples(self):
        binary = ef.require_binary(self, 'prometheus')
        certs = self.useFixture(tf.Certificates())
        web_yml = certs.write_config(
            test_exporter_webconfig.shipped_web_config(certs))
        exporter = self.useFixture(ef.ExporterProcess(
            ['--os-cloud', base.ADMIN, '--interval', '1',
             '--web-config-file', web_yml], self.environment()))
        self.assertTrue(exporter.url.startswith('https://'))
        password_file = os.path.join(certs.folder, 'password')
        with open(password_file, 'w') as f:
            f.write(tf.PASSWORD + '\n')
        with open(ef.SCRAPE_CONFIG) as f:
            [job] = yaml.safe_load(f)
        self.assertEqual(('https', ef.JOB), (job['scheme'], job['job_name']))
        job['scrape_interval'] = '1s'
        job['tls_config']['ca_file'] = certs.ca_file
        job['basic_auth']['password_file'] = password_file
        self.assertEqual(tf.USER, job['basic_auth']['username'])
        prometheus = self.useFixture(ef.PrometheusProcess(
            binary, [exporter.url.split('/')[2]], quick_rules(), job=job))
        up = ef.wait_for('the scrape over TLS', lambda: prometheus.query(
            'up{job="%s"} == 1' % ef.JOB))
        self.assertEqual('1', up[0]['value'][1])
        ef.wait_for('the polled codes in Prometheus', lambda: (
            prometheus.query('powervc_up{cloud="%s"} == 1' % base.ADMIN)))
        self.assertNotIn(tf.PASSWORD, prometheus.log())
        self.assertNotIn(tf.PASSWORD, exporter.stderr)
