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

"""``openstack server refcode history``: the local record of changes.

It reads the SQLite store that ``powervc-osc-exporter --history`` writes
and nothing else: no login, no PowerVC request. The store module (and
sqlite3) is imported only when the command runs.
"""

from __future__ import annotations

import argparse
import datetime
import os
import typing as ty

from osc_lib.command import command

from powervc_osc.options import argtypes
from powervc_osc.osc import mixins
from powervc_osc.osc import prometheus_args

if ty.TYPE_CHECKING:
    from powervc_osc import history

COLUMNS = ('Observed At', 'Refcode', 'LED Code', 'Category', 'Queried At')
#: The columns before COLUMNS when no <server> is given.
SERVER_COLUMNS = ('Cloud', 'Server ID', 'Server Name')
#: The default of --history.
HISTORY_ENV = 'OS_REFCODE_HISTORY'


def _since(text: str) -> datetime.datetime:
    """argparse type: ``30m``, ``2h``, ``7d`` ago, or an ISO 8601 time."""
    from powervc_osc import history

    since: datetime.datetime = argtypes.parsed_by(history.parse_since)(text)
    return since


#: The largest integer SQLite counts (history.SQLITE_MAX_INT; the store
#: module is not imported before the command runs).
SQLITE_MAX_INT = 2 ** 63 - 1
_at_least_one = argtypes.number(int, minimum=1)


def _limit(text: str) -> int:
    """argparse type of ``--limit``: a row count SQLite can take."""
    value = _at_least_one(text)
    if value > SQLITE_MAX_INT:
        raise argparse.ArgumentTypeError(
            '%r is more than %d, the most SQLite counts'
            % (text, SQLITE_MAX_INT))
    return value


def _row(change: history.Change) -> tuple[ty.Any, ...]:
    queried = change.queried_at
    return (change.observed_at.isoformat(timespec='seconds'),
            change.refcode, change.led_code, change.category,
            queried.isoformat() if queried else None)


def _server_row(change: history.Change) -> tuple[ty.Any, ...]:
    return (change.cloud, change.server_id, change.server_name,
            ) + _row(change)


class HistoryRefcode(mixins.NeedsNoCloud, mixins.UsageChecked,
                     mixins.FreezeGCAtExit,
                     command.Lister):
    _description = (
        "Show the recorded reference-code changes of a server.\n\n"
        "Reads only the local history store that powervc-osc-exporter "
        "--history writes, or with --prometheus the Prometheus that "
        "scrapes the exporters: no login and no PowerVC request. One row "
        "per change of the code or LED text, newest first; 'Observed At' "
        "is when the exporter (or Prometheus' scrape) saw the change (UTC). "
        "Without <server>, every server's changes, with the columns Cloud, "
        "Server ID and Server Name first. Exit status: 0 with the rows "
        "(none when nothing changed in --since), 1 when the store or "
        "Prometheus is missing, unreadable or has no record of <server>, 2 "
        "for a usage error.")

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument(
            'server', metavar='<server>', nargs='?',
            help='Server ID, or a name it was recorded under (exact match; '
                 'an ID wins over a name); default: every server')
        parser.add_argument(
            '--since', metavar='<time>', type=_since,
            help='Only changes since this long ago (30m, 2h, 7d) or since '
                 'this ISO 8601 time (UTC unless it has an offset, e.g. '
                 '2026-11-27T08:00 or 2026-11-27T09:00+01:00)')
        parser.add_argument(
            '--until', metavar='<time>', type=_since,
            help='Only changes until this long ago or this ISO 8601 time '
                 '(as --since; default: now)')
        parser.add_argument(
            '--limit', metavar='<n>', type=_limit,
            help='At most this many rows (the newest)')
        parser.add_argument(
            '--history', metavar='<path>',
            help='History store to read (default: $%s, else '
                 '$XDG_STATE_HOME/powervc-osc/history.sqlite3, else '
                 '~/.local/state/powervc-osc/history.sqlite3)' % HISTORY_ENV)
        parser.add_argument(
            '--cloud-label', metavar='<cloud>',
            help='Only the server recorded for this cloud (the exporter '
                 'labels each server with its --os-cloud name); needed '
                 'when one name was recorded in several clouds')
        prometheus_args.add_arguments(parser)
        return parser

    def usage_problem(self, parsed_args: argparse.Namespace) -> str | None:
        since, until = parsed_args.since, parsed_args.until
        if since and until and since > until:
            return '--since is after --until'
        return prometheus_args.usage_problem(parsed_args)

    def take_action(self, parsed_args: argparse.Namespace) -> tuple:
        from powervc_osc import history

        address = prometheus_args.url(parsed_args)
        if address:
            source: ty.Any = prometheus_args.source(address, parsed_args)
            window = {'since': parsed_args.since,
                      'until': parsed_args.until}
        else:
            source = history.HistoryStore(
                parsed_args.history or os.environ.get(HISTORY_ENV) or None,
                readonly=True)
            window = {}
        with source:
            server_id = cloud = None
            if parsed_args.server is not None:
                cloud, server_id = self._find(source, parsed_args, window)
            elif parsed_args.cloud_label:
                cloud = parsed_args.cloud_label
            changes = source.changes(server_id=server_id, cloud=cloud,
                                     since=parsed_args.since,
                                     until=parsed_args.until,
                                     limit=parsed_args.limit)
        if parsed_args.server is None:
            return (SERVER_COLUMNS + COLUMNS,
                    [_server_row(c) for c in changes])
        return COLUMNS, [_row(c) for c in changes]

    @staticmethod
    def _find(source: ty.Any, parsed_args: argparse.Namespace,
              window: dict[str, ty.Any]) -> tuple[str, str]:
        """The one (cloud, server ID) recorded as the <server> argument."""
        from powervc_osc import text

        server = parsed_args.server
        matches = source.servers(server, cloud=parsed_args.cloud_label,
                                 **window)
        where = (' for cloud %r' % parsed_args.cloud_label
                 if parsed_args.cloud_label else '')
        if not matches:
            raise _failure(source, (
                'has no recorded changes for server %r%s' % (server, where)))
        if len(matches) > 1:
            # IDs and clouds come from the file: printable only.
            raise _failure(source, (
                'more than one server was recorded as %r: %s; give an ID or '
                '--cloud-label' % (server, ', '.join(
                    '%s (cloud %s)' % (text.decode_text(sid),
                                       text.decode_text(c))
                    for c, sid in matches))))
        return matches[0]


def _failure(source: ty.Any, problem: str) -> Exception:
    """The error naming the store or the Prometheus ``source``."""
    from powervc_osc import history
    from powervc_osc.history import prometheus

    if isinstance(source, prometheus.PrometheusHistory):
        return prometheus.PrometheusError(source.url, problem)
    return history.HistoryError(source.path, problem)
