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

"""Command-line options shared by the commands, the exporter and the simulator.

* :mod:`~powervc_osc.options.argtypes`: the argparse number, duration and
  category types, and the usage exit status;
* :mod:`~powervc_osc.options.filters`: the server filters of
  ``refcode list``, which the exporter takes too;
* :mod:`~powervc_osc.options.limits`: ``--max-age`` and ``--max-rate``.

Only the standard library is imported here: OSC imports the command
modules, and so these, for every command of the compute group.
"""
