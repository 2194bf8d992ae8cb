# Copyright 2026 The powervc_osc Authors
#
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

"""Tests of ``powervc-osc-simulator``, the clouds.yaml and the demo."""

import io
import os
import signal
import subprocess
import sys
import threading

import fixtures
import requests
import testtools
import yaml

from powervc_osc.simulator import cli
from powervc_osc.simulator import demo
from powervc_osc.simulator import server as sim_server
from powervc_osc.tests import cli_runner

TIMEOUT = 30


class TestParser(testtools.TestCase):

    def test_defaults(self):
        args = cli.build_parser().parse_args([])
        self.assertEqual(('127.0.0.1', 0, None, None, 0.0, 0.0, 0, 3600.0,
                          2.0),
                         (args.host, args.port, args.clouds_yaml,
                          args.servers, args.latency, args.error_rate,
                          args.seed, args.token_ttl, args.step_seconds))

    def test_bad_values(self):
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', io.StringIO()))
        for argv in (['--error-rate', '2'], ['--port', '-1'],
                     ['--latency', 'x'], ['--max-limit', '0']):
            error = self.assertRaises(SystemExit,
                                      cli.build_parser().parse_args, argv)
            self.assertEqual(2, error.code)

    def test_is_loopback(self):
        for host in ('127.0.0.1', '127.1.2.3', '::1', 'localhost'):
            self.assertTrue(sim_server.is_loopback(host), host)
        for host in ('0.0.0.0', '10.0.0.1', '::', 'example.com'):
            self.assertFalse(sim_server.is_loopback(host), host)


class TestCloudsYaml(testtools.TestCase):

    def test_merge_keeps_other_clouds(self):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'clouds.yaml')
        with open(path, 'w') as stream:
            yaml.safe_dump({'clouds': {'prod': {'auth': {'x': 1}}},
                            'extra': True}, stream)
        sim = sim_server.Simulator(port=12345)
        sim.write_clouds_yaml(path)
        with open(path) as stream:
            data = yaml.safe_load(stream)
        self.assertTrue(data['extra'])
        self.assertEqual({'prod', 'powervc-simulator',
                          'powervc-simulator-operator',
                          'powervc-simulator-other'}, set(data['clouds']))
        cloud = data['clouds']['powervc-simulator']
        self.assertEqual({
            'auth_type': 'password',
            'auth': {
                'auth_url': 'http://127.0.0.1:12345/powervc/openstack/'
                            'identity/v3',
                'username': 'admin', 'password': 'passw0rd',
                'project_name': 'ibm-default',
                'user_domain_name': 'Default',
                'project_domain_name': 'Default'},
            'region_name': 'RegionOne', 'interface': 'public',
            'identity_api_version': 3}, cloud)
        self.assertEqual(
            'operator',
            data['clouds']['powervc-simulator-operator']['auth']['username'])

    def test_new_file_is_private(self):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'new.yaml')
        sim_server.Simulator().write_clouds_yaml(path)
        self.assertEqual(0o600, os.stat(path).st_mode & 0o777)

    def test_temporary_file_removed_on_stop(self):
        sim = sim_server.Simulator()
        sim.start()
        path = sim.write_clouds_yaml()
        self.assertTrue(os.path.exists(path))
        sim.stop()
        self.assertFalse(os.path.exists(path))
        sim.stop()      # idempotent


