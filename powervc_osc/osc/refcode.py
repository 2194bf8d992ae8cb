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

"""``openstack server refcode show|set|list``: parse, call, format.

OSC imports this module for every command of the compute group, so it
imports only cliff/osc-lib here; the client is imported when a refcode
command actually runs.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import math
import os
import threading
import typing as ty

from osc_lib.command import command

from powervc_osc import defaults

if ty.TYPE_CHECKING:
    from powervc_osc import client as client_mod
    from powervc_osc import model

SHOW_FIELDS = ('id', 'name', 'refcode', 'led_code', 'queried_at', 'required')
LIST_COLUMNS = ('ID', 'Name', 'Refcode', 'LED Code', 'Queried At', 'Required')
LONG_COLUMNS = ('Host', 'Status')
#: Columns of a ``--watch`` row in the table format.
WATCH_COLUMNS = ('queried_at', 'refcode', 'required', 'led_code')
WATCH_LABELS = dict(zip(SHOW_FIELDS, LIST_COLUMNS))
USAGE_EXIT = 2


def _positive(text: str) -> float:
    """argparse type: a number of seconds greater than zero."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError('%r is not a number' % text)
    if not value > 0 or value == float('inf'):
        raise argparse.ArgumentTypeError('%r must be greater than 0' % text)
    return value


def _workers(text: str) -> int:
    """argparse type: a worker count from 1 to 256."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError('%r is not a whole number' % text)
    if not 1 <= value <= 256:
        raise argparse.ArgumentTypeError('%r is not between 1 and 256' % text)
    return value


def _api_timeout(app: ty.Any) -> float | None:
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
        raise _command_error('%s must be a number of seconds greater than 0, '
                             'not %r' % (source, value))
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


def _command_error(message: str) -> Exception:
    from osc_lib import exceptions

    return exceptions.CommandError(message)


def make_client(app: ty.Any,
                max_workers: int | None = None) -> client_mod.RefcodeClient:
    """A RefcodeClient on OSC's own session, region, interface and TLS."""
    from powervc_osc import client as client_mod

    manager = app.client_manager
    endpoint = manager.get_endpoint_for_service_type(
        'compute', region_name=manager.region_name,
        interface=manager.interface)
    kwargs: dict[str, ty.Any] = {}
    if max_workers:
        kwargs['max_workers'] = max_workers
    return client_mod.RefcodeClient(
        manager.session, region_name=manager.region_name,
        interface=manager.interface, endpoint_override=endpoint,
        timeout=_api_timeout(app), **kwargs)


def show_values(rc: model.Refcode) -> tuple[ty.Any, ...]:
    """The ``show`` fields of a Refcode, typed for every cliff formatter."""
    return (rc.server_id, rc.server_name, rc.refcode, rc.led_code,
            rc.queried_at_text, rc.required)


class _OneShot:
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
                    _OneShot._freeze_registered):
                _OneShot._freeze_registered = True
                atexit.register(gc.freeze)


def _usage_error(cmd: command.Command, message: str) -> int:
    cmd.app.stderr.write('openstack %s: error: %s\n' % (cmd.cmd_name, message))
    return USAGE_EXIT


class _Progress:
    """A one-line progress report on stderr, only when it is a terminal.

    Safe to call from the worker threads of a bulk wait.
    """

    def __init__(self, stream: ty.TextIO) -> None:
        self.stream = stream
        self.shown = bool(getattr(stream, 'isatty', lambda: False)())
        self.written = False
        self.lock = threading.Lock()

    def __call__(self, rc: model.Refcode) -> None:
        if not self.shown:
            return
        with self.lock:
            self.written = True
            self.stream.write('\r\033[KWaiting for %s to report a reference '
                              'code...' % (rc.server_name or rc.server_id))
            self.stream.flush()

    def message(self, text: str) -> None:
        """Write one line (an error), clearing the progress line first."""
        with self.lock:
            if self.written:
                self.stream.write('\r\033[K')
            self.stream.write(text + '\n')
            self.stream.flush()

    def done(self) -> None:
        if self.shown and self.written:
            self.stream.write('\n')
            self.stream.flush()


