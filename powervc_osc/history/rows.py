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

"""The rows of the history store, read defensively.

The file may have been edited by anyone: a value that is not what the
schema says is a :class:`BadRow` naming the column, and text is made
printable before anyone prints it.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
import typing as ty

from powervc_osc import model
from powervc_osc import text


class BadRow(ValueError):
    """A row of the store that cannot be read (the message says why)."""

    def __init__(self, column: str, problem: str) -> None:
        super().__init__('%s %s' % (column, problem))
        self.column = column


@dataclasses.dataclass(frozen=True)
class Change:
    """One recorded change of a server's code, LED text, category or name.

    :attr:`row` is the server's :class:`~powervc_osc.model.Refcode` as the
    poller saw it; ``server_id``, ``server_name``, ``refcode``,
    ``led_code`` and ``queried_at`` are read through to it (its
    ``required`` is false for a ``stale`` row, else true). Text read from
    the store is made printable (control characters replaced).
    """

    cloud: str
    row: model.Refcode
    category: str
    observed_at: datetime.datetime

    server_id = property(lambda self: self.row.server_id)
    server_name = property(lambda self: self.row.server_name)
    refcode = property(lambda self: self.row.refcode)
    led_code = property(lambda self: self.row.led_code)
    queried_at = property(lambda self: self.row.queried_at)

    @classmethod
    def from_row(cls, row: ty.Sequence[ty.Any]) -> Change:
        """A Change from a row of ``SELECT id, cloud, ... observed_at``.

        :raises BadRow: ``observed_at`` is not a time, or ``queried_at``
            is not an ISO 8601 time (the message names the column).
        """
        observed_at = datetime.datetime.fromtimestamp(
            observed_time(row[8]), datetime.timezone.utc)
        queried = row[7]
        try:
            queried_at = (datetime.datetime.fromisoformat(queried)
                          if queried is not None else None)
        except (TypeError, ValueError):
            raise BadRow('queried_at', '%s is not an ISO 8601 time'
                         % shown(queried))
        # Printable: the file may have been edited by anyone.
        cloud, server_id, name, code, led, category = [
            text.decode_text(value) for value in row[1:7]]
        return cls(cloud or '', model.Refcode(
            server_id or '', name, code, led, queried_at,
            required=category != 'stale'),
            category or '', observed_at)


def observed_time(value: ty.Any) -> float:
    """An ``observed_at`` value as Unix seconds.

    :raises BadRow: it is not a number, or not a time a
        :class:`~datetime.datetime` can hold.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadRow('observed_at', '%s is not a number' % shown(value))
    try:
        if not math.isfinite(value):
            raise ValueError(value)
        datetime.datetime.fromtimestamp(value, datetime.timezone.utc)
    except (ValueError, OverflowError, OSError):
        raise BadRow('observed_at', '%s is not a time' % shown(value))
    return float(value)


class Cycle(ty.NamedTuple):
    """What :meth:`HistoryStore.record_cycle` did."""

    #: Rows written (changes, first codes and renames).
    written: int
    #: Unix time each server's code last changed, by server ID (the
    #: servers polled, plus ``keep``), when it is known.
    changed_at: dict[str, float]
    #: One line for each row of the store that could not be read.
    bad_rows: list[str]
    #: Servers that left ``latest`` in this cycle.
    forgotten: int


def code_since(before: ty.Sequence[ty.Any] | None, rc: model.Refcode,
               observed: float) -> float:
    """When ``rc``'s code or LED text took its value (Unix seconds).

    ``observed``, unless only its name or category changed since
    ``before``, its row of ``SELECT`` from ``latest``.
    """
    if before is not None and tuple(before[4:6]) == rc.observation:
        try:
            return observed_time(before[10])
        except BadRow:
            pass
    return observed


def shown(value: ty.Any) -> str:
    """A value of a bad row, quoted and printable, for a message."""
    return repr(text.decode_text(value))
