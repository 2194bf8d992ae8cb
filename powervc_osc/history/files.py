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

"""The history store's files: touch only what is the store's own.

A writer never follows a symbolic link at the store's path (nor at its
``-wal`` and ``-shm`` files), creates a missing file exclusively, and
changes permissions only after :mod:`powervc_osc.history` has checked
that the file is a powervc-osc store. Every error names a file.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import time
import typing as ty
from urllib import parse

#: The widest permissions of the store's files (the database and SQLite's
#: ``-wal`` and ``-shm`` files beside it) and of the folders it owns.
FILE_MODE = 0o600
FOLDER_MODE = 0o700
SIDE_FILES = ('-wal', '-shm')
#: Seconds a writer keeps trying to switch a new file to WAL journaling
#: while another writer creates the same file (SQLite does not wait).
WAL_SWITCH_WAIT = 5.0
_pause = time.sleep


class FileProblem(Exception):
    """A file of the store cannot be used: ``path`` and what is wrong."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(problem)
        self.path = path
        self.problem = problem


def connect(path: str, readonly: bool, timeout: float, newest: int,
            owned_folder: str) -> tuple[sqlite3.Connection, int]:
    """A connection to the store at ``path``, and its schema version.

    A writer checks that the file is ours through a read-only connection
    before it changes anything (permissions, WAL journaling): another
    program's database is left byte for byte as it was.

    :param newest: the newest schema version the caller knows.
    :param owned_folder: the folder whose permissions a writer tightens
        too when the store is in it (powervc-osc's own).
    :raises FileProblem: the file cannot be used.
    """
    if readonly:
        query = {'mode': 'ro'}
        if _readable_without_writing(path):
            query['immutable'] = '1'
        db = _open(path, uri(path, **query), timeout)
        try:
            version = _checked(path, db, newest)
            if 0 < version < newest:
                raise FileProblem(path, (
                    'has schema version %d and needs an upgrade to %d; run '
                    'powervc-osc-exporter once to upgrade it'
                    % (version, newest)))
        except BaseException:
            db.close()
            raise
        return db, version
    fd = claim(path)
    try:
        check = _open(path, uri(path, mode='ro'), timeout)
        try:
            _checked(path, check, newest)
        finally:
            check.close()
        folder = os.path.dirname(os.path.abspath(path))
        make_private(fd, path, folder if folder == owned_folder else None)
        db = _open(path, path, timeout)
        if not same_file(fd, path):
            db.close()
            raise FileProblem(path, 'was replaced while being opened; try '
                              'again')
    finally:
        os.close(fd)
    try:
        _use_wal(path, db)
        return db, _checked(path, db, newest)
    except BaseException:
        db.close()
        raise


def describe(exc: sqlite3.Error) -> str:
    """What is wrong with the file, in words, from an sqlite3 error."""
    text = str(exc)
    if 'locked' in text or 'busy' in text:
        return ('is locked by another process (%s); try again when it is '
                'done' % text)
    if 'not a database' in text or 'malformed' in text:
        return 'is not a readable history store (%s)' % text
    if 'full' in text:
        return 'cannot be written: the disk is full (%s)' % text
    return text


def _open(path: str, target: str, timeout: float) -> sqlite3.Connection:
    try:
        # Transactions are explicit (BEGIN IMMEDIATE ... COMMIT).
        return sqlite3.connect(target, timeout=timeout, uri=target != path,
                               isolation_level=None, check_same_thread=False)
    except sqlite3.Error as exc:
        raise FileProblem(path, 'cannot be opened: %s' % exc)


def _checked(path: str, db: sqlite3.Connection, newest: int) -> int:
    """The file's schema version, if it is a store this code can use."""
    try:
        version = db.execute('PRAGMA user_version').fetchone()[0]
        foreign = version == 0 and db.execute(
            'SELECT count(*) FROM sqlite_master').fetchone()[0]
    except sqlite3.Error as exc:
        raise FileProblem(path, describe(exc))
    if version > newest:
        raise FileProblem(path, (
            'was written by a newer powervc-osc (schema version %d; this '
            'one knows up to %d): upgrade powervc-osc' % (version, newest)))
    if foreign:
        raise FileProblem(path, (
            'is another program\'s SQLite database (it has tables but no '
            'powervc-osc schema version); it was left unchanged: choose '
            'another --history path'))
    return version


