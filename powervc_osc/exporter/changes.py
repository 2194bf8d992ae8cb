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

"""When each server's code last changed: in memory, or the history store.

Without ``--history`` the exporter remembers the time it first saw each
code; that is the time the code changed, or the exporter's start for a
code that was already there.  With ``--history`` every poll is recorded
in the store and the time comes from it, so it survives restarts.
"""

from __future__ import annotations

import datetime
import logging
import threading
import time
import typing as ty

from powervc_osc.exporter import health as health_mod
from powervc_osc import history

if ty.TYPE_CHECKING:
    from powervc_osc import model

LOG = logging.getLogger(__name__)

#: Seconds between two prunings of the history store.
PRUNE_EVERY = 3600.0
#: Seconds :meth:`HistoryChanges.close` waits for a write under way. A
#: write blocked by another process's lock may wait for up to
#: ``history.BUSY_TIMEOUT`` (5 s); a stop must take less than 2 s.
CLOSE_WAIT = 1.0
#: Seconds a write waiting for the lock goes between checks for a close.
_LOCK_SLICE = 0.1

Times = dict[str, float]


class Categories:
    """``Refcode.category``, worked out once per code, LED text and flag.

    A poll of 10,000 servers meets a few dozen codes; the explanation
    table is asked once for each.
    """

    def __init__(self) -> None:
        self._known: dict[tuple[ty.Any, ...], str] = {}

    def __call__(self, rc: model.Refcode) -> str:
        key = (rc.refcode, rc.led_code, rc.required)
        if key not in self._known:
            self._known[key] = rc.category
        return self._known[key]


class StoreClosed(Exception):
    """The exporter is stopping: nothing more is written."""


class StoreFailed(Exception):
    """The history store could not record a poll (the message says why)."""


class ChangeTracker(ty.Protocol):
    """What the pollers need of the change times.

    :class:`MemoryChanges` and :class:`HistoryChanges` are the two kinds.
    """

    def update(self, cloud: str, rows: ty.Sequence[model.Refcode],
               now: float, keep: ty.Collection[str] = ()) -> Times:
        """Record a poll; return the change time of each row's server.

        :raises StoreClosed: when the exporter is stopping.
        :raises StoreFailed: when the poll could not be recorded.
        """

    def close(self) -> None:
        """Refuse further updates and let go of what is held."""


class MemoryChanges:
    """Change times kept in this process only."""

    def __init__(self) -> None:
        self._seen: dict[str, dict[str, tuple[tuple[ty.Any, ...], float]]] = {}

    def update(self, cloud: str, rows: ty.Sequence[model.Refcode],
               now: float, keep: ty.Collection[str] = ()) -> Times:
        """Record a poll; return the change time of each row's server.

        Servers neither in ``rows`` nor in ``keep`` (those whose read
        failed this time) are forgotten, so memory follows the fleet.
        """
        before = self._seen.get(cloud, {})
        seen = {sid: before[sid] for sid in keep if sid in before}
        for rc in rows:
            key = rc.observation
            old = before.get(rc.server_id)
            seen[rc.server_id] = old if old and old[0] == key else (key, now)
        self._seen[cloud] = seen
        return {sid: when for sid, (_key, when) in seen.items()}

    def close(self) -> None:
        self._seen.clear()


class HistoryChanges:
    """Change times from the SQLite history store (``--history``).

    Writes are serialized and each is one transaction; :meth:`close`
    waits (up to ``close_wait`` seconds) for the one under way, so stopping
    the exporter never leaves a poll half recorded. A poll the store
    cannot record and a row it cannot read are counted in ``health``.
    """

    def __init__(self, store: history.HistoryStore,
                 retention: datetime.timedelta | None,
                 clock: ty.Callable[[], float] = time.monotonic,
                 close_wait: float = CLOSE_WAIT,
                 health: health_mod.Health | None = None) -> None:
        self._store = store
        self.health = health or health_mod.Health()
        self._close_wait = close_wait
        self._retention = retention
        self._clock = clock
        self._lock = threading.Lock()
        self._closed = False
        self._pruned_at: float | None = None

    def update(self, cloud: str, rows: ty.Sequence[model.Refcode],
               now: float, keep: ty.Collection[str] = ()) -> Times:
        if not self._lock_unless_closed():
            raise StoreClosed()
        try:
            return self._record(cloud, rows, keep)
        except history.HistoryError as exc:
            self.health.write_failed(cloud)
            raise StoreFailed(str(exc))
        finally:
            self._lock.release()

    def _record(self, cloud: str, rows: ty.Sequence[model.Refcode],
                keep: ty.Collection[str]) -> Times:
        """Record the poll and prune; count the rows that cannot be read."""
        cycle = self._store.record_cycle(cloud, rows, Categories(), keep=keep)
        for line in cycle.bad_rows:
            self.health.error(cloud, 'history', line)
        self._prune_now_and_then()
        LOG.debug('Cloud %s: %d change(s) recorded, %d server(s) forgotten',
                  cloud, cycle.written, cycle.forgotten)
        return cycle.changed_at

    def _lock_unless_closed(self) -> bool:
        """Take the write lock, or return False as soon as closed.

        After a :meth:`close` that gave up on a blocked write, a caller
        fails at once instead of queueing behind that write.
        """
        while not self._closed:
            if self._lock.acquire(timeout=_LOCK_SLICE):
                if not self._closed:
                    return True
                self._lock.release()
        return False

    def _prune_now_and_then(self) -> None:
        if self._retention is None:
            return
        now = self._clock()
        if self._pruned_at is not None and now - self._pruned_at < PRUNE_EVERY:
            return
        self._store.prune(self._retention)
        self._pruned_at = now

    def recent(self, server_id: str, limit: int,
               cloud: str | None = None) -> list[history.Change]:
        """The server's last ``limit`` recorded changes, newest first.

        The fleet page's timeline (of that cloud's server, with
        ``cloud``); empty once the exporter is stopping.

        :raises StoreFailed: when the store cannot be read.
        """
        if self._closed:
            return []
        try:
            return self._store.changes(server_id=server_id, cloud=cloud,
                                       limit=limit)
        except history.HistoryError as exc:
            raise StoreFailed(str(exc))

    def close(self) -> None:
        """Refuse further writes; close the store after the one under way.

        A write still waiting for another writer's lock after
        ``close_wait`` is not waited for: its transaction is committed
        whole or, when the process ends first, not at all.
        """
        if not self._lock.acquire(timeout=self._close_wait):
            self._closed = True
            LOG.warning('The history store is locked by another process; '
                        'the poll being recorded may be lost')
            return
        try:
            if not self._closed:
                self._closed = True
                self._store.close()
        finally:
            self._lock.release()
