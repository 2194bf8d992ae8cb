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

"""The fleet page: its files, and its data as JSON (``/api/fleet``).

The data are the :class:`~.state.Board` the metrics are rendered from:
the page never calls PowerVC.  :meth:`FleetView.render` builds the
document once per poll (beside the metrics), plain and gzip; a request
copies bytes (the page reads the time from the answer's ``Date``).
``/api/history`` reads the history store (``--history``).  The page
(``static/``) inserts every value as text.
"""

from __future__ import annotations

import gzip
import importlib.resources
import json
import threading
import time
import typing as ty

from powervc_osc.exporter import state

if ty.TYPE_CHECKING:
    from powervc_osc.exporter import changes as changes_mod
    from powervc_osc import model

#: The categories in the page's order: those the alert rules raise on
#: (error, attention), then progress, the others, running last.
ORDER = ('error', 'attention', 'progress', 'unknown', 'stale',
         'informational', 'off', 'running')
_RANK = {category: rank for rank, category in enumerate(ORDER)}
JSON_TYPE = 'application/json'
#: The page's files (package data under ``static/``): path, type, file.
FILES = {
    '/': ('text/html; charset=utf-8', 'fleet.html'),
    '/static/fleet.js': ('text/javascript; charset=utf-8', 'fleet.js'),
    '/static/fleet.css': ('text/css; charset=utf-8', 'fleet.css'),
}
#: Changes of one server that ``/api/history`` returns at most.
HISTORY_LIMIT = 50
#: Seconds between two refreshes of the page: the poll interval, within.
REFRESH_BOUNDS = (2.0, 30.0)
GZIP_LEVEL = 6


def read_file(name: str) -> bytes:
    """One of the page's files, from the installed package."""
    return (importlib.resources.files('powervc_osc.exporter')
            .joinpath('static').joinpath(name).read_bytes())


class _Meanings:
    """``refcode explain``'s meaning, looked up once per code and text."""

    def __init__(self) -> None:
        self._known: dict[tuple[ty.Any, ...], str] = {}

    def __call__(self, rc: model.Refcode) -> str:
        key = (rc.refcode, rc.led_code, rc.required)
        if key not in self._known:
            self._known[key] = rc.explanation.meaning
        return self._known[key]


def server_entry(cloud: state.CloudState, server: state.ServerState,
                 meaning: ty.Callable[[model.Refcode], str],
                 ) -> dict[str, ty.Any]:
    """One server of ``/api/fleet`` (times are Unix seconds or null)."""
    rc = server.row
    return {
        'cloud': cloud.cloud, 'id': rc.server_id, 'name': rc.server_name,
        'project': rc.project_id, 'host': rc.host, 'status': rc.status,
        'refcode': rc.refcode, 'led_code': rc.led_code,
        'category': server.category, 'meaning': meaning(rc),
        'since': server.changed_at,
        'read_at': state.unix_time(rc.queried_at, cloud.zone_offset),
    }


def _order(entry: dict[str, ty.Any]) -> tuple[ty.Any, ...]:
    """Category first; within one, the longest at its code first."""
    since = entry['since']
    return (_RANK.get(entry['category'], len(ORDER)),
            float('inf') if since is None else since,
            entry['name'] or '', entry['id'])


def document(clouds: ty.Sequence[state.CloudState],
             history: bool = False, refresh: float = 10.0,
             generated_at: float | None = None) -> dict[str, ty.Any]:
    """The data of ``/api/fleet``."""
    meaning = _Meanings()
    servers = sorted((server_entry(cloud, server, meaning)
                      for cloud in clouds for server in cloud.servers),
                     key=_order)
    counts = dict.fromkeys(ORDER, 0)
    for entry in servers:
        counts[entry['category']] = counts.get(entry['category'], 0) + 1
    return {
        'clouds': [{'name': c.cloud, 'up': c.up, 'reason': c.reason,
                    'last_success': c.last_success, 'duration': c.duration,
                    'failures': c.failures, 'server_errors': c.server_errors,
                    'servers': len(c.servers)} for c in clouds],
        'counts': counts, 'order': list(ORDER), 'history': history,
        'refresh': refresh, 'generated_at': generated_at,
        'servers': servers,
    }


def timeline(changes: ty.Sequence[ty.Any], now: float) -> dict[str, ty.Any]:
    """The data of ``/api/history``: oldest change first, with durations.

    :param changes: :class:`~powervc_osc.history.Change` objects, newest
        first (as the store returns them).
    """
    meaning = _Meanings()
    entries: list[dict[str, ty.Any]] = []
    ends = [now]
    for change in changes:       # newest first: each ends the one before
        at = change.observed_at.timestamp()
        entries.append({
            'at': at, 'until': None if len(entries) == 0 else ends[-1],
            'seconds': max(0.0, ends[-1] - at), 'cloud': change.cloud,
            'name': change.server_name, 'refcode': change.refcode,
            'led_code': change.led_code, 'category': change.category,
            'meaning': meaning(change.row)})
        ends.append(at)
    entries.reverse()
    return {'now': now, 'changes': entries}


class FleetView:
    """The page's files and JSON, rendered once per poll.

    :param board: the board the metrics are rendered from.
    :param changes: the change tracker; a
        :class:`~.changes.HistoryChanges` (``--history``) answers
        ``/api/history``.
    :param interval: the poll interval (sets the page's refresh).
    :param clock: returns Unix seconds (``generated_at``, and the
        ``now`` of ``/api/history``).
    """

    def __init__(self, board: state.Board,
                 changes: changes_mod.ChangeTracker | None = None,
                 interval: float = 60.0,
                 clock: ty.Callable[[], float] = time.time) -> None:
        self._board = board
        #: The tracker that has a store (``--history``), else None.
        self._store = changes if hasattr(changes, 'recent') else None
        low, high = REFRESH_BOUNDS
        self.refresh = min(max(interval, low), high)
        self._clock = clock
        self._lock = threading.Lock()
        self.files = {path: (ctype, read_file(name))
                      for path, (ctype, name) in FILES.items()}
        self._body = self._gzipped = b''
        self.render()

    @property
    def history(self) -> bool:
        """Whether ``/api/history`` has a store to read."""
        return self._store is not None

    def render(self) -> None:
        """Build the document of the board now (after every poll)."""
        body = json.dumps(document(self._board.states(), self.history,
                                   self.refresh, self._clock()),
                          separators=(',', ':')).encode('utf-8')
        gzipped = gzip.compress(body, GZIP_LEVEL)
        with self._lock:
            self._body, self._gzipped = body, gzipped

    def fleet(self, compressed: bool = False) -> list[bytes]:
        """The body of ``/api/fleet``: the last render.

        One gzip member: browsers read no more than one.
        """
        with self._lock:
            return [self._gzipped if compressed else self._body]

    def server_history(self, server_id: str,
                       cloud: str | None = None) -> bytes | None:
        """The body of ``/api/history?server=ID[&cloud=NAME]``.

        None without a store. Reads the store: call it off the event loop.
        """
        if self._store is None:
            return None
        changes = self._store.recent(server_id, HISTORY_LIMIT, cloud)
        document = timeline(changes, self._clock())
        document['server'] = server_id
        if cloud is not None:
            document['cloud'] = cloud
        return json.dumps(document, separators=(',', ':')).encode('utf-8')
