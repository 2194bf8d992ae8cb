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

"""Defaults shared by the client and the commands (this imports nothing)."""

#: Concurrent requests of bulk operations: enough to hide latency, few
#: enough not to load PowerVC.
MAX_WORKERS = 16
#: Seconds a wait for a first reference code may take.
WAIT_TIMEOUT = 300.0
#: Seconds between polls while waiting for a first reference code.
WAIT_INTERVAL = 2.0
#: Seconds between polls while watching a server.
WATCH_INTERVAL = 5.0
#: Seconds between the exporter's polls of each cloud.
POLL_INTERVAL = 60.0
#: ``refcode list --max-age``: a code PowerVC stamped within the last
#: minute is shown as listed (see the release note of issue 21).
LIST_MAX_AGE = 60.0
#: ``refcode list --max-rate``: metadata requests a second.
LIST_MAX_RATE = 1000.0
#: The most concurrent requests the budget may pick (``--max-workers``).
MAX_WORKERS_CAP = 64
#: The shortest ``--interval`` of ``--wait`` and ``--watch`` (the
#: exporter's floor): a shorter one would only load PowerVC.
MIN_POLL_INTERVAL = 1.0
