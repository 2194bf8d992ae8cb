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

"""The poll cycle: every cloud at once, on the interval, never overlapping."""

from __future__ import annotations

import logging
import math
import threading
import time
import typing as ty

from powervc_osc.exporter import changes as changes_mod
from powervc_osc.exporter import poller as poller_mod
from powervc_osc.exporter import state

LOG = logging.getLogger(__name__)

#: Seconds between checks of the stop request while a cycle runs.
STOP_CHECK = 0.1


class Schedule:
    """When the next cycle starts.

    Cycles start on the interval's beat.  A cycle that takes longer than
    the interval is logged, and the next one starts on the first beat
    after it ends: cycles never overlap and a slow PowerVC is not asked
    again at once.
    """

    def __init__(self, interval: float) -> None:
        self.interval = interval

    def next_start(self, started: float, ended: float) -> float:
        elapsed = ended - started
        beats = max(1, math.ceil(elapsed / self.interval))
        if beats > 1:
            LOG.warning('A poll cycle took %.1f s, longer than the interval '
                        '(%g s); %d cycle(s) skipped', elapsed, self.interval,
                        beats - 1)
        return started + beats * self.interval


class Exporter:
    """Runs poll cycles and publishes their results on the board.

    :param pollers: one :class:`~.poller.CloudPoller` per cloud.
    :param changes: the change tracker the pollers share (closed last).
    """

    def __init__(self, pollers: ty.Sequence[poller_mod.CloudPoller],
                 board: state.Board,
                 changes: changes_mod.ChangeTracker, interval: float,
                 clock: ty.Callable[[], float] = time.monotonic,
                 stop: threading.Event | None = None) -> None:
        self.pollers = list(pollers)
        self.board = board
        self.stop = stop or threading.Event()
        self._changes = changes
        self._schedule = Schedule(interval)
        self._clock = clock
        self._threads: list[threading.Thread] = []

    def cycle(self) -> bool:
        """Poll every cloud concurrently; True when all of them answered.

        Returns when every poll is done, or at once when a stop is
        requested (polls still waiting for PowerVC then publish nothing).
        """
        answered: dict[str, bool] = {}
        self._threads = [
            threading.Thread(target=self._poll, args=(p, answered),
                             name='poll-%s' % p.cloud, daemon=True)
            for p in self.pollers]
        for thread in self._threads:
            thread.start()
        for thread in self._threads:
            while thread.is_alive() and not self.stop.is_set():
                thread.join(STOP_CHECK)
        return all(answered.get(p.cloud, False) for p in self.pollers)

    def _poll(self, poller: poller_mod.CloudPoller,
              answered: dict[str, bool]) -> None:
        try:
            result = poller.poll(self.stop)
        except poller_mod.Stopped:
            return
        self.board.publish(result)
        answered[poller.cloud] = result.up

    def run(self) -> None:
        """Run cycles until :attr:`stop` is set."""
        while not self.stop.is_set():
            started = self._clock()
            self.cycle()
            if self.stop.is_set():
                break
            start_at = self._schedule.next_start(started, self._clock())
            self.stop.wait(max(0.0, start_at - self._clock()))

    def busy(self) -> bool:
        """Whether a poll is still waiting for PowerVC."""
        return any(t.is_alive() for t in self._threads)

    def close(self) -> None:
        """Stop; close the change tracker once a write under way is done."""
        self.stop.set()
        self._changes.close()
