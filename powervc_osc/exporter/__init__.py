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

"""``powervc-osc-exporter``: PowerVC reference codes as Prometheus metrics.

Modules:

* :mod:`.state`: what one poll of one cloud leaves behind (pure data) and
  the ``category`` label
* :mod:`.changes`: when each server's code last changed (in memory, or
  from the history store with ``--history``)
* :mod:`.poller`: one cloud's poll through :meth:`RefcodeClient.list`
* :mod:`.outage`: why a poll failed (the ``reason`` label) and its wording
* :mod:`.health`: the errors a poll survived, counted (never silent)
* :mod:`.metrics`: the Prometheus collector over the last polls
* :mod:`.serving`: the metrics page (rendered once per poll) and the
  endpoint that serves it
* :mod:`.webconfig`: ``--web-config-file`` (TLS and basic auth, in
  exporter-toolkit's format)
* :mod:`.basic_auth`: the bcrypt check of a request's credentials
* :mod:`.service`: each cloud's poll loop (never overlapping) and shutdown
* :mod:`.options`: the command line
* :mod:`.cli`: ``main()``: signals, logging, ``--once`` or serving

The metric names and labels are listed in ``doc/source/exporter.rst``,
:mod:`.metrics` and :mod:`.health`; they are a stable interface.
"""
