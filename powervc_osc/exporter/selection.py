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

"""Which servers a poll cycle reads fresh (pure logic, no I/O).

Each cycle lists every server; the listing carries each code as PowerVC
last stamped it. A cycle then reads fresh:

* every *hot* server: its code is not ``running`` (an IPL in progress, an
  attention or error code, a machine off or unknown), in the listing or in
  the last cycle, or it changed within the last :data:`RECENT_CYCLES`
  cycles (seeing a code for the first time is no change);
* *steady* servers (all the others) round-robin, those stamped longest ago
  first: at least ``ceil(steady / REFRESH_CYCLES)`` a cycle, so that each
  one is read at least every :data:`REFRESH_CYCLES` cycles, and more when
  the request budget leaves room (``max_rate * interval / 2`` requests a
  cycle, hot ones included).

A code PowerVC stamped within ``--max-age`` is never read again (the
client's :class:`~powervc_osc.fleet.freshness.ReadPlan` decides that first).
"""

from __future__ import annotations

import datetime
import math
import typing as ty

if ty.TYPE_CHECKING:
    from powervc_osc.exporter import state
    from powervc_osc import model

#: A server whose code changed within this many cycles is hot.
RECENT_CYCLES = 3
#: Every steady server is read at least every this many cycles.
REFRESH_CYCLES = 10
#: The share of a cycle's request budget that steady servers may use.
BUDGET_SHARE = 0.5
_STEADY = 'running'
_NEVER = datetime.datetime.min


class Selection:
    """The read decision of one cycle, made from the last cycle's state.

    :param previous: the servers of the last successful poll.
    :param now: Unix time of this cycle.
    :param interval: seconds between cycles.
    :param max_rate: the request budget, requests a second (None: none).
    :param seen_since: Unix time of the first cycle: a change time up to it
        is only when the exporter first saw the code (not hot).
    """

    def __init__(self, previous: ty.Sequence[state.ServerState], now: float,
                 interval: float, max_rate: float | None,
                 seen_since: float | None = None) -> None:
        recent = max(now - RECENT_CYCLES * interval,
                     math.nextafter(seen_since, math.inf)
                     if seen_since is not None else -math.inf)
        self.hot: set[str] = set()
        steady = []
        for server in previous:
            rc = server.row
            if not rc.required:
                continue
            if server.category != _STEADY or (
                    server.changed_at is not None and
                    server.changed_at >= recent):
                self.hot.add(rc.server_id)
            else:
                steady.append(server)
        self.slots = slots(len(steady), len(self.hot), interval, max_rate)
        steady.sort(key=lambda s: s.row.queried_at or _NEVER)
        self.due = {s.row.server_id for s in steady[:self.slots]}
        self.known = {s.row.server_id for s in previous}
        #: Steady servers new to this cycle that may be read (all of them
        #: without a budget).
        self.new_allowance = (
            max(0, int(max_rate * interval * BUDGET_SHARE) - len(self.hot))
            if max_rate else math.inf)
        self._new_read = 0

    def refresh(self, row: model.Refcode) -> bool:
        """Whether to read this listed code (older than max-age) now."""
        server = row.server_id
        if row.category != _STEADY or server in self.hot or server in self.due:
            return True
        if server in self.known:
            return False
        # Not in the last cycle (the first cycle, a new server): within the
        # slots, in listing order.
        self._new_read += 1
        return self._new_read <= self.new_allowance


def slots(steady: int, hot: int, interval: float,
          max_rate: float | None) -> int:
    """Steady servers to read in a cycle (see the module's docstring)."""
    floor = math.ceil(steady / REFRESH_CYCLES)
    if not max_rate:
        return steady
    budget = int(max_rate * interval * BUDGET_SHARE) - hot
    return min(steady, max(floor, budget))
