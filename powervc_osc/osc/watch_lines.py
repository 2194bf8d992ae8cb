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


"""``--watch`` rows as text lines (cliff draws whole tables only)."""

from __future__ import annotations

import typing as ty

from powervc_osc.osc import fields

if ty.TYPE_CHECKING:
    from powervc_osc import model


#: Fields of a ``--watch`` row in the table format when no ``-c`` is given.
WATCH_COLUMNS = ('queried_at', 'refcode', 'required', 'led_code', 'category')
#: Width of a ``--watch`` table column (at least its label's).
_WATCH_WIDTHS = {'queried_at': 26, 'led_code': 20, 'category': 13}


class WatchLines:
    """``--watch`` rows as text lines, for the ``table`` and ``value`` formats.

    cliff's formatters draw a whole table at the end, which a watch never
    reaches: ``table`` is one aligned line per change under a header
    written once, ``value`` one line of space-separated values per change.
    Absent values are ``-``.
    """

    def __init__(self, formatter: str, columns: ty.Sequence[str]) -> None:
        self.table = formatter == 'table'
        self.names = [c for c in columns if c in fields.SHOW_FIELDS]
        if not self.names:
            self.names = list(WATCH_COLUMNS if self.table
                              else fields.SHOW_FIELDS)
        self.widths = [max(len(n), _WATCH_WIDTHS.get(n, 10))
                       for n in self.names]
        self.header_written = False

    def lines(self, rc: model.Refcode) -> str:
        """The text for one change, header included the first time."""
        values = dict(zip(fields.SHOW_FIELDS, fields.show_values(rc)))
        cells = ['-' if values[n] is None else str(values[n])
                 for n in self.names]
        if not self.table:
            return ' '.join(cells) + '\n'
        text = self._aligned(cells)
        if not self.header_written:
            self.header_written = True
            labels = [fields.FIELD_LABELS[n] for n in self.names]
            text = self._aligned(labels) + text
        return text

    def _aligned(self, cells: ty.Sequence[str]) -> str:
        return '  '.join(c.ljust(w)
                         for c, w in zip(cells, self.widths)).rstrip() + '\n'
