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

* :mod:`.settings`: :class:`SimulatorSettings`, how a simulator behaves
* :mod:`.state`: the fleet and the refcode semantics (pure Python)
* :mod:`.bootseq`: the simulated boot sequences
* :mod:`.identity`: Keystone v3 tokens
* :mod:`.app`: the WSGI application: the route table and the request
  pipeline
* :mod:`.identity_api`, :mod:`.compute_api`, :mod:`.control`: the
  handlers of the identity, compute and ``/_sim`` control routes
* :mod:`.views`: the JSON documents (servers, flavors, versions)
* :mod:`.microversion`: compute microversions
* :mod:`.responses`: JSON bodies and answers, Nova and Keystone errors
* :mod:`.faults` and :mod:`.requestlog`: injected faults, the request log
* :mod:`.keystone_mode`: tokens validated by a real Keystone
* :mod:`.server`: :class:`Simulator` (start/stop, clouds.yaml)
* :mod:`.fixture`: :class:`SimulatorFixture` for tests (needs
  ``fixtures``, a test requirement)
* :mod:`.cli` and :mod:`.demo`: ``powervc-osc-simulator [demo]``
"""

import importlib

_EXPORTS = {'Simulator': 'server', 'SimulatorFixture': 'fixture',
            'SimulatorSettings': 'settings'}
__all__ = list(_EXPORTS)


def __getattr__(name: str) -> object:
    if name not in _EXPORTS:
        raise AttributeError(name)
    module = importlib.import_module('%s.%s' % (__name__, _EXPORTS[name]))
    return getattr(module, name)
