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

"""The installed ``openstack`` executable against the simulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import testtools
import yaml

from powervc_osc.simulator import demo
from powervc_osc.simulator import fixture as sim_fixture

BIN = os.path.dirname(sys.executable)
OPENSTACK = os.path.join(BIN, 'openstack')
SIMULATOR = os.path.join(BIN, 'powervc-osc-simulator')
ADMIN = 'powervc-simulator'
OPERATOR = 'powervc-simulator-operator'
#: A generous bound for one command; a hang fails the test, not CI.
COMMAND_TIMEOUT = 120


def clean_env(clouds_yaml: str) -> dict[str, str]:
    """The caller's environment without OS_* settings, plus clouds.yaml."""
    env = demo.demo_environment(clouds_yaml)
    env['PYTHONWARNINGS'] = 'ignore'
    return env


class Result:
    """What a command did: exit status, stdout and stderr."""

    def __init__(self, completed: subprocess.CompletedProcess) -> None:
        self.status = completed.returncode
        self.out = completed.stdout
        self.err = completed.stderr

    def json(self):
        return json.loads(self.out)

    def __repr__(self) -> str:
        return 'Result(status=%r, out=%r, err=%r)' % (
            self.status, self.out, self.err)


class FunctionalTestCase(testtools.TestCase):
    """Each test gets its own simulator on an ephemeral loopback port."""

    simulator_kwargs: dict = {}

    def setUp(self) -> None:
        super().setUp()
        kwargs = dict({'step_seconds': 0.2}, **self.simulator_kwargs)
        self.sim = self.useFixture(sim_fixture.SimulatorFixture(**kwargs))

    def openstack(self, *args: str, cloud: str = ADMIN, status: int = 0,
                  stderr: bool = False, env: dict | None = None) -> Result:
        """Run ``openstack --os-cloud <cloud> *args`` and check it.

        The exit status must be ``status``; stderr must be empty unless
        ``stderr`` is true; a traceback on stderr always fails the test.
        """
        completed = subprocess.run(
            [OPENSTACK, '--os-cloud', cloud] + list(args),
            capture_output=True, text=True, timeout=COMMAND_TIMEOUT,
            env=env or clean_env(self.sim.clouds_yaml))
        result = Result(completed)
        self.assertNotIn('Traceback', result.err, result)
        self.assertEqual(status, result.status, result)
        if not stderr:
            self.assertEqual('', result.err, result)
        return result

    def compute_requests(self):
        """(method, path) of compute requests, without version documents."""
        return [(r.method, r.path) for r in self.sim.requests
                if '/compute/v2.1/' in r.path]

    def set_cloud_option(self, cloud: str, **options) -> None:
        """Edit the test's clouds.yaml (e.g. ``api_timeout``)."""
        with open(self.sim.clouds_yaml) as f:
            clouds = yaml.safe_load(f)
        clouds['clouds'][cloud].update(options)
        with open(self.sim.clouds_yaml, 'w') as f:
            yaml.safe_dump(clouds, f)
