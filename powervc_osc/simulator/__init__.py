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

"""A PowerVC simulator for trying the plugin and testing scripts.

``from powervc_osc.simulator import Simulator`` (imported lazily, so that
importing this package costs nothing).  Modules:

* :mod:`.state`: the fleet and the refcode semantics (pure Python)
* :mod:`.bootseq`: the simulated boot sequences
* :mod:`.identity`: Keystone v3 tokens
* :mod:`.app`: the Werkzeug WSGI application, faults, request log
* :mod:`.server`: :class:`Simulator` (start/stop, clouds.yaml)
* :mod:`.fixture`: :class:`SimulatorFixture` for tests
* :mod:`.cli` and :mod:`.demo`: ``powervc-osc-simulator [demo]``
"""

__all__ = ['Simulator', 'SimulatorFixture']


def __getattr__(name):
    if name == 'Simulator':
        from powervc_osc.simulator import server
        return server.Simulator
    if name == 'SimulatorFixture':
        from powervc_osc.simulator import fixture
        return fixture.SimulatorFixture
    raise AttributeError(name)
