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

"""What the refcode commands share: argument types, the client factory,
usage checks, the GC-at-exit mixin, the progress line and ``--watch`` rows.

OSC imports the command modules, and so this one, for every command of
the compute group: only the standard library is imported here; the client
and osc-lib's exceptions are imported when a refcode command runs.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import gc
import math
import os
import threading
import typing as ty

from powervc_osc.osc import fleet_options

if ty.TYPE_CHECKING:
    from powervc_osc import client as client_mod
    from powervc_osc import model

#: Exit status of a usage error (argparse's).
USAGE_EXIT = 2
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
#: Fields of a ``--watch`` row in the table format when no ``-c`` is given.
WATCH_COLUMNS = ('queried_at', 'refcode', 'required', 'led_code', 'category')
#: Width of a ``--watch`` table column (at least its label's).
_WATCH_WIDTHS = {'queried_at': 26, 'led_code': 20, 'category': 13}


#: The longest ``--interval`` or ``--timeout``: a week.
MAX_SECONDS = 7 * 24 * 3600


def positive_seconds(text: str) -> float:
    """argparse type: a number of seconds, above zero, at most a week."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError('%r is not a number' % text)
    if not value > 0 or value == float('inf'):
        raise argparse.ArgumentTypeError('%r must be greater than 0' % text)
    if value > MAX_SECONDS:
        raise argparse.ArgumentTypeError(
            '%r is more than a week (%d seconds)' % (text, MAX_SECONDS))
    return value


def worker_count(text: str) -> int:
    """argparse type: a worker count from 1 to 256."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError('%r is not a whole number' % text)
    if not 1 <= value <= 256:
        raise argparse.ArgumentTypeError('%r is not between 1 and 256' % text)
    return value


def api_timeout(app: ty.Any) -> float | None:
    """The HTTP timeout in seconds, or None to keep the client's default.

    :raises CommandError: for a value that is not a number of seconds.
    """
    value, source = _configured_timeout(app)
    if value is None or value == '':
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = math.nan
    if not (seconds > 0 and math.isfinite(seconds)):
        from osc_lib import exceptions

        raise exceptions.CommandError(
            '%s must be a number of seconds greater than 0, not %r'
            % (source, value))
    return seconds


def _configured_timeout(app: ty.Any) -> tuple[ty.Any, str]:
    """OS_API_TIMEOUT, else the cloud's ``api_timeout``, and where it was.

    osc-lib drops ``api_timeout`` from the session it builds, so the cloud
    is read again here the way OSC reads it (clouds.yaml, secure.yaml,
    vendor profiles and environment, merged).
    """
    value = os.environ.get('OS_API_TIMEOUT')
    if value:
        return value, 'OS_API_TIMEOUT'
    if getattr(app, 'cloud_config', None) is None:
        return None, ''
    try:
        cloud = app.cloud_config.get_one(
            cloud=app.options.cloud, argparse=app.options, validate=False)
    except Exception:  # nosec B110: no timeout is better than no command
        return None, ''
    return cloud.config.get('api_timeout'), 'api_timeout'


def make_client(app: ty.Any, max_workers: int | None = None,
                **options: ty.Any) -> client_mod.RefcodeClient:
    """A RefcodeClient on OSC's own session, region, interface and TLS."""
    from powervc_osc import client as client_mod

    manager = app.client_manager
    endpoint = manager.get_endpoint_for_service_type(
        'compute', region_name=manager.region_name,
        interface=manager.interface)
    kwargs: dict[str, ty.Any] = dict(options)
    if max_workers:
        kwargs['max_workers'] = max_workers
    return client_mod.RefcodeClient(
        manager.session, region_name=manager.region_name,
        interface=manager.interface, endpoint_override=endpoint,
        timeout=api_timeout(app), **kwargs)


def find_project_id(app: ty.Any, project: str,
                    domain: str | None = None) -> str:
    """The ID of a project given by name or ID, as OSC's --project finds it.

    OSC's own helper asks Keystone; when Keystone refuses to list projects
    (a user without the admin role), the value is kept as given, except
    that the user's own project name becomes its ID.

    :raises CommandError: when Keystone knows no such project or domain.
    """
    from openstack import utils as sdk_utils
    from openstackclient.identity import common as identity_common
    from osc_lib import exceptions

    manager = app.client_manager
    identity = sdk_utils.ensure_service_version(
        manager.sdk_connection.identity, '3')
    if domain is not None:
        try:
            identity_common.find_domain_id_sdk(identity, domain)
        except exceptions.CommandError:
            raise exceptions.CommandError(
                'No domain with a name or ID of %r exists.' % domain)
    try:
        found = identity_common.find_project_id_sdk(identity, project, domain)
    except exceptions.CommandError:
        raise exceptions.CommandError(
            'No project with a name or ID of %r exists%s.' % (
                project, '' if domain is None else ' in domain %r' % domain))
    own = manager.auth_ref
    if found == project == own.project_name and domain in (
            None, own.project_domain_id, own.project_domain_name):
        return own.project_id
    return found


