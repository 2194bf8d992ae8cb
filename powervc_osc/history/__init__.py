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

"""The history of reference codes: what a poller saw change, kept in SQLite.

* :mod:`~powervc_osc.history.store`: :class:`HistoryStore`, its schema,
  migrations and queries, and the ``--since`` and duration parsers;
* :mod:`~powervc_osc.history.files`: the store's files: creating, checking
  and opening them safely;
* :mod:`~powervc_osc.history.rows`: :class:`Change` and :class:`Cycle`,
  what a row holds;
* :mod:`~powervc_osc.history.prometheus`: :class:`PrometheusHistory`,
  the same :class:`Change` rows read from Prometheus' query API (with
  :class:`Credentials` and :class:`PrometheusError`).

The names below are handed on from where they live and imported lazily,
so that ``from powervc_osc import history`` costs nothing (OSC imports the
command modules, which use it, on every command) and ``sqlite3`` is loaded
only when a store is used.
"""

from __future__ import annotations

import typing as ty

import powervc_osc

_EXPORTS = {
    **dict.fromkeys(('HistoryStore', 'HistoryError', 'HistoryNotFound',
                     'default_path', 'parse_duration', 'parse_since'),
                    'powervc_osc.history.store'),
    **dict.fromkeys(('Change', 'Cycle'), 'powervc_osc.history.rows'),
    **dict.fromkeys(('PrometheusHistory', 'PrometheusError', 'Credentials'),
                    'powervc_osc.history.prometheus'),
}

__all__ = sorted(_EXPORTS)

if ty.TYPE_CHECKING:
    from powervc_osc.history.prometheus import Credentials  # noqa: F401
    from powervc_osc.history.prometheus import PrometheusError  # noqa
    from powervc_osc.history.prometheus import PrometheusHistory  # noqa
    from powervc_osc.history.rows import Change  # noqa: F401
    from powervc_osc.history.rows import Cycle  # noqa: F401
    from powervc_osc.history.store import default_path  # noqa: F401
    from powervc_osc.history.store import HistoryError  # noqa: F401
    from powervc_osc.history.store import HistoryNotFound  # noqa: F401
    from powervc_osc.history.store import HistoryStore  # noqa: F401
    from powervc_osc.history.store import parse_duration  # noqa: F401
    from powervc_osc.history.store import parse_since  # noqa: F401


__getattr__ = powervc_osc.lazy_exports(__name__, _EXPORTS)
