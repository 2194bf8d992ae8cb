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
import os
import re
import sqlite3
import stat
import threading
import time
import typing as ty

from powervc_osc import exceptions
from powervc_osc import utc

if ty.TYPE_CHECKING:
    from powervc_osc import model

#: Seconds a writer waits for another writer before the file counts as
#: locked.
BUSY_TIMEOUT = 5.0

#: The widest permissions of the store's files (the database and SQLite's
#: ``-wal`` and ``-shm`` files beside it) and of the folders it owns.
FILE_MODE = 0o600
FOLDER_MODE = 0o700
_SIDE_FILES = ('-wal', '-shm')

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
]

# A Change, in field order (Change.from_row reads rows of this shape).
_SELECT_CHANGES = ('SELECT cloud, server_id, server_name, refcode, led_code, '
                   'category, queried_at, observed_at FROM changes')
_SELECT_SERVERS = 'SELECT DISTINCT cloud, server_id FROM changes'
_INSERT_CHANGE = ('INSERT INTO changes (cloud, server_id, server_name, '
                  'refcode, led_code, category, queried_at, observed_at) '
                  'VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
_SELECT_LATEST = ('SELECT c.cloud, c.server_id, c.server_name, c.refcode, '
                  'c.led_code, c.category, c.queried_at, c.observed_at '
                  'FROM latest l JOIN changes c ON c.id = l.change_id '
                  'WHERE l.cloud = ?')
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

    :raises ValueError: with a message naming ``text``.
    """
    try:
        stamp = datetime.datetime.fromisoformat(text.strip())
    except ValueError:
        pass
    else:
        return utc.as_utc(stamp)
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


class Change(ty.NamedTuple):
    """One recorded change of a server's reference code or LED text."""

    cloud: str
    server_id: str
    server_name: str | None
    refcode: str | None
    led_code: str | None
    category: str
    queried_at: datetime.datetime | None
    observed_at: datetime.datetime

    @classmethod
    def from_row(cls, row: ty.Sequence[ty.Any]) -> Change:
        queried = row[6]
        return cls(
            cloud=row[0], server_id=row[1], server_name=row[2],
            refcode=row[3], led_code=row[4], category=row[5],
            queried_at=(datetime.datetime.fromisoformat(queried)
                        if queried else None),
            observed_at=datetime.datetime.fromtimestamp(
                row[7], datetime.timezone.utc))


class HistoryStore:
    """The SQLite history of reference-code changes.

    Safe to share between threads: one connection, used under a lock.

    :param path: the file (``~`` is expanded); default
        :func:`default_path`. A writable store creates missing folders
        0700 and the file 0600, and takes away any permission beyond 0600
        from an existing file and its ``-wal`` and ``-shm`` files (and
        beyond 0700 from the folder of :func:`default_path`); it never
        adds one. A read-only store changes nothing.
    :param readonly: open without creating or migrating anything; a missing
        file raises :class:`HistoryNotFound`.
    :param clock: returns Unix seconds; stamps ``observed_at``.
    :param timeout: seconds to wait for another writer's lock.
    :raises HistoryError: the file is locked, corrupt, unreadable or from a
        newer version of powervc-osc.
    """

    def __init__(self, path: str | None = None, readonly: bool = False,
                 clock: ty.Callable[[], float] = time.time,
                 timeout: float = BUSY_TIMEOUT) -> None:
        self.path = os.path.expanduser(path) if path else default_path()
        self.readonly = readonly
        self._clock = clock
        self._lock = threading.Lock()
        if readonly and not os.path.exists(self.path):
            raise HistoryNotFound(self.path)
        if not readonly:
            self._create_file()
        self._db = self._connect(timeout)
        try:
            with self._errors():
                self._prepare()
        except BaseException:
            self._db.close()
            raise

    def _create_file(self) -> None:
        """Create the file private, or make an existing one private."""
        folder = os.path.dirname(os.path.abspath(self.path))
        try:
            _make_folders(folder)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, FILE_MODE)
        except OSError as exc:
            raise HistoryError(self.path, 'cannot be created: %s'
                               % (exc.strerror or exc))
        try:
            # A folder someone named with --history is theirs; the default
            # one is powervc-osc's own.
            if folder == os.path.dirname(os.path.abspath(default_path())):
                _tighten(folder, FOLDER_MODE)
            # Before SQLite opens them: it gives a new -wal or -shm file
            # the database file's mode.
            for target in [fd] + [self.path + s for s in _SIDE_FILES]:
                _tighten(target, FILE_MODE)
        except OSError as exc:
            raise HistoryError(self.path, 'cannot be made private (%s): %s'
                               % (exc.filename or self.path,
                                  exc.strerror or exc))
        finally:
            os.close(fd)

    def _connect(self, timeout: float) -> sqlite3.Connection:
        if self.readonly:
            target, uri = 'file:%s?mode=ro' % _uri_path(self.path), True
        else:
            target, uri = self.path, False
        try:
            # Transactions are explicit (BEGIN IMMEDIATE ... COMMIT).
            return sqlite3.connect(target, timeout=timeout, uri=uri,
                                   isolation_level=None,
                                   check_same_thread=False)
        except sqlite3.Error as exc:
            raise HistoryError(self.path, 'cannot be opened: %s' % exc)

    def _prepare(self) -> None:
        """Check the schema version; migrate and switch to WAL if writable."""
        version = self._db.execute('PRAGMA user_version').fetchone()[0]
        if version > schema_version():
            raise HistoryError(self.path, (
                'was written by a newer powervc-osc (schema version %d; this '
                'one knows up to %d): upgrade powervc-osc'
                % (version, schema_version())))
        if self.readonly:
            if 0 < version < schema_version():
                raise HistoryError(self.path, (
                    'has schema version %d and needs an upgrade to %d; '
                    'run powervc-osc-exporter once to upgrade it'
                    % (version, schema_version())))
            return
        mode = self._db.execute('PRAGMA journal_mode=WAL').fetchone()[0]
        if mode.lower() != 'wal':
            raise HistoryError(self.path, 'cannot use WAL journaling (%s)'
                               % mode)
        if version < schema_version():
            self._migrate()

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
            raise HistoryError(self.path, _problem(exc)) from exc

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
        """Record what changed in one poll of ``cloud``; return rows written.

        A row is written for a server whose refcode or LED text differs
        from its last recorded row (or that has none yet and reports a
        code); a changed query time alone is no change. Everything is one
        transaction: an error or a crash part-way writes nothing of this
        call, and never touches earlier rows.

        :param category: the category to store for a changed Refcode.
        """
        self._check_writable()
        written = 0
        with self._transaction() as db:
            last = {row[0]: (row[1], row[2]) for row in db.execute(
                'SELECT l.server_id, c.refcode, c.led_code FROM latest l '
                'JOIN changes c ON c.id = l.change_id WHERE l.cloud = ?',
                (cloud,))}
            observed = self._clock()
            for rc in refcodes:
                now = rc.observation
                before = last.get(rc.server_id, (None, None))
                if now == before:
                    continue
                last[rc.server_id] = now
                self._insert(cloud, rc, category(rc), observed)
                written += 1
        return written

    def _insert(self, cloud: str, rc: model.Refcode, category: str,
                observed: float) -> None:
        queried = rc.queried_at.isoformat() if rc.queried_at else None
        cursor = self._db.execute(_INSERT_CHANGE, (
            cloud, rc.server_id, rc.server_name, rc.refcode, rc.led_code,
            str(category), queried, observed))
        self._db.execute(
            'INSERT INTO latest (cloud, server_id, change_id) '
            'VALUES (?, ?, ?) ON CONFLICT (cloud, server_id) '
            'DO UPDATE SET change_id = excluded.change_id',
            (cloud, rc.server_id, cursor.lastrowid))

    def last_changed(self, cloud: str) -> dict[str, Change]:
        """Each server's latest change in ``cloud``, by server ID."""
        with self._lock, self._errors():
            if self._empty():
                return {}
            rows = self._db.execute(_SELECT_LATEST, (cloud,)).fetchall()
        return {row[1]: Change.from_row(row) for row in rows}

    def changes(self, server: str | None = None, cloud: str | None = None,
                since: datetime.datetime | None = None,
                limit: int | None = None) -> list[Change]:
        """Recorded changes, newest first.

        :param server: only this server: its ID, or a name it was recorded
            under (matched exactly).
        :param since: only changes observed at or after this time (a naive
            time is read as UTC).
        """
        where, params = _filters(server, cloud)
        if since is not None:
            since = utc.as_utc(since)
            where.append('observed_at >= ?')
            params.append(since.timestamp())
        sql = _SELECT_CHANGES
        if where:
            sql += ' WHERE ' + ' AND '.join(where)
        sql += ' ORDER BY observed_at DESC, id DESC'
        if limit is not None:
            sql += ' LIMIT ?'
            params.append(int(limit))
        with self._lock, self._errors():
            if self._empty():
                return []
            rows = self._db.execute(sql, params).fetchall()
        return [Change.from_row(row) for row in rows]

    def servers(self, server: str,
                cloud: str | None = None) -> list[tuple[str, str]]:
        """``(cloud, server ID)`` of each server recorded as ``server``.

        More than one entry means the name is ambiguous (two servers, or
        the same name in two clouds).
        """
        where, params = _filters(server, cloud)
        with self._lock, self._errors():
            if self._empty():
                return []
            rows = self._db.execute(
                _SELECT_SERVERS + ' WHERE ' + ' AND '.join(where) +
                ' ORDER BY cloud, server_id', params).fetchall()
        return [(row[0], row[1]) for row in rows]

    def prune(self, older_than: datetime.timedelta) -> int:
        """Delete changes older than that, except each server's latest one.

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


def _make_folders(folder: str) -> None:
    """Create ``folder`` and its missing parents, each :data:`FOLDER_MODE`.

    (:func:`os.makedirs` gives its mode to the last folder only.)
    """
    missing = []
    while not os.path.isdir(folder) and folder not in missing:
        missing.append(folder)
        folder = os.path.dirname(folder)
    for path in reversed(missing):
        try:
            os.mkdir(path, FOLDER_MODE)
        except FileExistsError:
            if not os.path.isdir(path):
                raise


def _tighten(target: str | int, allowed: int) -> None:
    """Remove the permission bits outside ``allowed``; never add one.

    :param target: a path (nothing happens if it does not exist) or an open
        file descriptor.
    """
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        return
    if mode & ~allowed:
        os.chmod(target, mode & allowed)


def _problem(exc: sqlite3.Error) -> str:
    """What is wrong with the file, in words, from an sqlite3 error."""
    text = str(exc)
    if 'locked' in text or 'busy' in text:
        return ('is locked by another process (%s); try again when it is '
                'done' % text)
    if 'not a database' in text or 'malformed' in text:
        return 'is not a readable history store (%s)' % text
    return text


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


def _uri_path(path: str) -> str:
    """A file path quoted for an SQLite ``file:`` URI."""
    from urllib import parse

    return parse.quote(os.path.abspath(path))