def show_values(rc: model.Refcode) -> tuple[ty.Any, ...]:
    """The ``show`` fields of a Refcode, typed for every cliff formatter."""
    found = rc.explanation
    return (rc.server_id, rc.server_name, rc.refcode, rc.led_code,
            rc.queried_at_text, rc.required, found.category, found.meaning)


def list_values(rc: model.Refcode, long: bool) -> tuple[ty.Any, ...]:
    """A ``list`` row: :data:`LIST_COLUMNS`, plus :data:`LONG_COLUMNS`."""
    *row, meaning = show_values(rc)
    return tuple(row) + ((rc.host, rc.status, meaning) if long else ())


def categories(text: str) -> frozenset[str]:
    """argparse type: comma-separated categories (``attention,error``)."""
    from powervc_osc import codes

    try:
        return codes.parse_categories(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc))


class UsageChecked:
    """Mixin: refuse a bad combination of options before anything is sent.

    A command names the problem in :meth:`usage_problem`, the one place
    for its usage checks; :meth:`run` then prints it the way argparse
    does and exits 2.
    """

    app: ty.Any
    cmd_name: str | None

    def usage_problem(self, parsed_args: argparse.Namespace) -> str | None:
        """What is wrong with this combination of options, or None."""
        return None

    def run(self, parsed_args: argparse.Namespace) -> int:
        problem = self.usage_problem(parsed_args)
        if problem:
            self.app.stderr.write('openstack %s: error: %s\n'
                                  % (self.cmd_name, problem))
            return USAGE_EXIT
        return super().run(parsed_args)  # type: ignore[misc]


class SaysInterrupted:
    """Mixin: Ctrl-C ends the command with one line on stderr.

    cliff turns the interrupt into exit status 130 without a word; a
    bulk operation's :meth:`ProgressLine.counting` already said how many
    servers were done, so only the other commands get ``Interrupted.``.
    """

    app: ty.Any

    def run(self, parsed_args: argparse.Namespace) -> int:
        try:
            return super().run(parsed_args)  # type: ignore[misc]
        except KeyboardInterrupt as exc:
            if not getattr(exc, 'reported', False):
                self.app.stderr.write('Interrupted.\n')
                self.app.stderr.flush()
            raise


class FreezeGCAtExit:
    """Mixin: let a one-shot ``openstack`` exit without a final GC walk.

    ``openstack`` exits right after the command, and the interpreter's
    last garbage collection walks the ~100,000 objects OSC loaded: about
    0.3 s, a sixth of a ``set`` (see doc/source/benchmarks.rst). A
    ``gc.freeze()`` registered with :mod:`atexit` runs before that walk
    and spares it, and only at exit: a program that runs OSC commands in
    its own process keeps collecting as usual until then. The interactive
    ``openstack`` shell is left alone.
    """

    app: ty.Any
    _freeze_registered = False

    def run(self, parsed_args: argparse.Namespace) -> int:
        try:
            return super().run(parsed_args)  # type: ignore[misc]
        finally:
            if not (getattr(self.app, 'interactive_mode', False) or
                    FreezeGCAtExit._freeze_registered):
                FreezeGCAtExit._freeze_registered = True
                atexit.register(gc.freeze)


class ProgressLine:
    """A one-line progress report on stderr, only when it is a terminal.

    Safe to call from the worker threads of a bulk wait.
    """

    def __init__(self, stream: ty.TextIO) -> None:
        self.stream = stream
        self.shown = bool(getattr(stream, 'isatty', lambda: False)())
        self.written = False
        self.lock = threading.Lock()
        self.done_count = self.total_count = 0

    def __call__(self, rc: model.Refcode) -> None:
        if not self.shown:
            return
        with self.lock:
            self.written = True
            self.stream.write('\r\033[KWaiting for %s to report a reference '
                              'code...' % (rc.server_name or rc.server_id))
            self.stream.flush()

    def count(self, done: int, total: int) -> None:
        """Report ``done`` servers of ``total`` (a bulk operation)."""
        self.done_count, self.total_count = done, total
        if not self.shown:
            return
        with self.lock:
            self.written = True
            self.stream.write('\r\033[K%d/%d servers done' % (done, total))
            self.stream.flush()

    @contextlib.contextmanager
    def counting(self) -> ty.Iterator[ty.Callable[[int, int], None]]:
        """Around a bulk operation that reports to :meth:`count`.

        Ctrl-C says, on any stream, how many servers were done; the line
        is erased at the end.
        """
        try:
            yield self.count
        except KeyboardInterrupt as exc:
            self.message('Interrupted after %d of %d servers.'
                         % (self.done_count, self.total_count))
            exc.reported = True     # type: ignore[attr-defined]
            raise
        finally:
            self.clear()

    def message(self, text: str) -> None:
        """Write one line (an error), clearing the progress line first."""
        with self.lock:
            if self.written:
                self.written = False
                self.stream.write('\r\033[K')
            self.stream.write(text + '\n')
            self.stream.flush()

    def report_failure(self, failure: client_mod.Failure) -> None:
        """An ``on_error`` callback: name the failed server on its line."""
        self.message(str(failure.error))

    def done(self) -> None:
        """End the line, leaving the last report on the terminal."""
        if self.shown and self.written:
            self.stream.write('\n')
            self.stream.flush()

    def clear(self) -> None:
        """Erase the line, leaving the terminal as it was."""
        with self.lock:
            if self.written:
                self.written = False
                self.stream.write('\r\033[K')
                self.stream.flush()


