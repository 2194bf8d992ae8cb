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
imports only cliff/osc-lib and the small modules its classes and parsers
need here; the client and the other helpers are imported when a refcode
command actually runs.
"""

from __future__ import annotations

import argparse
import typing as ty

from osc_lib.command import command

from powervc_osc import defaults
from powervc_osc.options import argtypes
from powervc_osc.options import filters
from powervc_osc.options import limits
from powervc_osc.osc import mixins

if ty.TYPE_CHECKING:
    from powervc_osc import client as client_mod
    from powervc_osc import model


def _add_lookup_scope(parser: argparse.ArgumentParser) -> None:
    """``--all-projects`` of ``show`` and ``set``: where names are found."""
    parser.add_argument(
        '--all-projects', action='store_true',
        help='Look a server name up in every project, not only the '
             'current one (admin only)')


class ShowRefcode(mixins.SaysInterrupted, mixins.FreezeGCAtExit,
                  mixins.UsageChecked, mixins.SaysAdminRequired,
                  command.ShowOne):
    _description = (
        "Show a server's reference code (IBM i SRC or AIX LED code).\n\n"
        "Asks PowerVC for fresh ref_code metadata of one IBM i or AIX "
        "virtual machine and decodes it: the LED code without its '_' "
        "padding, the query time in ISO 8601 and 'required' as a boolean, "
        "then what the code means: 'category' and 'meaning' from the "
        "table of 'openstack server refcode explain' ('stale' when "
        "collection is off and the code is no longer updated). Use --wait "
        "while collection starts, or --watch to follow an IPL.")

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument(
            'server', metavar='<server>',
            help='Server to show (name or ID; a name must match exactly)')
        _add_lookup_scope(parser)
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            '--wait', action='store_true',
            help='Poll until the server reports a reference code, then '
                 'show it (see --timeout)')
        mode.add_argument(
            '--watch', action='store_true',
            help='Print the first answer, then a row each time the '
                 'reference code or the LED text changes (a new query time '
                 'alone is not a change); -f json prints one object per '
                 'line. Stop with Ctrl-C, --until or --timeout')
        parser.add_argument(
            '--interval', metavar='<seconds>', type=argtypes.seconds,
            default=None,
            help='Seconds between polls with --wait or --watch, at least '
                 '%g (default: %g for --wait, %g for --watch)' % (
                     defaults.MIN_POLL_INTERVAL, defaults.WAIT_INTERVAL,
                     defaults.WATCH_INTERVAL))
        parser.add_argument(
            '--until', metavar='<code>',
            help='With --watch (implied): stop once the reference code '
                 'equals <code> (case-insensitive), e.g. C9002960')
        parser.add_argument(
            '--timeout', metavar='<seconds>', type=argtypes.seconds,
            default=None,
            help='With --wait: give up after this many seconds and exit 1 '
                 '(default: %g). With --watch: stop after this many seconds '
                 '(exit 0, or 1 if --until was not reached; default: run '
                 'until Ctrl-C)' % defaults.WAIT_TIMEOUT)
        return parser

    @staticmethod
    def _watching(parsed_args: argparse.Namespace) -> bool:
        """--watch, or --until, which implies it."""
        return bool(parsed_args.watch or parsed_args.until is not None)

    def usage_problem(self, parsed_args: argparse.Namespace) -> str | None:
        if parsed_args.until is not None and parsed_args.wait:
            return '--until cannot be used with --wait'
        if not (parsed_args.wait or self._watching(parsed_args)) and (
                parsed_args.interval or parsed_args.timeout):
            return '--interval and --timeout need --wait or --watch'
        if parsed_args.interval and (
                parsed_args.interval < defaults.MIN_POLL_INTERVAL):
            return ('--interval %g is shorter than %g second: polling faster '
                    'would only load PowerVC' % (parsed_args.interval,
                                                 defaults.MIN_POLL_INTERVAL))
        return None

    def take_action(self, parsed_args: argparse.Namespace) -> tuple:
        from powervc_osc.osc import client_factory
        from powervc_osc.osc import fields
        from powervc_osc.osc import progress as progress_mod

        client = client_factory.make_client(self.app)
        if parsed_args.until is not None and parsed_args.timeout is None:
            self.app.stderr.write(
                'Warning: no --timeout: if the reference code never becomes '
                '%s, this watch runs until Ctrl-C\n' % parsed_args.until)
            self.app.stderr.flush()
        if self._watching(parsed_args):
            # Refcodes, one per change: produce_output writes each as it
            # comes.
            return fields.SHOW_FIELDS, client.watch(
                parsed_args.server, all_projects=parsed_args.all_projects,
                interval=parsed_args.interval or defaults.WATCH_INTERVAL,
                until=parsed_args.until, timeout=parsed_args.timeout,
                on_error=self._poll_failed)
        if parsed_args.wait:
            progress = progress_mod.ProgressLine(self.app.stderr)
            try:
                rc = client.wait(
                    parsed_args.server, all_projects=parsed_args.all_projects,
                    timeout=parsed_args.timeout or defaults.WAIT_TIMEOUT,
                    interval=parsed_args.interval or defaults.WAIT_INTERVAL,
                    progress=progress)
            finally:
                progress.done()
        else:
            rc = client.show(parsed_args.server,
                             all_projects=parsed_args.all_projects)
        return fields.SHOW_FIELDS, fields.show_values(rc)

    def produce_output(self, parsed_args: argparse.Namespace,
                       column_names: ty.Sequence[str], data: ty.Any) -> int:
        if not self._watching(parsed_args):
            return super().produce_output(parsed_args, column_names, data)
        from powervc_osc import exceptions
        from powervc_osc.osc import fields
        from powervc_osc.osc import watch_lines

        out = self.app.stdout
        lines = None
        if parsed_args.formatter in ('table', 'value'):
            lines = watch_lines.WatchLines(parsed_args.formatter,
                                           parsed_args.columns)
        parsed_args.noindent = True  # -f json: one object per line
        warned = False
        try:
            for rc in data:
                if not (rc.required or warned):
                    warned = True
                    self._collection_off(rc)
                if lines is not None:
                    out.write(lines.lines(rc))
                else:
                    if parsed_args.formatter == 'yaml':
                        out.write('---\n')
                    super().produce_output(parsed_args, column_names,
                                           fields.show_values(rc))
                out.flush()
        except exceptions.WaitTimeout:
            if parsed_args.until is not None:
                raise
        except KeyboardInterrupt:
            pass
        return 0

    def _collection_off(self, rc: model.Refcode) -> None:
        """Say once that a watched code cannot change (collection is off)."""
        server = rc.server_name or rc.server_id
        self.app.stderr.write(
            'Warning: reference-code collection is off for server %s: its '
            'code will not change until it is turned on (openstack server '
            'refcode set --enable %s)\n' % (server, server))
        self.app.stderr.flush()

    def _poll_failed(self, failure: client_mod.Failure) -> None:
        self.app.stderr.write('Warning: %s; still watching\n' % failure.error)
        self.app.stderr.flush()


class SetRefcode(mixins.SaysInterrupted, mixins.FreezeGCAtExit,
                 mixins.UsageChecked, command.Command):
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
        _add_lookup_scope(parser)
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
            '--timeout', metavar='<seconds>', type=argtypes.seconds,
            default=None,
            help='With --wait: give up after this many seconds, for all the '
                 'servers together (default: %g)' % defaults.WAIT_TIMEOUT)
        return parser

    def usage_problem(self, parsed_args: argparse.Namespace) -> str | None:
        if parsed_args.wait and not parsed_args.required:
            return '--wait works only with --enable'
        if parsed_args.timeout and not parsed_args.wait:
            return '--timeout works only with --wait'
        return None

    def take_action(self, parsed_args: argparse.Namespace) -> int:
        from powervc_osc.osc import client_factory
        from powervc_osc.osc import progress as progress_mod

        client = client_factory.make_client(self.app)
        progress = progress_mod.ProgressLine(self.app.stderr)
        with progress.counting() as count:
            failed = client.set_required_many(
                parsed_args.servers, parsed_args.required,
                all_projects=parsed_args.all_projects,
                on_error=progress.report_failure, on_progress=count)
        done = [s for s in parsed_args.servers if s not in failed]
        if parsed_args.wait and done:
            try:
                failed.update(client.wait_many(
                    done, timeout=parsed_args.timeout or defaults.WAIT_TIMEOUT,
                    all_projects=parsed_args.all_projects,
                    on_error=progress.report_failure, progress=progress))
            finally:
                progress.done()
        return 1 if failed else 0


class ListRefcode(mixins.SaysInterrupted, mixins.FreezeGCAtExit,
                  mixins.UsageChecked, mixins.SaysAdminRequired,
                  command.Lister):
    _description = (
        "List reference codes of many servers.\n\n"
        "Without <server> arguments every server in scope is listed through "
        "one paged /servers/detail walk with the filters; a row that "
        "contradicts a filter is never printed, and a filter that PowerVC "
        "cannot apply for this user (admin only) is an error. Fresh codes "
        "are then fetched concurrently for the servers whose collection is "
        "on. Failed servers are named on stderr and the exit status is 1; "
        "every good row is still printed.")

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument(
            'servers', metavar='<server>', nargs='*',
            help='Only these servers (names or IDs); default: all in scope')
        filters.add_list_filters(parser, project_names=True)
        parser.add_argument(
            '--category', metavar='<category>[,<category>...]',
            type=argtypes.categories, default=None,
            help='Only servers whose code is in one of these categories '
                 '(comma-separated): progress, attention, error, '
                 'informational, running, off, stale, unknown')
        parser.add_argument(
            '--long', action='store_true',
            help='Also show host, status and the meaning of the code')
        parser.add_argument(
            '--max-workers', metavar='<n>', type=argtypes.worker_count,
            default=None,
            help='Concurrent requests to PowerVC at most (default: what '
                 '--max-rate needs at the latency measured, at most %d; '
                 '%d with --max-rate 0)'
                 % (defaults.MAX_WORKERS_CAP, defaults.MAX_WORKERS))
        limits.add_budget_options(
            parser, defaults.LIST_MAX_AGE, defaults.LIST_MAX_RATE,
            '; the Queried At column shows each code\'s age')
        return parser

    def usage_problem(self, parsed_args: argparse.Namespace) -> str | None:
        if parsed_args.servers and any((
                parsed_args.host, parsed_args.all_projects,
                parsed_args.project, parsed_args.name, parsed_args.status)):
            return ('filters (--host, --all-projects, --project, --name, '
                    '--status) cannot be combined with <server> arguments')
        return None

    def take_action(self, parsed_args: argparse.Namespace) -> tuple:
        from powervc_osc.osc import client_factory
        from powervc_osc.osc import fields
        from powervc_osc.osc import progress as progress_mod
        from powervc_osc.osc import projects

        workers = parsed_args.max_workers or (
            defaults.MAX_WORKERS_CAP if parsed_args.max_rate
            else defaults.MAX_WORKERS)
        client = client_factory.make_client(
            self.app, workers, max_rate=parsed_args.max_rate)
        endpoint = None
        if parsed_args.max_age:
            from powervc_osc.osc import zone_cache

            endpoint = client.endpoint
            client.zone_offset = zone_cache.load(endpoint)
        project = None
        if parsed_args.project:
            project = projects.find_project_id(
                self.app, parsed_args.project, parsed_args.project_domain)
        progress = progress_mod.ProgressLine(self.app.stderr)
        try:
            with progress.counting() as count:
                rows = list(client.list(
                    parsed_args.servers or None,
                    on_error=self._failures.append, on_progress=count,
                    max_age=parsed_args.max_age,
                    **dict(filters.list_filters(parsed_args),
                           project=project)))
        finally:
            if endpoint is not None:
                zone_cache.save(endpoint, client.zone_offset)
        if parsed_args.category:
            rows = [rc for rc in rows if rc.category in parsed_args.category]
        given = self._filters(parsed_args)
        if given and not (rows or self._failures):
            self.app.stderr.write('No server matched %s.\n'
                                  % ' '.join(given))
        columns = fields.LIST_COLUMNS + (
            fields.LONG_COLUMNS if parsed_args.long else ())
        return columns, [fields.list_values(rc, parsed_args.long)
                         for rc in rows]

    @staticmethod
    def _filters(parsed_args: argparse.Namespace) -> list[str]:
        """The options that narrowed the listing, as the user typed them."""
        given = [(option, getattr(parsed_args, option.lstrip('-')))
                 for option in ('--host', '--project', '--name', '--status')]
        words = ['%s %s' % (option, value) for option, value in given
                 if value]
        if parsed_args.enabled_only:
            words.append('--enabled-only')
        if parsed_args.category:
            words.append('--category %s' % ','.join(sorted(
                parsed_args.category)))
        return words

    def run(self, parsed_args: argparse.Namespace) -> int:
        """List, then name every failed server on stderr (exit 1)."""
        self._failures: list[client_mod.Failure] = []
        result = super().run(parsed_args)
        for failure in self._failures:
            self.app.stderr.write('%s\n' % failure.error)
        return 1 if self._failures else result
