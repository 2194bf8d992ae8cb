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

"""Fixtures of the exporter's functional tests: the exporter and Prometheus.

Both run as real processes on 127.0.0.1 and are stopped by the test.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import fixtures
import yaml

from powervc_osc.tests import cli_runner

EXPORTER = os.path.join(os.path.dirname(sys.executable),
                        'powervc-osc-exporter')
#: Bound of every wait: a hang fails the test instead of blocking CI.
WAIT = 60.0
_SERVING = re.compile(r'Serving metrics on (https?://\S+/metrics)')

PACKAGE = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
RULES = os.path.join(PACKAGE, 'exporter', 'rules',
                     'powervc-refcode-alerts.yml')
RULE_TESTS = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                          'rules', 'powervc-refcode-alerts.test.yml')
DEPLOY = os.path.join(PACKAGE, 'exporter', 'deploy')
DASHBOARD = os.path.join(DEPLOY, 'grafana-dashboard.json')
WEB_CONFIG = os.path.join(DEPLOY, 'web.yml')
SCRAPE_CONFIG = os.path.join(DEPLOY, 'prometheus-scrape.yml')
JOB = 'powervc-refcode'


def require_binary(test, name: str, package: str = 'prometheus') -> str:
    """The path of ``name``; skip without it, but fail in CI (CI=true)."""
    path = shutil.which(name)
    if path:
        return path
    message = ('%s is not installed (Debian/Ubuntu: apt-get install '
               '%s)' % (name, package))
    if os.environ.get('CI'):
        test.fail(message + '; CI must not skip this test')
    test.skipTest(message)
    raise AssertionError('unreachable')


def free_port() -> int:
    """A port free on 127.0.0.1 now (for programs that cannot report one)."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def add_unreachable_cloud(clouds_yaml: str, like: str, name: str) -> None:
    """Add cloud ``name``: cloud ``like`` with a Keystone nobody serves."""
    with open(clouds_yaml) as f:
        clouds = yaml.safe_load(f)
    broken = dict(clouds['clouds'][like])
    broken['auth'] = dict(broken['auth'], auth_url='http://127.0.0.1:%d/v3'
                          % free_port())
    clouds['clouds'][name] = broken
    with open(clouds_yaml, 'w') as f:
        yaml.safe_dump(clouds, f)


def wait_for(what: str, probe, timeout: float = WAIT, step: float = 0.2):
    """Call ``probe`` until it returns something true; return that."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError('timed out waiting for %s' % what)
        time.sleep(step)


def http_get(url: str) -> str:
    # Loopback URLs that the test built itself.
    with urllib.request.urlopen(url, timeout=10) as answer:  # nosec B310
        return answer.read().decode('utf-8')


def _default_sigint_and_sighup() -> None:
    cli_runner.default_sigint()
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


class ExporterProcess(fixtures.Fixture):
    """``powervc-osc-exporter`` as a subprocess with its stderr collected.

    :param args: its arguments (``--listen 127.0.0.1:0`` is added).
    :param env: its environment.
    """

    def __init__(self, args, env, default_sighup: bool = False) -> None:
        super().__init__()
        self.args = list(args)
        self.env = env
        #: Start it with SIGHUP's default action even when this test runs
        #: under nohup (which the exporter would otherwise inherit).
        self.default_sighup = default_sighup
        self.lines: list[str] = []
        self.url: str | None = None

    def _setUp(self) -> None:
        self.process = subprocess.Popen(
            [EXPORTER, '--listen', '127.0.0.1:0'] + self.args,
            env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, preexec_fn=(_default_sigint_and_sighup
                                   if self.default_sighup
                                   else cli_runner.default_sigint))
        self.addCleanup(self._kill)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.url = wait_for('the exporter to listen', self._served_url)

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.append(line)

    def _served_url(self):
        if self.process.poll() is not None:
            raise AssertionError('the exporter ended: %s' % self.stderr)
        for line in list(self.lines):
            match = _SERVING.search(line)
            if match:
                return match.group(1)
        return None

    @property
    def stderr(self) -> str:
        return ''.join(self.lines)

    def metrics(self) -> str:
        return http_get(self.url)

    def stop(self, signum=signal.SIGTERM, timeout: float = 10.0) -> int:
        """Send ``signum``; the exit status (the test fails on a hang)."""
        self.process.send_signal(signum)
        status = self.process.wait(timeout)
        self._reader.join(5)
        return status

    def _kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process.stdout.close()
        self.process.stderr.close()


class PrometheusProcess(fixtures.Fixture):
    """A real Prometheus scraping ``targets`` with ``rules`` loaded.

    Its storage is a temporary directory; it listens on a free
    127.0.0.1 port.

    :param job: the scrape configuration of the job (its targets are
        replaced); default: plain HTTP.
    """

    def __init__(self, binary: str, targets, rules: dict,
                 interval: str = '1s', job: dict | None = None,
                 args=()) -> None:
        super().__init__()
        #: More command-line arguments (``--web.config.file``...).
        self.args = list(args)
        self.binary = binary
        self.targets = list(targets)
        self.rules = rules
        self.interval = interval
        self.job = dict(job or {'job_name': JOB}, static_configs=[
            {'targets': self.targets}])

    def _setUp(self) -> None:
        workdir = self.useFixture(fixtures.TempDir()).path
        rules_path = os.path.join(workdir, 'rules.yml')
        with open(rules_path, 'w') as f:
            yaml.safe_dump(self.rules, f)
        config = {
            'global': {'scrape_interval': self.interval,
                       'evaluation_interval': self.interval},
            'rule_files': [rules_path],
            'scrape_configs': [self.job],
        }
        config_path = os.path.join(workdir, 'prometheus.yml')
        with open(config_path, 'w') as f:
            yaml.safe_dump(config, f)
        port = free_port()
        self.url = 'http://127.0.0.1:%d' % port
        self.log_path = os.path.join(workdir, 'prometheus.log')
        self._log = open(self.log_path, 'w')
        self.addCleanup(self._log.close)
        self.process = subprocess.Popen(
            [self.binary, '--config.file', config_path,
             '--storage.tsdb.path', os.path.join(workdir, 'data'),
             '--web.listen-address', '127.0.0.1:%d' % port] + self.args,
            stdout=self._log, stderr=subprocess.STDOUT)
        self.addCleanup(self._stop)
        wait_for('Prometheus to be ready', self._ready)

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError('Prometheus ended: %s' % self.log())
        try:
            http_get(self.url + '/-/ready')
        except urllib.error.HTTPError as exc:
            return exc.code == 401  # ready, behind basic auth
        except OSError:
            return False
        return True

    def log(self) -> str:
        with open(self.log_path) as f:
            return f.read()

    def api(self, path: str, **params) -> dict:
        query = ('?' + urllib.parse.urlencode(params)) if params else ''
        answer = json.loads(http_get(self.url + '/api/v1/' + path + query))
        if answer.get('status') != 'success':
            raise AssertionError('Prometheus API %s: %s' % (path, answer))
        return answer['data']

    def query(self, promql: str) -> list:
        return self.api('query', query=promql)['result']

    def query_range(self, promql: str, seconds: float,
                    step: str = '1s') -> list:
        """The series of ``promql`` over the last ``seconds``."""
        end = time.time()
        return self.api('query_range', query=promql, start=end - seconds,
                        end=end, step=step)['result']

    def alerts(self, state: str = 'firing') -> list:
        return [a for a in self.api('alerts')['alerts']
                if a['state'] == state]

    def _stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