class WatchLines:
    """``--watch`` rows as text lines, for the ``table`` and ``value`` formats.

    cliff's formatters draw a whole table at the end, which a watch never
    reaches: ``table`` is one aligned line per change under a header
    written once, ``value`` one line of space-separated values per change.
    Absent values are ``-``.
    """

    def __init__(self, formatter: str, columns: ty.Sequence[str]) -> None:
        self.table = formatter == 'table'
        self.names = [c for c in columns if c in SHOW_FIELDS]
        if not self.names:
            self.names = list(WATCH_COLUMNS if self.table else SHOW_FIELDS)
        self.widths = [max(len(n), _WATCH_WIDTHS.get(n, 10))
                       for n in self.names]
        self.header_written = False

    def lines(self, rc: model.Refcode) -> str:
        """The text for one change, header included the first time."""
        values = dict(zip(SHOW_FIELDS, show_values(rc)))
        cells = ['-' if values[n] is None else str(values[n])
                 for n in self.names]
        if not self.table:
            return ' '.join(cells) + '\n'
        text = self._aligned(cells)
        if not self.header_written:
            self.header_written = True
            text = self._aligned([FIELD_LABELS[n] for n in self.names]) + text
        return text

    def _aligned(self, cells: ty.Sequence[str]) -> str:
        return '  '.join(c.ljust(w)
                         for c, w in zip(cells, self.widths)).rstrip() + '\n'


def add_lookup_scope(parser: ty.Any) -> None:
    """``--all-projects`` of ``show`` and ``set``: where names are found."""
    parser.add_argument(
        '--all-projects', action='store_true',
        help='Look a server name up in every project, not only the '
             'current one (admin only)')


def add_list_filters(parser: ty.Any, project_names: bool = False) -> None:
    """The server filters of ``refcode list`` (the exporter's too).

    With ``project_names``, ``--project`` takes a name or an ID and
    ``--project-domain`` is added (the caller resolves them through
    Keystone, see :func:`find_project_id`); otherwise it takes an ID.
    """
    parser.add_argument(
        '--host', metavar='<host>',
        help='Only servers on this host (e.g. 9109RMD_1031CAT; admin only)')
    parser.add_argument(
        '--all-projects', action='store_true',
        help='Servers of every project (admin only)')
    if project_names:
        parser.add_argument(
            '--project', metavar='<project>',
            help='Only servers of this project (name or ID; admin only; '
                 'implies --all-projects)')
        from openstackclient.identity import common as identity_common

        identity_common.add_project_domain_option_to_parser(parser)
    else:
        parser.add_argument(
            '--project', metavar='<project-id>',
            help='Only servers of this project ID (admin only; implies '
                 '--all-projects)')
    parser.add_argument(
        '--name', metavar='<regex>',
        help='Only servers whose name matches this regular expression '
             '(Nova semantics)')
    parser.add_argument(
        '--status', metavar='<status>', type=fleet_options.nova_status,
        help='Only servers in this Nova status (e.g. ACTIVE, SHUTOFF; '
             'any case)')
    parser.add_argument(
        '--enabled-only', action='store_true',
        help='Only servers with reference-code collection on')


def list_filters(parsed_args: argparse.Namespace) -> dict[str, ty.Any]:
    """The ``RefcodeClient.list`` arguments of :func:`add_list_filters`."""
    return {'host': parsed_args.host,
            'all_projects': parsed_args.all_projects,
            'project': parsed_args.project, 'name': parsed_args.name,
            'status': parsed_args.status,
            'enabled_only': parsed_args.enabled_only}
