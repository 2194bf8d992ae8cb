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

"""One poll of one cloud: ``RefcodeClient.list``, change times, state."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
import time
import typing as ty

from powervc_osc.exporter import changes as changes_mod
from powervc_osc.exporter import health as health_mod
from powervc_osc.exporter import outage
from powervc_osc.exporter import selection
from powervc_osc.exporter import state

if ty.TYPE_CHECKING:
    from powervc_osc import client as client_mod
    from powervc_osc import model

LOG = logging.getLogger(__name__)


class Stopped(Exception):
    """The exporter is stopping; the poll publishes and records nothing."""


class CloudPoller:
    """Polls one cloud and remembers what the exporter must keep.

    :param cloud: the cloud's name, the ``cloud`` label.
    :param client: its :class:`~powervc_osc.client.RefcodeClient`.
    :param changes: the change tracker the pollers share.
    :param filters: keyword arguments of :meth:`RefcodeClient.list`.
    :param max_age: seconds: a code PowerVC stamped that recently is
        taken from the listing (0: every code is read every cycle).
    :param interval: seconds between cycles (the read selection's unit,
        see :mod:`~.selection`).
    :param health: counts the errors a poll survives.
    """

    def __init__(self, cloud: str, client: client_mod.RefcodeClient,
                 changes: changes_mod.ChangeTracker,
                 filters: ty.Mapping[str, ty.Any],
                 wall: ty.Callable[[], float] = time.time,
                 clock: ty.Callable[[], float] = time.monotonic,
                 max_age: float = 0.0, interval: float = 60.0,
                 health: health_mod.Health | None = None) -> None:
        self.cloud = cloud
        self._health = health or health_mod.Health()
        self.max_age = max_age
        self.interval = interval
        #: Unix time of the first successful poll: a change time up to it
        #: is when the exporter first saw the code, not a change.
        self._first_success: float | None = None
        self._client = client
        self._changes = changes
        self._filters = dict(filters)
        self._wall = wall
        self._clock = clock
        self._last: state.CloudState | None = None
        self._failing: set[str] = set()
        self._matched_nothing = False

    def poll(self, stop: threading.Event) -> state.CloudState:
        """Poll the cloud once and return its new state.

        A cloud that cannot be listed keeps its last servers with ``up``
        false; the first failure of an outage is logged, not the others.

        :raises Stopped: when ``stop`` is set during the poll.
        """
        started = self._clock()
        errors: list[client_mod.Failure] = []
        try:
            rows = self._read(errors, stop)
        except Stopped:
            raise
        except Exception as exc:  # a poll must never end the exporter
            result = self._failed(exc, self._clock() - started)
        else:
            duration = self._clock() - started
            try:
                result = self._succeeded(rows, errors, duration, stop)
            except Stopped:
                raise
            except Exception as exc:  # never silent, never a dead thread
                result = self._unhandled(exc, duration)
        self._last = result
        return result

    def _unhandled(self, exc: Exception, duration: float,
                   ) -> state.CloudState:
        """PowerVC answered but its answer could not be handled."""
        LOG.debug('Cloud %s: poll result not handled', self.cloud,
                  exc_info=True)
        self._health.error(self.cloud, 'poll', (
            'Cloud %s: this poll could not be handled (%s: %s); the last '
            'servers are kept' % (self.cloud, type(exc).__name__, exc)))
        previous = self._previous()
        if not previous.up:
            LOG.info('Cloud %s answers again', self.cloud)
        # PowerVC answered: the last failure's reason no longer holds (a
        # kept reason would publish up=1 beside a failure, hide the next
        # outage's warning and keep a refused login's backoff going).
        return dataclasses.replace(previous, up=True, duration=duration,
                                   last_success=self._wall(), reason=None)

    def _usable(self, rows: list[model.Refcode],
                ) -> list[tuple[model.Refcode, str]]:
        """The rows whose category and times can be worked out, with it.

        A server whose row cannot be handled is left out of this poll,
        logged and counted; the others are published. The category is
        worked out once per code (a fleet shares a few dozen codes).
        """
        usable = []
        categories = changes_mod.Categories()
        for rc in rows:
            try:
                # What the board and the collector will ask of the row.
                category = categories(rc)
                state.unix_time(rc.queried_at)
            except Exception as exc:  # one server must not hide the rest
                self._health.error(self.cloud, 'server', (
                    'Cloud %s: server %s left out of this poll (%s: %s)'
                    % (self.cloud, rc.server_id, type(exc).__name__, exc)))
            else:
                usable.append((rc, category))
        return usable

    def _read(self, errors: list[client_mod.Failure], stop: threading.Event,
              ) -> list[model.Refcode]:
        rows = []
        chosen = selection.Selection(
            self._previous().servers, self._wall(), self.interval,
            self._client.budget.rate, seen_since=self._first_success)
        # A generator: closing it cancels the requests not yet sent.
        listing = ty.cast(
            ty.Generator['model.Refcode', None, None],
            self._client.list(on_error=errors.append, max_age=self.max_age,
                              refresh=chosen.refresh, **self._filters))
        with contextlib.closing(listing):
            for rc in listing:
                if stop.is_set():
                    raise Stopped()
                rows.append(rc)
        return rows

    def _succeeded(self, rows: list[model.Refcode],
                   errors: list[client_mod.Failure],
                   duration: float, stop: threading.Event,
                   ) -> state.CloudState:
        failed = {f.server for f in errors}
        if stop.is_set():
            raise Stopped()
        usable = self._usable(rows)
        rows = [rc for rc, _category in usable]
        previous = self._previous()
        now = self._wall()
        if self._first_success is None:
            self._first_success = now
        try:
            times = self._changes.update(self.cloud, rows, now, keep=failed)
        except changes_mod.StoreClosed:
            raise Stopped()
        except changes_mod.StoreFailed as exc:
            LOG.warning('Cloud %s: this poll was not recorded: %s',
                        self.cloud, exc)
            times = {s.row.server_id: s.changed_at
                     for s in previous.servers
                     if s.changed_at is not None}
        listed = {rc.server_id for rc in rows}
        kept = tuple(s for s in previous.servers
                     if s.row.server_id in failed - listed)
        servers = tuple(
            state.ServerState(rc, category, times.get(rc.server_id))
            for rc, category in usable) + kept
        self._log_server_errors(errors)
        self._log_nothing_matched(rows)
        if not previous.up:
            LOG.info('Cloud %s answers again', self.cloud)
        return state.CloudState(
            self.cloud, True, servers, duration, previous.failures,
            len(errors), now, zone_offset=self._client.zone_offset)

    def _failed(self, exc: Exception, duration: float) -> state.CloudState:
        previous = self._previous()
        reason = outage.reason_of(exc)
        if reason != previous.reason:      # once per outage, not per poll
            # Only a poll that succeeded before has values to keep (never
            # the single poll of --once).
            kept = ('its last values are kept' if previous.servers
                    else 'no server values are published')
            LOG.warning('%s; %s until it answers again',
                        outage.message(self.cloud, reason, exc), kept)
        return state.CloudState(
            self.cloud, False, previous.servers, duration,
            previous.failures + 1, previous.server_errors,
            previous.last_success, reason)

    def _log_nothing_matched(self, rows: list) -> None:
        """Say once that filters naming something matched no server."""
        named = ['--%s %s' % (k, v) for k, v in sorted(self._filters.items())
                 if k in ('project', 'host', 'name') and v]
        empty = bool(named) and not rows
        if empty and not self._matched_nothing:
            LOG.warning('Cloud %s: no server matches %s', self.cloud,
                        outage.short(' '.join(named)))
        self._matched_nothing = empty

    def _previous(self) -> state.CloudState:
        return self._last or state.CloudState(self.cloud, up=True)

    def _log_server_errors(self, errors: list[client_mod.Failure]) -> None:
        """One WARNING when servers start failing, one INFO when none does.

        In between, ``powervc_poll_server_errors`` counts them: a flaky
        PowerVC must not write a line per server and poll.
        """
        failing = {f.server for f in errors}
        if failing and not self._failing:
            LOG.warning('Cloud %s: the code of %d server(s) could not be '
                        'read, e.g. %s', self.cloud, len(failing),
                        outage.short(str(errors[0].error)))
        elif self._failing and not failing:
            LOG.info('Cloud %s: every server\'s code is read again',
                     self.cloud)
        self._failing = failing
