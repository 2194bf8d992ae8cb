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

import yaml

from powervc_osc.simulator import fixture as sim_fixture
from powervc_osc.tests import cli_runner

ADMIN = 'powervc-simulator'
OPERATOR = 'powervc-simulator-operator'


class FunctionalTestCase(cli_runner.CLITestCase):
    """Each test gets its own simulator on an ephemeral loopback port.

    :meth:`openstack` runs as ``ADMIN`` unless told ``cloud=OPERATOR``.
    """

    cloud = ADMIN
    simulator_kwargs: dict = {}

    def setUp(self) -> None:
        super().setUp()
        kwargs = dict({'step_seconds': 0.2}, **self.simulator_kwargs)
        self.sim = self.useFixture(sim_fixture.SimulatorFixture(**kwargs))
        self.clouds_yaml = self.sim.clouds_yaml

    def compute_requests(self):
        """(method, path) of compute requests, without version documents."""
        return [(r.method, r.path) for r in self.sim.requests
                if '/compute/v2.1/' in r.path]

    def set_cloud_option(self, cloud: str, **options) -> None:
        """Edit (or add) the entry of ``cloud`` in the test's clouds.yaml.

        ``options`` replace keys of the entry (``api_timeout``...), except
        ``auth``, whose keys are merged into the entry's ``auth``.
        """
        with open(self.clouds_yaml) as f:
            clouds = yaml.safe_load(f)
        entry = clouds['clouds'].setdefault(cloud, {})
        entry.setdefault('auth', {}).update(options.pop('auth', {}))
        entry.update(options)
        with open(self.clouds_yaml, 'w') as f:
            yaml.safe_dump(clouds, f)
