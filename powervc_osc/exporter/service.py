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

"""The poll loops: each cloud on its own schedule, never overlapping."""

from __future__ import annotations

import logging
import math
import threading
import time
import typing as ty

from powervc_osc.exporter import changes as changes_mod
from powervc_osc.exporter import health as health_mod
from powervc_osc.exporter import poller as poller_mod
from powervc_osc.exporter import state

LOG = logging.getLogger(__name__)

#: Seconds between checks of the stop request while polls run.
STOP_CHECK = 0.1
#: Longest pause between two logins after PowerVC refused the password:
#: the delay doubles from two intervals up to this, so that a wrong
#: password does not lock the account.
MAX_LOGIN_BACKOFF = 3600.0


class Schedule:
    """When the next poll of one cloud starts.

    Polls start on the interval's beat.  A poll that takes longer than the
    interval is logged (the first of a run of them), and the next one
    starts on the first beat after it ends: polls never overlap and a slow
    PowerVC is not asked again at once.  After a refused login the pause
    doubles, up to :data:`MAX_LOGIN_BACKOFF`.
    """

    def __init__(self, interval: float, cloud: str = '') -> None:
        self.interval = interval
        self.cloud = cloud
        self._refused = 0
        self._overran = False

    def next_start(self, started: float, ended: float,
                   reason: str | None = None) -> float:
        elapsed = ended - started
        beats = max(1, math.ceil(elapsed / self.interval))
        if beats > 1 and not self._overran:
            LOG.warning('Cloud %s: a poll took %.1f s, longer than the '
                        'interval (%g s); %d poll(s) skipped', self.cloud,
                        elapsed, self.interval, beats - 1)
        elif beats == 1 and self._overran:
            LOG.info('Cloud %s: polls fit the interval again', self.cloud)
        self._overran = beats > 1
        start = started + beats * self.interval
        if reason != state.AUTHENTICATION:
            self._refused = 0
            return start
        self._refused += 1
        pause = min(self.interval * 2 ** self._refused, MAX_LOGIN_BACKOFF)
        LOG.warning('Cloud %s: login refused %d time(s) in a row; next try '
                    'in %s', self.cloud, self._refused, _minutes(pause))
        return max(start, ended + pause)


def _minutes(seconds: float) -> str:
    return '%g s' % seconds if seconds < 120 else '%g min' % round(
        seconds / 60.0, 1)


class Exporter:
    """Polls every cloud on its own schedule and publishes on the board.

    A slow or silent PowerVC delays only its own polls: each cloud runs
    in a thread of its own.

    :param pollers: one :class:`~.poller.CloudPoller` per cloud.
    :param changes: the change tracker the pollers share (closed last).
    :param on_publish: called with the board after every publish (it has
        the metrics page rendered, once per poll).
    """

    def __init__(self, pollers: ty.Sequence[poller_mod.CloudPoller],
                 board: state.Board,
                 changes: changes_mod.ChangeTracker, interval: float,
                 clock: ty.Callable[[], float] = time.monotonic,
                 stop: threading.Event | None = None,
                 on_publish: ty.Callable[[state.Board], ty.Any] | None = None,
                 health: health_mod.Health | None = None) -> None:
        self.pollers = list(pollers)
        self.board = board
        self.stop = stop or threading.Event()
        self.interval = interval
        self.on_publish = on_publish
        self._changes = changes
        self._clock = clock
        self._threads: list[threading.Thread] = []
        #: The errors the pollers survived (see :mod:`.health`).
        self.health = health or health_mod.Health()

    def cycle(self) -> bool:
        """Poll every cloud once, concurrently; True when all answered.

        Returns when every poll is done, or at once when a stop is
        requested (polls still waiting for PowerVC then publish nothing).
        """
        answered: dict[str, bool] = {}
        self._start(lambda p: self._poll(p, answered), 'poll')
        self._join()
        return all(answered.get(p.cloud, False) for p in self.pollers)

    def run(self) -> None:
        """Poll each cloud on its own schedule until :attr:`stop` is set."""
        self._start(self._loop, 'loop')
        self._join()

    def _start(self, target: ty.Callable[[poller_mod.CloudPoller], ty.Any],
               kind: str) -> None:
        self._threads = [
            threading.Thread(target=target, args=(p,),
                             name='%s-%s' % (kind, p.cloud), daemon=True)
            for p in self.pollers]
        for thread in self._threads:
            thread.start()

    def _join(self) -> None:
        for thread in self._threads:
            while thread.is_alive() and not self.stop.is_set():
                thread.join(STOP_CHECK)

    def _loop(self, poller: poller_mod.CloudPoller) -> None:
        schedule = Schedule(self.interval, poller.cloud)
        while not self.stop.is_set():
            started = self._clock()
            result = self._poll(poller, {})
            if result is None or self.stop.is_set():
                return
            start_at = schedule.next_start(started, self._clock(),
                                           result.reason)
            self.stop.wait(max(0.0, start_at - self._clock()))

    def _poll(self, poller: poller_mod.CloudPoller,
              answered: dict[str, bool]) -> state.CloudState | None:
        try:
            result = poller.poll(self.stop)
        except poller_mod.Stopped:
            return None
        self.board.publish(result)
        answered[poller.cloud] = result.up
        if self.on_publish is not None:
            try:
                self.on_publish(self.board)
            except Exception:  # the next poll renders again
                LOG.exception('Cloud %s: the metrics could not be rendered',
                              poller.cloud)
        return result

    @property
    def changes(self) -> changes_mod.ChangeTracker:
        """The change tracker (the fleet page reads its history)."""
        return self._changes

    def busy(self) -> bool:
        """Whether a poll is still waiting for PowerVC."""
        return any(t.is_alive() for t in self._threads)

    def close(self) -> None:
        """Stop; close the change tracker once a write under way is done."""
        self.stop.set()
        self._changes.close()
