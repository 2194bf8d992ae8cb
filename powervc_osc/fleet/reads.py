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

"""The metadata reads of one server listing (``RefcodeClient.list``).

Which listed codes are read (:class:`~powervc_osc.fleet.freshness.ReadPlan`:
``max_age`` judged by PowerVC's clock, the caller's ``refresh``), how
PowerVC's zone is learned from a read (:func:`read_listed`), and how many
reads run at once (:func:`~powervc_osc.fleet.budget.workers_for`, from the
client's request budget and the latency measured).
"""

from __future__ import annotations

import concurrent.futures
import datetime
import logging
import time
import typing as ty

from powervc_osc import exceptions
from powervc_osc.fleet import freshness
from powervc_osc.http import compute
from powervc_osc.http import concurrency
from powervc_osc import model

if ty.TYPE_CHECKING:
    from powervc_osc.fleet import budget as budget_mod
    from powervc_osc import nova

LOG = logging.getLogger(__name__)


class Reader(ty.Protocol):
    """What the reads need of the client.

    A protocol rather than :class:`~powervc_osc.client.RefcodeClient`
    itself, so that this module does not import the client that imports it.
    """

    budget: budget_mod.Budget
    max_workers: int
    zone_offset: datetime.timedelta | None

    def _read(self, found: nova.Server, server: str) -> model.Refcode:
        """The found server's fresh reference code (one request)."""


_Job = tuple[str, 'concurrent.futures.Future[model.Refcode]']
_NEVER = datetime.datetime.min


def read_listed(client: Reader, listed: nova.Server,
                plan: freshness.ReadPlan | None = None) -> model.Refcode:
    """A listed server's fresh code; it calibrates PowerVC's zone.

    Only a query time newer than the listed one was stamped by this read
    (PowerVC may answer with its last code when it cannot reach the
    hypervisor), so only such a one calibrates: the answer's ``Date``
    minus it is PowerVC's UTC offset (:func:`freshness.zone_offset`).
    """
    before = model.parse_query_ts((listed.metadata or {}).get(
        model.QUERY_TS_KEY))
    row = client._read(listed, listed.id)
    offset = None
    if row.queried_at is not None and (
            before is None or row.queried_at > before):
        offset = freshness.zone_offset(
            freshness.parse_http_date(compute.last_date()), row.queried_at)
    if offset is not None and offset != client.zone_offset:
        LOG.debug('PowerVC stamps query times in zone %s',
                  freshness.offset_text(offset))
        client.zone_offset = offset
    if plan is not None:
        plan.calibrated(offset)
    return row


class ListedReads:
    """Submit the reads of one listing's servers, page by page.

    :param client: the :class:`~powervc_osc.client.RefcodeClient`
        (a :class:`Reader`).
    :param pool: the listing's thread pool.
    :param plan: which codes to read.
    """

    def __init__(self, client: Reader,
                 pool: concurrent.futures.Executor,
                 plan: freshness.ReadPlan) -> None:
        self.client = client
        self.pool = pool
        self.plan = plan
        self._pages_done = 1
        self._started = time.monotonic()
        self._sized = False

    def page(self) -> None:
        """A listing page arrived (the walk's ``on_page``)."""
        latency = self.client.budget.latency
        if latency.seconds is None:
            latency.add(time.monotonic() - self._started)
        self.plan.page(compute.last_date())

    def ready(self) -> bool:
        """Whether to submit now.

        While the zone is unknown, a page at a time, so that it is learned
        from the page's oldest code.
        """
        return (not self.plan.needs_zone or
                self.plan.pages > self._pages_done)

    def submit(self, entries: ty.Sequence[nova.Server |
                                          exceptions.RefcodeError],
               ) -> ty.List[_Job]:
        """The jobs of these listing entries (their reads, or errors)."""
        self._pages_done = self.plan.pages
        if not self._sized and self.client.budget.rate:
            self._sized = True
            ty.cast(ty.Any, self.pool).workers = self.client.budget.workers(
                self.client.max_workers)
        done: dict[str, concurrent.futures.Future] = {}
        if self.plan.needs_zone:
            self._calibrate(entries, done)
        jobs: ty.List[_Job] = []
        for entry in entries:
            if isinstance(entry, exceptions.RefcodeError):
                jobs.append(('(unnamed)', concurrency.completed(error=entry)))
            else:
                jobs.append((entry.id, done.get(entry.id) or
                             self._job(entry)))
        return jobs

    def finish(self) -> None:
        """After the listing: forget a zone that proved wrong."""
        plan, client = self.plan, self.client
        if plan.future_seen and client.zone_offset == plan.offset:
            # Those codes were read fresh, and none of the reads stamped
            # another zone: it is learned again next time.
            LOG.warning('PowerVC listed query times in the future for zone '
                        '%s: the zone is learned again at the next read',
                        freshness.offset_text(plan.offset or
                                              datetime.timedelta(0)))
            client.zone_offset = None

    def _job(self, listed: nova.Server,
             ) -> concurrent.futures.Future[model.Refcode]:
        """The read of a listed server, if it needs one.

        No request when collection is off or the listed code is recent
        enough (see :class:`~powervc_osc.fleet.freshness.ReadPlan`).
        """
        row = listed.refcode(listed.metadata)
        if not row.required or not self.plan.wants(row):
            return concurrency.completed(result=row)
        return self.pool.submit(read_listed, self.client, listed)

    def _calibrate(self, entries: ty.Sequence[ty.Any],
                   done: dict[str, concurrent.futures.Future]) -> None:
        """Learn PowerVC's zone from the oldest listed codes.

        The codes that PowerVC stamped longest ago (or never) are read
        first, one at a time on the pool (Ctrl-C stays prompt), until one
        calibrates or :attr:`~.ReadPlan.CALIBRATION_TRIES` failed: those are
        the likeliest to need the read anyway. The other reads of the page
        wait meanwhile. Their futures go to ``done``.
        """
        listed = []
        for entry in entries:
            if isinstance(entry, exceptions.RefcodeError):
                continue
            row = entry.refcode(entry.metadata)
            if row.required:
                listed.append((row.queried_at or _NEVER, entry))
        listed.sort(key=lambda pair: pair[0])
        for _stamp, entry in listed:
            if not self.plan.needs_zone:
                return
            done[entry.id] = self.pool.submit(self._calibration_read, entry)
            concurrent.futures.wait([done[entry.id]])

    def _calibration_read(self, entry: nova.Server) -> model.Refcode:
        try:
            return read_listed(self.client, entry, self.plan)
        except BaseException:
            self.plan.calibrated(None)
            raise