class TestServe(testtools.TestCase):

    def test_serve_until_stopped(self):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'clouds.yaml')
        args = cli.build_parser().parse_args(['--clouds-yaml', path,
                                              '--servers', '3'])
        stdout, stderr = io.StringIO(), io.StringIO()
        stop = threading.Event()
        result = []
        thread = threading.Thread(target=lambda: result.append(
            cli.serve(args, stdout=stdout, stderr=stderr, stop_event=stop)))
        thread.start()
        self.addCleanup(thread.join, TIMEOUT)
        self.addCleanup(stop.set)
        for _ in range(200):
            if stdout.getvalue():
                break
            stop.wait(0.05)
        line = stdout.getvalue()
        self.assertIn('listening on http://127.0.0.1:', line)
        self.assertIn(path, line)
        self.assertNotIn('passw0rd', line)
        url = line.split('listening on ')[1].split()[0]
        self.assertEqual(200, requests.get(url + '/', timeout=TIMEOUT)
                         .status_code)
        stop.set()
        thread.join(TIMEOUT)
        self.assertEqual([0], result)
        self.assertEqual('', stderr.getvalue())

    def test_non_loopback_warning(self):
        class FakeSimulator:
            def __init__(self, **kwargs):
                self.url = 'http://192.0.2.1:1'
                self.auth_url = self.url + '/v3'

            def start(self):
                return self

            def stop(self):
                pass

        self.useFixture(fixtures.MonkeyPatch(
            'powervc_osc.simulator.server.Simulator', FakeSimulator))
        args = cli.build_parser().parse_args(['--host', '192.0.2.1'])
        stop = threading.Event()
        stop.set()
        stdout, stderr = io.StringIO(), io.StringIO()
        self.assertEqual(0, cli.serve(args, stdout=stdout, stderr=stderr,
                                      stop_event=stop))
        self.assertIn('WARNING', stderr.getvalue())
        self.assertIn('not a loopback', stderr.getvalue())

    def _run_and_signal(self, signum):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'clouds.yaml')
        process = subprocess.Popen(
            [sys.executable, '-m', 'powervc_osc.simulator', '--port', '0',
             '--clouds-yaml', path],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            preexec_fn=cli_runner.default_sigint)
        self.addCleanup(lambda: process.poll() is None and process.kill())
        line = process.stdout.readline()
        self.assertIn('listening on', line)
        url = line.split('listening on ')[1].split()[0]
        self.assertEqual(200, requests.get(url + '/', timeout=TIMEOUT)
                         .status_code)
        with open(path) as stream:
            clouds = yaml.safe_load(stream)['clouds']
        self.assertTrue(clouds['powervc-simulator']['auth']['auth_url']
                        .startswith(url))
        process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=TIMEOUT)
        self.assertEqual(0, process.returncode)
        self.assertEqual('', stderr)

    def test_sigterm(self):
        self._run_and_signal(signal.SIGTERM)

    def test_sigint(self):
        self._run_and_signal(signal.SIGINT)


class FakeRunner:

    def __init__(self, codes):
        self.codes = list(codes)
        self.calls = []

    def __call__(self, command, env=None, **kwargs):
        self.calls.append((command, env))
        path = env['OS_CLIENT_CONFIG_FILE']
        with open(path) as stream:
            url = yaml.safe_load(stream)['clouds']['powervc-simulator'][
                'auth']['auth_url']
        # the simulator answers while the steps run
        status = requests.get(url, timeout=TIMEOUT).status_code
        return subprocess.CompletedProcess(
            command, self.codes.pop(0), stdout='out %s\n' % status)


class TestDemo(testtools.TestCase):

    def test_steps_are_data(self):
        self.assertTrue(demo.STEPS)
        self.assertTrue(any(step.expect_error for step in demo.STEPS))
        for step in demo.STEPS:
            self.assertEqual(('server', 'refcode'), tuple(step.args[:2]))

    def test_run_steps(self):
        steps = (demo.Step(('server', 'list'), 'one'),
                 demo.Step(('server', 'refcode', 'set'), 'two',
                           expect_error=True),
                 demo.Step(('server', 'show'), 'three'))
        out = io.StringIO()
        runner = lambda cmd, **kw: subprocess.CompletedProcess(  # noqa
            cmd, {'list': 0, 'set': 1, 'show': 2}[cmd[-1]], stdout='x')
        failures = demo.run_steps(steps, '/bin/openstack', 'cloud',
                                  {}, out=out, runner=runner)
        self.assertEqual(1, failures)
        text = out.getvalue()
        self.assertIn('$ openstack --os-cloud cloud server list\n', text)
        self.assertIn('(expected error, exit status 1)', text)
        self.assertIn('!! unexpected failure (exit status 2)', text)

    def test_main_starts_and_stops_the_simulator(self):
        self.useFixture(fixtures.EnvironmentVariable('OS_CLOUD', 'prod'))
        steps = (demo.Step(('server', 'refcode', 'list')),
                 demo.Step(('server', 'refcode', 'set'),
                           expect_error=True))
        runner = FakeRunner([0, 1])
        out = io.StringIO()
        code = demo.main(['--openstack', '/bin/true'], steps=steps,
                         out=out, runner=runner)
        self.assertEqual(0, code, out.getvalue())
        self.assertEqual(2, len(runner.calls))
        command, env = runner.calls[0]
        self.assertEqual(['/bin/true', '--os-cloud', 'powervc-simulator',
                          'server', 'refcode', 'list'], command)
        self.assertNotIn('OS_CLOUD', env)
        self.assertIn('out 200', out.getvalue())
        self.assertFalse(os.path.exists(env['OS_CLIENT_CONFIG_FILE']))
        url = out.getvalue().split('simulator on ')[1].split(';')[0]
        self.assertRaises(requests.ConnectionError, requests.get, url,
                          timeout=TIMEOUT)

    def test_cli_dispatches_demo(self):
        calls = []
        self.useFixture(fixtures.MonkeyPatch(
            'powervc_osc.simulator.demo.main',
            lambda argv: calls.append(argv) or 0))
        self.assertEqual(0, cli.main(['demo', '--seed', '3']))
        self.assertEqual([['--seed', '3']], calls)