class ShowRefcode(_OneShot, command.ShowOne):
    _description = (
        "Show a server's reference code (IBM i SRC or AIX LED code).\n\n"
        "Asks PowerVC for fresh ref_code metadata of one IBM i or AIX "
        "virtual machine and decodes it: the LED code without its '_' "
        "padding, the query time in ISO 8601 and 'required' as a boolean. "
        "Use --wait while collection starts, or --watch to follow an IPL.")

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument(
            'server', metavar='<server>',
            help='Server to show (name or ID; a name must match exactly)')
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            '--wait', action='store_true',
            help='Poll until the server reports a reference code, then '
                 'show it (see --timeout)')
        mode.add_argument(
            '--watch', action='store_true',
            help='Print a row each time the reference code, LED code or '
                 'query time changes; -f json prints one object per line. '
                 'Stop with Ctrl-C, --until or --timeout')
        parser.add_argument(
            '--interval', metavar='<seconds>', type=_positive, default=None,
            help='Seconds between polls with --wait or --watch '
                 '(default: %g for --wait, %g for --watch)' % (
                     defaults.WAIT_INTERVAL, defaults.WATCH_INTERVAL))
        parser.add_argument(
            '--until', metavar='<code>',
            help='With --watch (implied): stop once the reference code '
                 'equals <code> (case-insensitive), e.g. C9002960')
        parser.add_argument(
            '--timeout', metavar='<seconds>', type=_positive, default=None,
            help='With --wait: give up after this many seconds and exit 1 '
                 '(default: %g). With --watch: stop after this many seconds '
                 '(exit 0, or 1 if --until was not reached; default: run '
                 'until Ctrl-C)' % defaults.WAIT_TIMEOUT)
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> tuple:
        client = make_client(self.app)
        if parsed_args.wait:
            progress = _Progress(self.app.stderr)
            try:
                rc = client.wait(
                    parsed_args.server,
                    timeout=parsed_args.timeout or defaults.WAIT_TIMEOUT,
                    interval=parsed_args.interval or defaults.WAIT_INTERVAL,
                    progress=progress)
            finally:
                progress.done()
        else:
            rc = client.show(parsed_args.server)
        return SHOW_FIELDS, show_values(rc)

    def run(self, parsed_args: argparse.Namespace) -> int:
        if parsed_args.until is not None:
            if parsed_args.wait:
                return _usage_error(self, '--until cannot be used with --wait')
            parsed_args.watch = True
        if not (parsed_args.wait or parsed_args.watch) and (
                parsed_args.interval or parsed_args.timeout):
            return _usage_error(
                self, '--interval and --timeout need --wait or --watch')
        if not parsed_args.watch:
            return super().run(parsed_args)
        return self._watch(parsed_args)

    def _watch(self, parsed_args: argparse.Namespace) -> int:
        from powervc_osc import exceptions

        formatter = self._formatter_plugins[parsed_args.formatter].obj
        assert formatter is not None  # noqa: S101 (cliff always loads it)
        self.formatter = formatter
        parsed_args.noindent = True
        client = make_client(self.app)
        rows = client.watch(parsed_args.server,
                            interval=(parsed_args.interval or
                                      defaults.WATCH_INTERVAL),
                            until=parsed_args.until,
                            timeout=parsed_args.timeout,
                            on_error=self._poll_failed)
        first = True
        try:
            for rc in rows:
                self._emit_change(parsed_args, rc, first)
                first = False
        except exceptions.WaitTimeout as exc:
            if parsed_args.until is None:
                return 0
            self.app.stderr.write('%s\n' % exc)
            return 1
        except KeyboardInterrupt:
            return 0
        return 0

    def _poll_failed(self, failure: client_mod.Failure) -> None:
        self.app.stderr.write('Warning: %s; still watching\n' % failure.error)
        self.app.stderr.flush()

    def _emit_change(self, parsed_args: argparse.Namespace,
                     rc: model.Refcode, first: bool) -> None:
        """One change: a line (table, value), else one formatted object."""
        out = self.app.stdout
        values = dict(zip(SHOW_FIELDS, show_values(rc)))
        if parsed_args.formatter in ('table', 'value'):
            names = [c for c in parsed_args.columns if c in SHOW_FIELDS]
            if not names:
                names = list(WATCH_COLUMNS if parsed_args.formatter == 'table'
                             else SHOW_FIELDS)
            cells = ['-' if values[n] is None else str(values[n])
                     for n in names]
            if parsed_args.formatter == 'value':
                out.write(' '.join(cells) + '\n')
            else:
                widths = [max(len(n), 26 if n == 'queried_at' else 10)
                          for n in names]
                if first:
                    out.write(_columns([WATCH_LABELS[n] for n in names],
                                       widths))
                out.write(_columns(cells, widths))
        else:
            if parsed_args.formatter == 'yaml':
                out.write('---\n')
            self.produce_output(parsed_args, SHOW_FIELDS, show_values(rc))
        out.flush()


