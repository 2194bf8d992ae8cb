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

"""What the exporter knows: the last poll of each cloud (pure data)."""

from __future__ import annotations

import dataclasses
import datetime
import threading
import typing as ty

from powervc_osc import utc

if ty.TYPE_CHECKING:
    from powervc_osc import model


#: Why a poll failed (the ``reason`` label of ``powervc_poll_failure``).
UNREACHABLE = 'unreachable'        # no answer, an HTTP 5xx, a bad answer
AUTHENTICATION = 'authentication'  # login refused: password, user
PERMISSION = 'permission'          # a role is missing (admin filters)
USAGE = 'usage'                    # PowerVC rejected the request (400)
REASONS = (UNREACHABLE, AUTHENTICATION, PERMISSION, USAGE)


def unix_time(moment: datetime.datetime | None,
              zone: datetime.timedelta | None = None) -> float | None:
    """Unix time of a timestamp.

    A naive one (PowerVC's query time) is in the zone ``zone`` (PowerVC's
    UTC offset, learned by the client), read as UTC while it is unknown.
    """
    if moment is None:
        return None
    if moment.tzinfo is None and zone:
        moment = moment.replace(tzinfo=datetime.timezone(zone))
    return utc.as_utc(moment).timestamp()


@dataclasses.dataclass(frozen=True)
class ServerState:
    """One server as the last successful poll saw it."""

    row: model.Refcode
    category: str
    #: Unix time the code or LED text last changed (None: not known).
    changed_at: float | None


@dataclasses.dataclass(frozen=True)
class CloudState:
    """One cloud after a poll; the collector reads only this."""

    cloud: str
    up: bool
    servers: tuple[ServerState, ...] = ()
    #: Seconds the last poll took.
    duration: float = 0.0
    #: Polls of this cloud that failed since the exporter started.
    failures: int = 0
    #: Servers whose code could not be read in the last successful poll.
    server_errors: int = 0
    #: Unix time of the last successful poll (None: none yet).
    last_success: float | None = None
    #: Why the last poll failed, one of :data:`REASONS` (None: it did not).
    reason: str | None = None
    #: PowerVC's UTC offset, the zone of its query times (None: unknown).
    zone_offset: datetime.timedelta | None = None


class Board:
    """The latest :class:`CloudState` of every cloud, swapped atomically.

    Pollers publish whole states; a scrape takes the current ones, so it
    never sees half a poll and never waits for PowerVC.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._states: dict[str, CloudState] = {}

    def publish(self, state: CloudState) -> None:
        with self._lock:
            self._states[state.cloud] = state

    def states(self) -> list[CloudState]:
        """The latest state of every cloud, sorted by cloud name."""
        with self._lock:
            return [self._states[c] for c in sorted(self._states)]
