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


"""The fields of ``show`` and the columns of ``list``."""

from __future__ import annotations

import typing as ty

if ty.TYPE_CHECKING:
    from powervc_osc import model


#: ``show`` fields, in order: the pinned six, then what the code means.
SHOW_FIELDS = ('id', 'name', 'refcode', 'led_code', 'queried_at', 'required',
               'category', 'meaning')
#: Column label of each field (``list``, ``--watch`` headers).
FIELD_LABELS = dict(zip(SHOW_FIELDS, (
    'ID', 'Name', 'Refcode', 'LED Code', 'Queried At', 'Required',
    'Category', 'Meaning')))
#: ``list`` columns: every field but ``meaning``, which ``--long`` adds
#: after ``LONG_COLUMNS``.
LIST_COLUMNS = tuple(FIELD_LABELS[f] for f in SHOW_FIELDS[:-1])
LONG_COLUMNS = ('Host', 'Status', FIELD_LABELS['meaning'])


def show_values(rc: model.Refcode) -> tuple[ty.Any, ...]:
    """The ``show`` fields of a Refcode, typed for every cliff formatter."""
    explanation = rc.explanation
    return (rc.server_id, rc.server_name, rc.refcode, rc.led_code,
            rc.queried_at_text, rc.required, explanation.category,
            explanation.meaning)


def list_values(rc: model.Refcode, long: bool) -> tuple[ty.Any, ...]:
    """A ``list`` row: :data:`LIST_COLUMNS`, plus :data:`LONG_COLUMNS`."""
    *row, meaning = show_values(rc)
    return tuple(row) + ((rc.host, rc.status, meaning) if long else ())
