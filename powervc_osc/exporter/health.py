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

"""What went wrong and was survived: never silent.

An error while handling one server or one row of the history store is
caught where it happens; the rest of the poll is published. Each is
logged in one line (once per distinct line, not every cycle) and counted:

``powervc_exporter_errors_total``
    labels ``cloud`` and ``stage``: ``server`` (one server's code could
    not be handled), ``history`` (a row of the history store could not
    be read), ``poll`` (a poll's result could not be handled; the last
    servers are kept)
``powervc_history_write_failures_total``
    label ``cloud``: polls whose changes the history store could not
    record (locked by another writer, disk full, corrupt)
"""

from __future__ import annotations

import collections
import logging
import threading
import typing as ty

from prometheus_client import core
from prometheus_client import registry

LOG = logging.getLogger(__name__)

STAGES = ('server', 'history', 'poll')
#: Distinct error lines remembered so each is logged once.
LOGGED_LINES = 1000


class Health(registry.Collector):
    """Counts of survived errors, by cloud; a Prometheus collector."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._errors: collections.Counter[tuple[str, str]] = (
            collections.Counter())
        self._write_failures: collections.Counter[str] = (
            collections.Counter())
        self._logged: set[str] = set()
        self._full_said = False

    def error(self, cloud: str, stage: str, line: str) -> None:
        """Count an error of ``stage`` in ``cloud``; log ``line`` once.

        Past :data:`LOGGED_LINES` distinct lines, new ones are counted
        only (one line says so): a store with many bad rows must not log
        them again at every poll.
        """
        with self._lock:
            self._errors[cloud, stage] += 1
            first = line not in self._logged
            full = len(self._logged) >= LOGGED_LINES
            if first and not full:
                self._logged.add(line)
            elif first and not self._full_said:
                self._full_said = True
                line = ('%d distinct errors logged; further ones are '
                        'counted in powervc_exporter_errors_total only'
                        % LOGGED_LINES)
                full = False
        if first and not full:
            LOG.error('%s', line)

    def write_failed(self, cloud: str) -> None:
        """Count a poll of ``cloud`` the history store did not record."""
        with self._lock:
            self._write_failures[cloud] += 1

    def write_failures(self) -> int:
        """Polls not recorded since the start, all clouds together."""
        with self._lock:
            return sum(self._write_failures.values())

    def collect(self) -> ty.Iterator[core.Metric]:
        errors = core.CounterMetricFamily(
            'powervc_exporter_errors',
            'Errors the exporter survived while handling one server, one '
            'history row or one poll result', labels=('cloud', 'stage'))
        failures = core.CounterMetricFamily(
            'powervc_history_write_failures',
            'Polls whose changes the history store could not record',
            labels=('cloud',))
        with self._lock:
            for (cloud, stage), count in sorted(self._errors.items()):
                errors.add_metric([cloud, stage], count)
            for cloud, count in sorted(self._write_failures.items()):
                failures.add_metric([cloud], count)
        return iter((errors, failures))

    def expect(self, clouds: ty.Iterable[str], history: bool) -> None:
        """Publish 0 for every cloud, so a rate() sees the first error."""
        with self._lock:
            for cloud in clouds:
                for stage in STAGES:
                    self._errors[cloud, stage] += 0
                if history:
                    self._write_failures[cloud] += 0
