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

"""How old a listed code is, by PowerVC's clock.

PowerVC writes ``powervc:vm_refcode_query_ts`` in its own local time, with
no zone, and its zone is not known. Every HTTP answer carries a ``Date``
header in UTC, by PowerVC's clock. A metadata GET makes PowerVC ask the
hypervisor and stamp the code at once, so the ``Date`` of that answer minus
its query time is PowerVC's UTC offset, plus the second or so the query
took: rounded to the quarter hour (every zone's offset is a multiple of
15 minutes), it is the zone (:func:`zone_offset`). With it, a listed code's
age is the listing's ``Date`` minus its query time read in that zone
(:class:`Freshness`). Nothing here reads this machine's clock or assumes
UTC. (No I/O here.)
"""

from __future__ import annotations

import datetime
import email.utils
import typing as ty

#: Zones are whole quarter hours from UTC.
ZONE_STEP = datetime.timedelta(minutes=15)
#: A just-stamped query time is at most this far from a quarter hour off
#: the answer's ``Date`` (else it was not just stamped: not calibrated).
CALIBRATION_SLACK = datetime.timedelta(minutes=2)
#: The zones in use: UTC-12 to UTC+14.
ZONE_RANGE = (datetime.timedelta(hours=-12), datetime.timedelta(hours=14))
#: A listed query time up to this far after the listing's ``Date`` is
#: clock jitter; further, the zone is wrong (the code is read fresh).
FUTURE_SLACK = datetime.timedelta(minutes=2)


def parse_http_date(value: ty.Any) -> datetime.datetime | None:
    """An HTTP ``Date`` header as an aware UTC datetime, else None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc)


def zone_offset(date: datetime.datetime | None,
                queried_at: datetime.datetime | None,
                ) -> datetime.timedelta | None:
    """PowerVC's UTC offset from a just-stamped query time, else None.

    :param date: the aware ``Date`` of the answer that carried the code.
    :param queried_at: its naive query time (PowerVC's local time).
    :returns: ``queried_at - date`` rounded to the quarter hour, when the
        difference is within :data:`CALIBRATION_SLACK` of it and in
        :data:`ZONE_RANGE` (a query time that was not just stamped, such
        as that of a code PowerVC could not refresh, gives None).
    """
    if date is None or queried_at is None:
        return None
    local_now = date.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    difference = queried_at - local_now
    steps = round(difference / ZONE_STEP)
    offset = steps * ZONE_STEP
    if abs(difference - offset) > CALIBRATION_SLACK:
        return None
    if not ZONE_RANGE[0] <= offset <= ZONE_RANGE[1]:
        return None
    return offset


def offset_text(offset: datetime.timedelta) -> str:
    """``UTC+05:30``, ``UTC-04:00``, ``UTC``."""
    minutes = int(offset.total_seconds() // 60)
    if not minutes:
        return 'UTC'
    sign = '+' if minutes > 0 else '-'
    return 'UTC%s%02d:%02d' % (sign, abs(minutes) // 60, abs(minutes) % 60)


class Freshness:
    """Which listed codes are recent enough to show without a GET.

    :param max_age: seconds; a code stamped at most this long before
        ``now`` is fresh (0: none is).
    :param offset: PowerVC's UTC offset (:func:`zone_offset`).
    :param now: PowerVC's time of the listing (the aware ``Date`` of the
        page that listed the code).
    """

    def __init__(self, max_age: float, offset: datetime.timedelta,
                 now: datetime.datetime) -> None:
        self.max_age = datetime.timedelta(seconds=max(0.0, max_age))
        self.offset = offset
        self.now = now.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        #: Whether a query time came from the future: the zone is wrong.
        self.future_seen = False

    def age(self, queried_at: datetime.datetime) -> datetime.timedelta:
        """How long before the listing the code was stamped."""
        return self.now - (queried_at - self.offset)

    def is_fresh(self, queried_at: datetime.datetime | None) -> bool:
        """Whether a code stamped at ``queried_at`` needs no new GET."""
        if queried_at is None or not self.max_age:
            return False
        age = self.age(queried_at)
        if age < -FUTURE_SLACK:
            self.future_seen = True
            return False
        return age <= self.max_age


class ReadPlan:
    """Which listed codes of one listing are read fresh.

    :param max_age: seconds (0: every code is read, as before).
    :param offset: PowerVC's UTC offset, if known (else it is calibrated
        by the first read, see :attr:`needs_zone`).
    :param refresh: for a code older than ``max_age``, whether to read it
        now (default: always); the exporter spreads steady servers over
        cycles with it.
    """

    #: Reads that may try to calibrate the zone before max-age gives up.
    CALIBRATION_TRIES = 3

    def __init__(self, max_age: float,
                 offset: datetime.timedelta | None = None,
                 refresh: ty.Callable[[ty.Any], bool] | None = None) -> None:
        self.max_age = max(0.0, float(max_age or 0))
        self.offset = offset
        self.refresh = refresh
        self.tries = 0
        #: Listing pages seen.
        self.pages = 0
        self.future_seen = False
        self._check: Freshness | None = None
        self._date: datetime.datetime | None = None

    @property
    def needs_zone(self) -> bool:
        """Whether the next read should calibrate PowerVC's zone first.

        Not when the listing has no ``Date``: then no code can be judged
        recent, and every one is read.
        """
        return (self.max_age > 0 and self.offset is None and
                self._date is not None and
                self.tries < self.CALIBRATION_TRIES)

    def page(self, date: str | None) -> None:
        """A listing page arrived with this ``Date`` header."""
        self._date = parse_http_date(date)
        self._check = None
        self.pages += 1

    def calibrated(self, offset: datetime.timedelta | None) -> None:
        """One calibration try; ``offset`` None when it told nothing."""
        self.tries += 1
        if offset is not None:
            self.offset = offset
            self._check = None

    def wants(self, row: ty.Any) -> bool:
        """Whether the listed ``row`` (a Refcode) must be read fresh."""
        if not self.max_age:
            return True
        check = self._freshness()
        if check is not None and check.is_fresh(row.queried_at):
            return False
        self.future_seen = self.future_seen or bool(
            check and check.future_seen)
        return self.refresh is None or bool(self.refresh(row))

    def _freshness(self) -> Freshness | None:
        if self._check is None and None not in (self.offset, self._date):
            self._check = Freshness(self.max_age, ty.cast(
                datetime.timedelta, self.offset), ty.cast(
                datetime.datetime, self._date))
        return self._check
