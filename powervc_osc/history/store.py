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

"""The local history of reference codes: one SQLite row per change.

PowerVC keeps only a server's latest code. :class:`HistoryStore` keeps what
a poller (the exporter) saw change, keyed by cloud and server ID, so that
``openstack server refcode history`` can answer "since when?". It uses only
the standard library: WAL journaling, one transaction per poll cycle, a
schema version in ``PRAGMA user_version`` and a list of migration steps.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
import re
import sqlite3
import threading
import time
import typing as ty

from powervc_osc import exceptions
from powervc_osc.history import files
from powervc_osc.history import rows
from powervc_osc import utc

if ty.TYPE_CHECKING:
    from powervc_osc import model

LOG = logging.getLogger(__name__)

#: Seconds a writer waits for another writer before the file counts as
#: locked.
BUSY_TIMEOUT = 5.0

#: Successful polls in a row that did not list a server, after which the
#: server leaves the store's ``latest`` table (its rows stay until
#: retention deletes them).
FORGET_AFTER_POLLS = 3

#: The schema, one step per version: ``MIGRATIONS[n]`` turns a version-n
#: file into a version n+1 file. Append steps; never edit a released one.
MIGRATIONS: list[tuple[str, ...]] = [
    (
        # Every change of a server's refcode or LED text, oldest first.
        # observed_at: Unix seconds (UTC) when the poller saw the change;
        # queried_at: PowerVC's query time, ISO 8601 without a zone.
        '''CREATE TABLE changes (
               id INTEGER PRIMARY KEY,
               cloud TEXT NOT NULL,
               server_id TEXT NOT NULL,
               server_name TEXT,
               refcode TEXT,
               led_code TEXT,
               category TEXT NOT NULL,
               queried_at TEXT,
               observed_at REAL NOT NULL)''',
        'CREATE INDEX changes_by_server ON changes (server_id, observed_at)',
        'CREATE INDEX changes_by_name ON changes (server_name, observed_at)',
        'CREATE INDEX changes_by_time ON changes (observed_at)',
        # Each server's newest change, so a cycle compares against one row
        # per server instead of scanning the history.
        '''CREATE TABLE latest (
               cloud TEXT NOT NULL,
               server_id TEXT NOT NULL,
               change_id INTEGER NOT NULL REFERENCES changes (id),
               PRIMARY KEY (cloud, server_id)) WITHOUT ROWID''',
    ),
    (
        # Polls in a row that did not list the server (deleted, or out of
        # the exporter's filters); at FORGET_AFTER_POLLS it leaves latest.
        'ALTER TABLE latest ADD COLUMN missed INTEGER NOT NULL DEFAULT 0',
        # When the code or LED text took its current value: a rename or a
        # category change alone (collection off: stale) writes a row but
        # does not move it. NULL: the latest row's observed_at.
        'ALTER TABLE latest ADD COLUMN code_since REAL',
    ),
]

# A Change, in field order (Change.from_row reads rows of this shape).
_SELECT_CHANGES = ('SELECT id, cloud, server_id, server_name, refcode, '
                   'led_code, category, queried_at, observed_at FROM changes')
# The servers recorded under an ID, then under a name (cloud: NULL = any).
_SERVERS_BY = (
    'SELECT DISTINCT cloud, server_id FROM changes WHERE server_id = :name '
    'AND (:cloud IS NULL OR cloud = :cloud) ORDER BY cloud, server_id',
    'SELECT DISTINCT cloud, server_id FROM changes WHERE server_name = :name '
    'AND (:cloud IS NULL OR cloud = :cloud) ORDER BY cloud, server_id')
_INSERT_CHANGE = ('INSERT INTO changes (cloud, server_id, server_name, '
                  'refcode, led_code, category, queried_at, observed_at) '
                  'VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
_SET_LATEST = ('INSERT INTO latest (cloud, server_id, change_id, '
               'code_since) VALUES (?, ?, ?, ?) ON CONFLICT (cloud, '
               'server_id) DO UPDATE SET change_id = excluded.change_id, '
               'code_since = excluded.code_since, missed = 0')
# Each server's latest change (a Change row), missed polls, code since.
_SELECT_LATEST = ('SELECT c.id, c.cloud, c.server_id, c.server_name, '
                  'c.refcode, c.led_code, c.category, c.queried_at, '
                  'c.observed_at, l.missed, COALESCE(l.code_since, '
                  'c.observed_at) FROM latest l JOIN changes c ON '
                  'c.id = l.change_id WHERE l.cloud = ?')
#: The largest integer SQLite stores (a LIMIT beyond it is an error).
SQLITE_MAX_INT = 2 ** 63 - 1
_NUMBER = re.compile(r'^[0-9]+(?:\.[0-9]*)?$')
_DURATION = re.compile(r'([0-9]+(?:\.[0-9]*)?)([smhdw])')
_UNITS = {'s': 1, 'm': 60, 'h': 3600, 'd': 86400, 'w': 604800}


def schema_version() -> int:
    """The schema version this code writes (the number of migrations)."""
    return len(MIGRATIONS)


def default_path() -> str:
    """``$XDG_STATE_HOME/powervc-osc/history.sqlite3``.

    ``XDG_STATE_HOME`` defaults to ``~/.local/state``; a relative value is
    ignored, as the XDG Base Directory specification says.
    """
    state = os.environ.get('XDG_STATE_HOME', '')
    if not os.path.isabs(state):
        state = os.path.join(os.path.expanduser('~'), '.local', 'state')
    return os.path.join(state, 'powervc-osc', 'history.sqlite3')


def parse_duration(text: str) -> datetime.timedelta:
    """Parse ``90`` (seconds), ``90s``, ``30m``, ``2h``, ``7d``, ``1h30m``.

    :raises ValueError: with a message naming ``text``.
    """
    value = text.strip().lower()
    if _NUMBER.match(value):
        value += 's'
    parts = _DURATION.findall(value)
    if not parts or ''.join(n + u for n, u in parts) != value:
        raise ValueError('%r is not a duration such as 30m, 2h or 7d' % text)
    seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    if not seconds > 0:
        raise ValueError('%r must be longer than 0' % text)
    try:
        return datetime.timedelta(seconds=seconds)
    except OverflowError:
        raise ValueError('%r is too long' % text)


def parse_since(text: str,
                now: datetime.datetime | None = None) -> datetime.datetime:
    """A point in time from a duration ago (``2h``) or an ISO 8601 time.

    An ISO time without a zone is read as UTC, the zone of ``Observed At``.
    A bare number is neither: ``20260229`` could be a date or seconds.

    :raises ValueError: with a message naming ``text``.
    """
    try:
        stamp = datetime.datetime.fromisoformat(text.strip())
    except ValueError:
        pass
    else:
        return utc.as_utc(stamp)
    if _NUMBER.match(text.strip()):
        raise ValueError('%r has no unit: write %ss for seconds ago, or a '
                         'date such as 2026-11-27' % (text, text.strip()))
    try:
        ago = parse_duration(text)
    except ValueError:
        raise ValueError('%r is neither a duration such as 30m, 2h or 7d nor '
                         'an ISO 8601 time such as 2026-11-27T08:00' % text)
    now = now or datetime.datetime.now(datetime.timezone.utc)
    try:
        return now - ago
    except OverflowError:
        raise ValueError('%r reaches back too far' % text)


class HistoryError(exceptions.RefcodeError):
    """The history file cannot be used; the message names the file."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__('History store %s: %s' % (path, problem))
        self.path = path