def _use_wal(path: str, db: sqlite3.Connection) -> None:
    """Switch to WAL, waiting for a writer creating the same file.

    SQLite does not wait (no busy handler) when the switch meets another
    connection's lock, so this retries for a while.
    """
    deadline = time.monotonic() + WAL_SWITCH_WAIT
    while True:
        try:
            mode = db.execute('PRAGMA journal_mode=WAL').fetchone()[0]
            break
        except sqlite3.OperationalError as exc:
            if 'locked' not in str(exc) or time.monotonic() >= deadline:
                raise FileProblem(path, describe(exc))
            _pause(0.01)
    if mode.lower() != 'wal':
        raise FileProblem(path, 'cannot use WAL journaling (%s)' % mode)


def claim(path: str) -> int:
    """Open (creating it 0600 if missing) the store file, never a link.

    :returns: a descriptor of the file, for :func:`make_private`.
    :raises FileProblem: a link, not a regular file, or not openable.
    """
    _make_folders(os.path.dirname(os.path.abspath(path)))
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        # Exclusive: a file another process creates meanwhile is opened
        # as an existing one below, never truncated or re-created.
        os.close(os.open(path, flags | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        pass
    except OSError as exc:
        raise _problem(path, 'cannot be created', exc)
    for name in [path] + [path + suffix for suffix in SIDE_FILES]:
        _check_regular(name, missing_ok=name != path)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise _problem(path, 'cannot be opened', exc)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise FileProblem(path, 'is not a regular file')
    return fd


def same_file(fd: int, path: str) -> bool:
    """Whether ``path`` still names the file open as ``fd``."""
    try:
        now = os.lstat(path)
    except OSError:
        return False
    was = os.fstat(fd)
    return (now.st_dev, now.st_ino) == (was.st_dev, was.st_ino)


def make_private(fd: int, path: str, folder: str | None) -> None:
    """Take permissions beyond 0600 (0700 for ``folder``) away.

    The store file through its descriptor; its side files only when they
    are regular files (a link there is an error); ``folder`` only when
    given (the default folder, which powervc-osc owns). Never adds one.
    """
    if folder is not None:
        _tighten(folder, FOLDER_MODE, lambda mode: os.chmod(folder, mode),
                 os.lstat(folder).st_mode)
    _tighten(path, FILE_MODE, lambda mode: os.fchmod(fd, mode),
             os.fstat(fd).st_mode)
    for side in [path + suffix for suffix in SIDE_FILES]:
        try:
            side_fd = os.open(side, os.O_RDONLY | os.O_NOFOLLOW |
                              os.O_NONBLOCK | os.O_CLOEXEC)
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise _problem(side, 'cannot be opened', exc)
        try:
            mode = os.fstat(side_fd).st_mode
            if not stat.S_ISREG(mode):
                raise FileProblem(side, 'is not a regular file')
            _tighten(side, FILE_MODE,
                     lambda bits: os.fchmod(side_fd, bits), mode)
        finally:
            os.close(side_fd)


def _readable_without_writing(path: str) -> bool:
    """Whether a reader must open ``path`` immutable (SQLite's term).

    A reader of a WAL file needs its ``-shm`` file, and creates it when
    it may write the folder. When it may not and there is no ``-shm``
    file, no writer has the file open (a writer keeps both side files),
    so the file is complete and can be read as it is.
    """
    folder = os.path.dirname(os.path.abspath(path))
    return (not os.access(folder, os.W_OK) and
            not os.path.exists(path + '-shm'))


def uri(path: str, **query: str) -> str:
    """A ``file:`` URI of ``path`` for SQLite, with query parameters."""
    text = 'file:%s' % parse.quote(os.path.abspath(path))
    if query:
        text += '?' + parse.urlencode(query)
    return text


def _check_regular(path: str, missing_ok: bool = False) -> None:
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        if missing_ok:
            return
        raise FileProblem(path, 'was removed while being opened; try again')
    except OSError as exc:
        raise _problem(path, 'cannot be read', exc)
    if stat.S_ISLNK(mode):
        raise FileProblem(path, 'is a symbolic link; powervc-osc does not '
                          'follow it: give the path of the file itself')
    if not stat.S_ISREG(mode):
        raise FileProblem(path, 'is not a regular file')


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
                raise FileProblem(path, 'cannot be created: a file of that '
                                  'name is in the way')
        except OSError as exc:
            raise _problem(path, 'cannot be created', exc)


def _tighten(path: str, allowed: int, chmod: ty.Callable[[int], None],
             mode: int) -> None:
    bits = stat.S_IMODE(mode)
    if bits & ~allowed:
        try:
            chmod(bits & allowed)
        except OSError as exc:
            raise _problem(path, 'cannot be made private', exc)


def _problem(path: str, what: str, exc: OSError) -> FileProblem:
    return FileProblem(path, '%s: %s' % (what, exc.strerror or exc))
