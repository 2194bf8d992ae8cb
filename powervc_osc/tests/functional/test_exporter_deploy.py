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

"""What an operator installs: the systemd unit, the Alertmanager example,
the dashboard, ``--version`` and SIGHUP of the real exporter.

The checks use ``systemd-analyze``, ``amtool`` and Alertmanager
(``prometheus-alertmanager``) when installed; without them they skip,
except in CI (``CI`` set), where they fail.
"""

import importlib.resources
import json
import os
import re
import shlex
import signal
import subprocess
import time

import fixtures
import testtools
import yaml

from powervc_osc.exporter import options
from powervc_osc.tests.functional import base
from powervc_osc.tests.functional import exporter_fixtures as ef

UNIT = os.path.join(ef.DEPLOY, 'powervc-osc-exporter.service')
#: Where the unit runs the exporter from (a venv out of the homes).
UNIT_EXPORTER = '/opt/powervc-osc-exporter/bin/powervc-osc-exporter'
ALERTMANAGER = os.path.join(ef.DEPLOY, 'alertmanager.yml')
#: ``systemd-analyze security`` score (0 best, 10 worst) the unit keeps.
MAX_EXPOSURE = 2.0


def run(argv, **kwargs):
    return subprocess.run(argv, capture_output=True, text=True, timeout=120,
                          **kwargs)


def unit_settings():
    """The unit's settings: {(section, key): [values]} (keys repeat)."""
    settings: dict = {}
    section = None
    with open(UNIT) as f:
        text = f.read().replace('\\\n', ' ')
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        if line.startswith('['):
            section = line.strip('[]')
            continue
        key, _sep, value = line.partition('=')
        settings.setdefault((section, key), []).append(value.strip())
    return settings


class TestPackaged(testtools.TestCase):

    def test_the_operator_files_ship_inside_the_package(self):
        deploy = importlib.resources.files('powervc_osc.exporter') / 'deploy'
        for name in ('powervc-osc-exporter.service', 'alertmanager.yml',
                     'grafana-dashboard.json', 'web.yml',
                     'prometheus-scrape.yml'):
            self.assertTrue((deploy / name).is_file(), name)
        rules = importlib.resources.files('powervc_osc.exporter') / 'rules'
        self.assertTrue((rules / 'powervc-refcode-alerts.yml').is_file())

    def test_the_dashboard_uses_only_exported_metrics(self):
        with open(ef.DASHBOARD) as f:
            dashboard = json.load(f)
        names = set()
        for panel in dashboard['panels']:
            self.assertTrue(panel['title'] and panel['description'])
            for target in panel['targets']:
                names |= set(re.findall(r'\b(powervc_\w+|ALERTS)\b',
                                        target['expr']))
        self.assertIn('powervc_refcode_info', names)
        self.assertIn('powervc_up', names)
        self.assertIn('powervc_poll_duration_seconds', names)
        self.assertIn('powervc_exporter_build_info', names)
        # The exporter's own health.
        self.assertIn('powervc_poll_failure', names)
        self.assertIn('powervc_exporter_errors_total', names)
        self.assertIn('powervc_history_write_failures_total', names)


