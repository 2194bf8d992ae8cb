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

"""A ``fixtures.Fixture`` running the simulator for a test.

Example::

    def setUp(self):
        super().setUp()
        self.sim = self.useFixture(SimulatorFixture(step_seconds=0.1))
        # self.sim.url, self.sim.auth_url, self.sim.clouds_yaml,
        # self.sim.simulator (the Simulator), self.sim.state ...

The simulator listens on an ephemeral ``127.0.0.1`` port and is stopped
(and its temporary clouds.yaml removed) on cleanup.  This module needs
``fixtures`` (a test requirement), the rest of the simulator does not.
"""

import typing as ty

import fixtures

from powervc_osc.simulator import server as sim_server


class SimulatorFixture(fixtures.Fixture):
    """Start a :class:`~powervc_osc.simulator.server.Simulator`.

    :param write_clouds_yaml: also write a temporary clouds.yaml
        (``self.clouds_yaml``; None otherwise).
    :param kwargs: :class:`~powervc_osc.simulator.server.Simulator`
        arguments (``settings`` and its fields); ``host`` defaults to
        ``127.0.0.1`` and ``port`` to 0 even over ``settings``.
    """

    def __init__(self, write_clouds_yaml: bool = True,
                 **kwargs: ty.Any) -> None:
        super().__init__()
        kwargs.setdefault('host', '127.0.0.1')
        kwargs.setdefault('port', 0)
        self._kwargs = kwargs
        self._write_clouds_yaml = write_clouds_yaml
        self.simulator: sim_server.Simulator | None = None
        self.clouds_yaml: str | None = None

    def _setUp(self) -> None:
        self.simulator = sim_server.Simulator(**self._kwargs)
        self.simulator.start()
        self.addCleanup(self.simulator.stop)
        if self._write_clouds_yaml:
            self.clouds_yaml = self.simulator.write_clouds_yaml()

    def __getattr__(self, name: str) -> ty.Any:
        # Delegate url, auth_url, state, requests, add_fault ... to the
        # simulator.
        simulator = self.__dict__.get('simulator')
        if simulator is None or name.startswith('__'):
            raise AttributeError(name)
        return getattr(simulator, name)