class SetRefcode(_OneShot, command.Command):
    _description = (
        "Turn PowerVC reference-code collection on or off for servers.\n\n"
        "Sends only POST /servers/<id>/metadata with "
        "powervc:vm_refcode_required; every other metadata key is kept. "
        "Prints nothing on success. Exit status: 0 when every server was "
        "set, 1 when any failed (each failure is named on stderr), 2 for "
        "a usage error.")

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument(
            'servers', metavar='<server>', nargs='+',
            help='Server(s) to change (name or ID)')
        switch = parser.add_mutually_exclusive_group(required=True)
        switch.add_argument(
            '--enable', dest='required', action='store_true', default=None,
            help='Turn collection on (PowerVC starts reporting the code)')
        switch.add_argument(
            '--disable', dest='required', action='store_false',
            help='Turn collection off')
        parser.add_argument(
            '--wait', action='store_true',
            help='With --enable: wait until each server reports a reference '
                 'code (see --timeout)')
        parser.add_argument(
            '--timeout', metavar='<seconds>', type=_positive, default=None,
            help='With --wait: give up after this many seconds, for all the '
                 'servers together (default: %g)' % defaults.WAIT_TIMEOUT)
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> int:
        if parsed_args.wait and not parsed_args.required:
            return _usage_error(self, '--wait works only with --enable')
        if parsed_args.timeout and not parsed_args.wait:
            return _usage_error(self, '--timeout works only with --wait')
        client = make_client(self.app)
        progress = _Progress(self.app.stderr)

        def report(failure: client_mod.Failure) -> None:
            progress.message(str(failure.error))

        failed = client.set_required_many(
            parsed_args.servers, parsed_args.required, on_error=report)
        done = [s for s in parsed_args.servers if s not in failed]
        if parsed_args.wait and done:
            try:
                failed.update(client.wait_many(
                    done, timeout=parsed_args.timeout or defaults.WAIT_TIMEOUT,
                    on_error=report, progress=progress))
            finally:
                progress.done()
        return 1 if failed else 0


def add_list_filters(parser: ty.Any) -> None:
    """The server filters of ``refcode list`` (the exporter's too)."""
    parser.add_argument(
        '--host', metavar='<host>',
        help='Only servers on this host (e.g. 9109RMD_1031CAT)')
    parser.add_argument(
        '--all-projects', action='store_true',
        help='Servers of every project (admin only)')
    parser.add_argument(
        '--project', metavar='<project-id>',
        help='Only servers of this project ID (admin only; implies '
             '--all-projects)')
    parser.add_argument(
        '--name', metavar='<regex>',
        help='Only servers whose name matches this regular expression '
             '(Nova semantics)')
    parser.add_argument(
        '--status', metavar='<status>',
        help='Only servers in this status (e.g. ACTIVE, SHUTOFF)')
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


class ListRefcode(_OneShot, command.Lister):
    _description = (
        "List reference codes of many servers.\n\n"
        "Without <server> arguments every server in scope is listed through "
        "one paged /servers/detail walk (filters are applied by PowerVC); "
        "fresh codes are then fetched concurrently for the servers whose "
        "collection is on. Failed servers are named on stderr and the exit "
        "status is 1; every good row is still printed.")

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument(
            'servers', metavar='<server>', nargs='*',
            help='Only these servers (names or IDs); default: all in scope')
        add_list_filters(parser)
        parser.add_argument(
            '--long', action='store_true',
            help='Also show host and status')
        parser.add_argument(
            '--max-workers', metavar='<n>', type=_workers, default=None,
            help='Concurrent requests to PowerVC (default: %d)'
                 % defaults.MAX_WORKERS)
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> tuple:
        client = make_client(self.app, parsed_args.max_workers)
        self._failures: list = []
        rows = client.list(
            parsed_args.servers or None, on_error=self._failures.append,
            **list_filters(parsed_args))
        columns = LIST_COLUMNS + (LONG_COLUMNS if parsed_args.long else ())
        return columns, [self._row(rc, parsed_args.long) for rc in rows]

    @staticmethod
    def _row(rc: model.Refcode, long: bool) -> tuple[ty.Any, ...]:
        row = show_values(rc)
        return row + ((rc.host, rc.status) if long else ())

    def run(self, parsed_args: argparse.Namespace) -> int:
        if parsed_args.servers and any((
                parsed_args.host, parsed_args.all_projects,
                parsed_args.project, parsed_args.name, parsed_args.status)):
            return _usage_error(
                self, 'filters (--host, --all-projects, --project, --name, '
                '--status) cannot be combined with <server> arguments')
        result = super().run(parsed_args)
        for failure in self._failures:
            self.app.stderr.write('%s\n' % failure.error)
        return 1 if self._failures else result


def _columns(cells: ty.Sequence[str], widths: ty.Sequence[int]) -> str:
    """One aligned line of a ``--watch`` table."""
    return '  '.join(c.ljust(w) for c, w in zip(cells, widths)).rstrip() + '\n'