class TestSystemdUnit(testtools.TestCase):

    def test_hardening(self):
        settings = unit_settings()
        service = {key: values[-1] for (section, key), values
                   in settings.items() if section == 'Service'}
        expected = {'DynamicUser': 'yes', 'NoNewPrivileges': 'yes',
                    'ProtectSystem': 'strict', 'ProtectHome': 'yes',
                    'PrivateTmp': 'yes', 'PrivateDevices': 'yes',
                    'StateDirectory': 'powervc-osc-exporter',
                    'CapabilityBoundingSet': '', 'UMask': '0077'}
        self.assertEqual(expected, {k: service.get(k) for k in expected})

    def test_the_process_metrics_can_read_proc_stat(self):
        # prometheus_client's ProcessCollector needs /proc/stat (boot
        # time); ProcSubset=pid hides it and every process_* metric.
        self.assertNotIn(['pid'], [
            values for (section, key), values in unit_settings().items()
            if (section, key) == ('Service', 'ProcSubset')])

    def test_exec_start_is_a_valid_command_line(self):
        exec_start = unit_settings()[('Service', 'ExecStart')][0]
        argv = shlex.split(exec_start.replace(
            '${STATE_DIRECTORY}', '/var/lib/powervc-osc-exporter'))
        self.assertEqual('powervc-osc-exporter', os.path.basename(argv[0]))
        args = options.parse(argv[1:])
        # The history store lives in the state directory.
        self.assertEqual('/var/lib/powervc-osc-exporter/history.sqlite3',
                         args.history)

    def test_the_exporter_runs_from_outside_the_home_directories(self):
        # ProtectHome=yes: a venv under /home or /root would not start.
        exec_start = unit_settings()[('Service', 'ExecStart')][0]
        self.assertTrue(exec_start.startswith(UNIT_EXPORTER + ' '),
                        exec_start)
        with open(UNIT) as f:
            text = f.read()
        self.assertIn('ProtectHome=yes below hides /home', text)
        self.assertIn('python3 -m venv /opt/powervc-osc-exporter', text)

    def test_the_commented_web_config_example_is_valid(self):
        with open(UNIT) as f:
            lines = f.read().splitlines()
        [option] = [line.strip('# ') for line in lines
                    if line.lstrip('# ').startswith('--web-config-file')]
        exec_start = unit_settings()[('Service', 'ExecStart')][0]
        argv = shlex.split(exec_start.replace(
            '${STATE_DIRECTORY}', '/var/lib/powervc-osc-exporter'))
        args = options.parse(argv[1:] + shlex.split(option.replace(
            '%d', '/run/credentials/powervc-osc-exporter.service')))
        self.assertEqual(
            '/run/credentials/powervc-osc-exporter.service/web.yml',
            args.web_config_file)
        credentials = {line.lstrip('#').split('=', 1)[1].split(':')[0]
                       for line in lines
                       if line.startswith('#LoadCredential=')}
        self.assertEqual({'web.yml', 'tls.crt', 'tls.key'}, credentials)
        with open(ef.WEB_CONFIG) as f:
            tls = yaml.safe_load(f)['tls_server_config']
        self.assertEqual(('tls.crt', 'tls.key'),
                         (tls['cert_file'], tls['key_file']))

    def installed_copy(self):
        """The unit, pointing at this test's exporter (verify checks it).

        The path is quoted, as systemd allows: the checkout may be in a
        folder whose name has a space.
        """
        folder = self.useFixture(fixtures.TempDir()).path
        path = os.path.join(folder, 'powervc-osc-exporter.service')
        with open(UNIT) as f:
            text = f.read()
        with open(path, 'w') as f:
            f.write(text.replace(UNIT_EXPORTER, '"%s"' % ef.EXPORTER))
        return path

    def test_systemd_analyze_verify(self):
        tool = ef.require_binary(self, 'systemd-analyze', 'systemd')
        path = self.installed_copy()
        done = run([tool, 'verify', path])
        self.assertEqual(0, done.returncode, done.stdout + done.stderr)
        # Settings systemd cannot parse are warnings, not a failure.
        complaints = [line for line in (done.stdout + done.stderr).splitlines()
                      if 'powervc-osc-exporter' in line]
        self.assertEqual([], complaints)

    def test_systemd_analyze_security_exposure(self):
        tool = ef.require_binary(self, 'systemd-analyze', 'systemd')
        done = run([tool, 'security', '--offline=yes', '--no-pager',
                    self.installed_copy()])
        self.assertEqual(0, done.returncode, done.stderr)
        match = re.search(r'Overall exposure level for \S+: ([0-9.]+)',
                          done.stdout)
        self.assertIsNotNone(match, done.stdout[-500:])
        self.assertLessEqual(float(match.group(1)), MAX_EXPOSURE)