class HistoryNotFound(HistoryError):
    """A read-only open found no history file: nothing was recorded yet."""

    def __init__(self, path: str) -> None:
        super().__init__(path, 'does not exist; nothing has been recorded '
                         'there (powervc-osc-exporter records it)')


class HistoryStore:
    """The SQLite history of reference-code changes.

    Safe to share between threads: one connection, used under a lock.

    :param path: the file (``~`` is expanded); default
        :func:`default_path`. A writable store refuses a symbolic link
        and another program's database, creates missing folders 0700 and
        the file 0600, and takes away any permission beyond 0600 from an
        existing store and its ``-wal`` and ``-shm`` files (and beyond
        0700 from the folder of :func:`default_path`); it never adds one.
        A read-only store changes nothing, and needs no write access to
        the folder.
    :param readonly: open without creating or migrating anything; a missing
        file raises :class:`HistoryNotFound`.
    :param clock: returns Unix seconds; stamps ``observed_at``.
    :param timeout: seconds to wait for another writer's lock.
    :raises HistoryError: the file is locked, corrupt, unreadable, not a
        powervc-osc store, a link, or from a newer version of powervc-osc.
    """

    def __init__(self, path: str | None = None, readonly: bool = False,
                 clock: ty.Callable[[], float] = time.time,
                 timeout: float = BUSY_TIMEOUT) -> None:
        self.path = os.path.expanduser(path) if path else default_path()
        self.readonly = readonly
        self._clock = clock
        self._lock = threading.Lock()
        self._reported: set[ty.Any] = set()
        if readonly and not os.path.exists(self.path):
            raise HistoryNotFound(self.path)
        owned = os.path.dirname(os.path.abspath(default_path()))
        with self._file_errors():
            self._db, version = files.connect(
                self.path, readonly, timeout, schema_version(), owned)
        if not readonly and version < schema_version():
            try:
                self._migrate()
            except BaseException:
                self._db.close()
                raise

    def _migrate(self) -> None:
        """Run the missing migration steps in one transaction."""
        with self._transaction() as db:
            # Read again under the write lock: another process may have
            # migrated meanwhile.
            version = db.execute('PRAGMA user_version').fetchone()[0]
            for steps in MIGRATIONS[version:]:
                for statement in steps:
                    db.execute(statement)
            # PRAGMA takes no parameters; the value is an int we computed.
            db.execute('PRAGMA user_version = %d' % schema_version())

    @contextlib.contextmanager
    def _errors(self) -> ty.Iterator[None]:
        """Turn sqlite3 errors into a one-line :class:`HistoryError`."""
        try:
            yield
        except sqlite3.Error as exc:
            raise HistoryError(self.path, files.describe(exc)) from exc

    @contextlib.contextmanager
    def _file_errors(self) -> ty.Iterator[None]:
        """Turn a file problem into a :class:`HistoryError` naming it."""
        try:
            yield
        except files.FileProblem as exc:
            problem = exc.problem
            if exc.path != self.path:
                problem = '%s %s' % (exc.path, problem)
            raise HistoryError(self.path, problem) from exc

    @contextlib.contextmanager
    def _transaction(self) -> ty.Iterator[sqlite3.Connection]:
        """One write transaction under the lock: all of it or nothing."""
        with self._lock, self._errors():
            self._db.execute('BEGIN IMMEDIATE')
            try:
                yield self._db
            except BaseException:
                # SQLite may have rolled back already (disk I/O errors).
                if self._db.in_transaction:
                    self._db.execute('ROLLBACK')
                raise
            self._db.execute('COMMIT')

    def _empty(self) -> bool:
        """True for a file that has no schema yet (read-only opens)."""
        version = self._db.execute('PRAGMA user_version').fetchone()[0]
        return version == 0

    def record(self, cloud: str, refcodes: ty.Iterable[model.Refcode],
               category: ty.Callable[[model.Refcode], str]) -> int:
        """Record what changed for these servers; return rows written.

        As :meth:`record_cycle` for a part of the fleet: a server not in
        ``refcodes`` is not counted as missing.
        """
        return self.record_cycle(cloud, refcodes, category,
                                 complete=False).written

    def record_cycle(self, cloud: str, refcodes: ty.Iterable[model.Refcode],
                     category: ty.Callable[[model.Refcode], str],
                     keep: ty.Collection[str] = (),
                     complete: bool = True) -> rows.Cycle:
        """Record one poll of ``cloud``: what changed, and who is gone.

        A row is written for a server whose refcode, LED text, category
        (``stale`` when collection was turned off) or name differs from
        its last recorded row, or that has none yet and reports a code; a
        changed query time alone is no change. With ``complete``, the
        servers neither in ``refcodes`` nor in ``keep`` (those whose read
        failed) count as missing, and leave ``latest`` after
        :data:`FORGET_AFTER_POLLS` polls in a row. Everything is one
        transaction: an error or a crash part-way writes nothing of this
        call, and never touches earlier rows.

        :param category: the category to store for a Refcode.
        """
        self._check_writable()
        written, times, bad = 0, {}, []
        with self._transaction() as db:
            latest = {row[2]: row for row in db.execute(
                _SELECT_LATEST, (cloud,))}
            observed = self._clock()
            seen = set(keep)
            for rc in refcodes:
                seen.add(rc.server_id)
                now = (rc.server_name, rc.refcode, rc.led_code,
                       str(category(rc)))
                before = latest.get(rc.server_id)
                if before is None and rc.observation == (None, None):
                    continue
                if before is None or tuple(before[3:7]) != now:
                    since = rows.code_since(before, rc, observed)
                    self._insert(cloud, rc, now[3], observed, since)
                    latest[rc.server_id] = (None, cloud, rc.server_id) + (
                        now + (None, observed, 0, since))
                    written += 1
            for server_id in seen & latest.keys():
                try:
                    times[server_id] = rows.observed_time(
                        latest[server_id][10])
                except rows.BadRow as exc:
                    bad.append(self._bad_row(latest[server_id], exc))
            forgotten = (self._count_missing(db, cloud, latest, seen)
                         if complete else 0)
        return rows.Cycle(written, times, bad, forgotten)

    def _insert(self, cloud: str, rc: model.Refcode, category: str,
                observed: float, since: float) -> None:
        queried = rc.queried_at.isoformat() if rc.queried_at else None
        cursor = self._db.execute(_INSERT_CHANGE, (
            cloud, rc.server_id, rc.server_name, rc.refcode, rc.led_code,
            category, queried, observed))
        self._db.execute(_SET_LATEST, (cloud, rc.server_id, cursor.lastrowid,
                                       since))

    @staticmethod
    def _count_missing(db: sqlite3.Connection, cloud: str,
                       latest: dict[str, ty.Sequence[ty.Any]],
                       seen: set[str]) -> int:
        """Count a poll missed by each server not seen; forget the gone."""
        missing = [(cloud, sid) for sid in latest.keys() - seen]
        back = [(cloud, sid) for sid in seen & latest.keys()
                if latest[sid][9]]
        db.executemany('UPDATE latest SET missed = 0 WHERE cloud = ? AND '
                       'server_id = ?', back)
        db.executemany('UPDATE latest SET missed = missed + 1 WHERE cloud = '
                       '? AND server_id = ?', missing)
        return db.execute('DELETE FROM latest WHERE cloud = ? AND missed >= '
                          '?', (cloud, FORGET_AFTER_POLLS)).rowcount

    def _bad_row(self, row: ty.Sequence[ty.Any], exc: Exception) -> str:
        """One line naming the store, the row and what is wrong with it."""
        return 'History store %s: row %s (cloud %s, server %s) skipped: %s' % (
            self.path, row[0], rows.shown(row[1]),
            rows.shown(row[2]), exc)

    def _read_changes(self, found: ty.Iterable[ty.Sequence[ty.Any]],
                      ) -> list[rows.Change]:
        """Changes from rows; a row that cannot be read is logged once.

        A row without a time is left out; one whose query time is not a
        time is kept without it.
        """
        changes = []
        for row in found:
            try:
                changes.append(rows.Change.from_row(row))
            except rows.BadRow as exc:
                if row[0] not in self._reported:
                    self._reported.add(row[0])
                    LOG.warning('%s', self._bad_row(row, exc))
                if exc.column == 'queried_at':
                    # Only PowerVC's query time is lost: keep the change.
                    changes.append(rows.Change.from_row(
                        tuple(row[:7]) + (None,) + tuple(row[8:])))
        return changes

    def last_changed(self, cloud: str) -> dict[str, rows.Change]:
        """Each server's latest change in ``cloud``, by server ID.

        A row that cannot be read is left out and logged (once).
        """
        with self._lock, self._errors():
            if self._empty():
                return {}
            found = self._db.execute(_SELECT_LATEST, (cloud,)).fetchall()
        return {c.server_id: c for c in self._read_changes(found)}

    def changes(self, server: str | None = None, cloud: str | None = None,
                since: datetime.datetime | None = None,
                limit: int | None = None,
                server_id: str | None = None,
                until: datetime.datetime | None = None,
                ) -> list[rows.Change]:
        """Recorded changes, newest first.

        A row that cannot be read is left out and logged (once).

        :param server: only this server: its ID, or a name it was recorded
            under (matched exactly).
        :param server_id: only the server with this ID (never a name).
        :param since: only changes observed at or after this time (a naive
            time is read as UTC).
        :param limit: at most this many (up to :data:`SQLITE_MAX_INT`).
        :param until: only changes observed at or before this time.
        """
        where, params = _filters(server, cloud)
        if server_id is not None:
            where.append('server_id = ?')
            params.append(server_id)
        if since is not None:
            since = utc.as_utc(since)
            where.append('observed_at >= ?')
            params.append(since.timestamp())
        if until is not None:
            where.append('observed_at <= ?')
            params.append(utc.as_utc(until).timestamp())
        sql = _SELECT_CHANGES
        if where:
            sql += ' WHERE ' + ' AND '.join(where)
        sql += ' ORDER BY observed_at DESC, id DESC'
        if limit is not None:
            if not 0 <= limit <= SQLITE_MAX_INT:
                raise ValueError('limit %d is out of range' % limit)
            sql += ' LIMIT ?'
            params.append(int(limit))
        with self._lock, self._errors():
            if self._empty():
                return []
            found = self._db.execute(sql, params).fetchall()
        return self._read_changes(found)

    def servers(self, server: str,
                cloud: str | None = None) -> list[tuple[str, str]]:
        """``(cloud, server ID)`` of each server recorded as ``server``.

        A server whose ID is ``server`` is the answer, even when another
        one was named so. Otherwise each server recorded under the name
        ``server`` (more than one: the name is ambiguous).
        """
        with self._lock, self._errors():
            if self._empty():
                return []
            found = []
            for sql in _SERVERS_BY:
                found = self._db.execute(
                    sql, {'name': server, 'cloud': cloud}).fetchall()
                if found:
                    break
        return [(row[0], row[1]) for row in found]

    def prune(self, older_than: datetime.timedelta) -> int:
        """Delete changes older than that, except each server's latest one.

        A server that left ``latest`` (gone from the polls) keeps no row.

        :returns: the number of rows deleted.
        """
        self._check_writable()
        cutoff = self._clock() - older_than.total_seconds()
        with self._transaction() as db:
            cursor = db.execute(
                'DELETE FROM changes WHERE observed_at < ? AND id NOT IN '
                '(SELECT change_id FROM latest)', (cutoff,))
        return cursor.rowcount

    def _check_writable(self) -> None:
        if self.readonly:
            raise HistoryError(self.path, 'was opened read-only')

    def close(self) -> None:
        """Close the file (WAL content is checkpointed by SQLite)."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc_info: ty.Any) -> None:
        self.close()


def _filters(server: str | None,
             cloud: str | None) -> tuple[list[str], list[ty.Any]]:
    """WHERE conditions (constant text) and their bound parameters."""
    where: list[str] = []
    params: list[ty.Any] = []
    if server is not None:
        where.append('(server_id = ? OR server_name = ?)')
        params += [server, server]
    if cloud is not None:
        where.append('cloud = ?')
        params.append(cloud)
    return where, params