class TestAlertmanager(testtools.TestCase):

    def test_the_inhibition_is_per_cloud(self):
        with open(ALERTMANAGER) as f:
            config = yaml.safe_load(f)
        [inhibit] = config['inhibit_rules']
        self.assertEqual(['cloud'], inhibit['equal'])
        self.assertEqual(
            ['alertname=~"PowerVCUnreachable|PowerVCMisconfigured"'],
            inhibit['source_matchers'])

    def test_amtool_check_config(self):
        amtool = ef.require_binary(self, 'amtool', 'prometheus-alertmanager')
        done = run([amtool, 'check-config', ALERTMANAGER])
        self.assertEqual(0, done.returncode, done.stdout + done.stderr)
        self.assertIn('SUCCESS', done.stdout)

    def test_only_critical_alerts_page(self):
        amtool = ef.require_binary(self, 'amtool', 'prometheus-alertmanager')

        def receiver(*labels):
            done = run([amtool, 'config', 'routes', 'test',
                        '--config.file', ALERTMANAGER] + list(labels))
            return done.stdout.strip()

        self.assertEqual('powervc-pager', receiver(
            'alertname=PowerVCRefcodeError', 'severity=critical'))
        self.assertEqual('powervc-tickets', receiver(
            'alertname=PowerVCRefcodeAttention', 'severity=warning'))

    def test_unreachable_or_misconfigured_cloud_inhibits_its_servers(self):
        binary = ef.require_binary(self, 'prometheus-alertmanager',
                                   'prometheus-alertmanager')
        folder = self.useFixture(fixtures.TempDir()).path
        port = ef.free_port()
        url = 'http://127.0.0.1:%d' % port
        log = open(os.path.join(folder, 'alertmanager.log'), 'w')
        self.addCleanup(log.close)
        process = subprocess.Popen(
            [binary, '--config.file', ALERTMANAGER,
             '--storage.path', folder,
             '--web.listen-address', '127.0.0.1:%d' % port,
             '--cluster.listen-address', ''],
            stdout=log, stderr=subprocess.STDOUT)

        def stop():
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        self.addCleanup(stop)

        def ready():
            if process.poll() is not None:
                raise AssertionError('Alertmanager ended')
            try:
                ef.http_get(url + '/-/ready')
            except OSError:
                return False
            return True
        ef.wait_for('Alertmanager to be ready', ready)
        alerts = [
            {'labels': {'alertname': 'PowerVCUnreachable', 'cloud': 'prod',
                        'severity': 'critical'}},
            {'labels': {'alertname': 'PowerVCRefcodeError', 'cloud': 'prod',
                        'server_id': 's1', 'severity': 'critical'}},
            {'labels': {'alertname': 'PowerVCRefcodeError', 'cloud': 'test',
                        'server_id': 's2', 'severity': 'critical'}},
            {'labels': {'alertname': 'PowerVCMisconfigured', 'cloud': 'lab',
                        'severity': 'critical'}},
            {'labels': {'alertname': 'PowerVCIPLStuck', 'cloud': 'lab',
                        'server_id': 's3', 'severity': 'warning'}},
        ]
        request = ef.urllib.request.Request(
            url + '/api/v2/alerts', data=json.dumps(alerts).encode(),
            headers={'Content-Type': 'application/json'}, method='POST')
        # A loopback URL the test built itself.
        ef.urllib.request.urlopen(request, timeout=10).close()  # nosec B310

        def states():
            found = json.loads(ef.http_get(url + '/api/v2/alerts'))
            seen = {(a['labels']['alertname'], a['labels']['cloud']):
                    a['status']['state'] for a in found}
            return len(seen) == 5 and 'unprocessed' not in seen.values() \
                and seen
        seen = ef.wait_for('the alerts to be processed', states)
        self.assertEqual({
            ('PowerVCUnreachable', 'prod'): 'active',
            ('PowerVCRefcodeError', 'prod'): 'suppressed',
            ('PowerVCRefcodeError', 'test'): 'active',
            ('PowerVCMisconfigured', 'lab'): 'active',
            ('PowerVCIPLStuck', 'lab'): 'suppressed'}, seen)


class TestExporterProcess(base.FunctionalTestCase):

    def test_version(self):
        done = run([ef.EXPORTER, '--version'])
        self.assertEqual(0, done.returncode, done.stderr)
        self.assertEqual('powervc-osc-exporter %s\n' % options.version(),
                         done.stdout)

    def test_build_info_and_sighup(self):
        exporter = self.useFixture(ef.ExporterProcess(
            ['--os-cloud', base.ADMIN, '--interval', '1'],
            self.environment(), default_sighup=True))
        text = ef.wait_for('the first poll', lambda: (
            lambda t: 'powervc_up{' in t and t)(exporter.metrics()))
        self.assertIn('powervc_exporter_build_info{version="%s"} 1.0'
                      % options.version(), text)
        started = time.monotonic()
        self.assertEqual(0, exporter.stop(signal.SIGHUP))
        self.assertLess(time.monotonic() - started, 10)
        self.assertIn('Stopping (SIGHUP)', exporter.stderr)
        self.assertNotIn('Traceback', exporter.stderr)
