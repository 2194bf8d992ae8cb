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

"""The command line of ``powervc-osc-exporter``."""

from __future__ import annotations

import argparse
import datetime
import re
import typing as ty

from powervc_osc import defaults
from powervc_osc.options import argtypes
from powervc_osc.options import filters
from powervc_osc.options import limits

PROG = 'powervc-osc-exporter'
#: Seconds: a shorter interval would only load PowerVC.
MIN_INTERVAL = 1.0
DEFAULT_LISTEN = '127.0.0.1:9464'
DEFAULT_RETENTION = '90d'
#: Seconds, or half the interval if shorter: so that a code read in the
#: last cycle is read again in this one when its server is due.
DEFAULT_MAX_AGE = 30.0
#: Metadata requests a second to each PowerVC.
DEFAULT_MAX_RATE = 100.0


class Listen(ty.NamedTuple):
    host: str
    port: int


def version() -> str:
    """The installed package's version (``unknown`` when not installed)."""
    from importlib import metadata

    try:
        return metadata.version('powervc-osc')
    except metadata.PackageNotFoundError:
        return 'unknown'


#: argparse type of ``--retention``.
duration = argtypes.duration()
#: argparse type of ``--interval``: a duration of at least one second.
interval = argtypes.duration(minimum=MIN_INTERVAL)


def listen(text: str) -> Listen:
    """argparse type: ``HOST:PORT`` (``[::1]:9464`` for IPv6)."""
    host, sep, port = text.rpartition(':')
    host = host[1:-1] if host.startswith('[') and host.endswith(']') else host
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise argparse.ArgumentTypeError(
            '%r is not HOST:PORT (e.g. 127.0.0.1:9464)' % text)
    return Listen(host, int(port))


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line usage error (exit 2)."""

    def error(self, message: str) -> ty.NoReturn:
        self.exit(argtypes.USAGE_EXIT, '%s: error: %s (see --help)\n'
                  % (self.prog, message))


def parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog=PROG,
        description='Export PowerVC reference codes as Prometheus metrics. '
                    'Every --interval the servers in scope are listed with '
                    'fresh codes (as "openstack server refcode list"); a '
                    'scrape returns the last poll and never calls PowerVC.')
    p.add_argument(
        '--os-cloud', metavar='<name>', action='append', dest='clouds',
        help='A cloud of clouds.yaml; repeat for several PowerVCs '
             '(default: OS_CLOUD)')
    p.add_argument(
        '--interval', metavar='<duration>', type=interval,
        default=datetime.timedelta(seconds=defaults.POLL_INTERVAL),
        help='Time between polls (default: %gs)' % defaults.POLL_INTERVAL)
    p.add_argument(
        '--listen', metavar='<host:port>', type=listen,
        default=listen(DEFAULT_LISTEN),
        help='Address of the metrics endpoint (default: %s)'
             % DEFAULT_LISTEN)
    p.add_argument(
        '--web-config-file', metavar='<file>',
        help='TLS and basic auth of the endpoint: a web configuration '
             'file in the format of Prometheus\' exporter-toolkit '
             '(--web.config.file); SIGHUP reads it again')
    p.add_argument(
        '--history', metavar='<path>', nargs='?', const='',
        help='Record every change in this SQLite history store (without '
             'a path: the default store, as "openstack server refcode '
             'history")')
    p.add_argument(
        '--retention', metavar='<duration>', type=duration,
        help='Forget history older than this (default: %s; needs '
             '--history)' % DEFAULT_RETENTION)
    p.add_argument(
        '--once', action='store_true',
        help='Poll once, record, print the metrics on stdout and exit '
             '(for cron); exit status 1 when a cloud failed or, with '
             '--history, the changes could not be recorded')
    filters.add_list_filters(p.add_argument_group(
        'servers to poll (as refcode list)'))
    p.add_argument(
        '--max-workers', metavar='<n>', type=argtypes.worker_count,
        default=None,
        help='Concurrent requests to each PowerVC at most (default: what '
             '--max-rate needs at the latency measured, at most %d; %d '
             'with --max-rate 0)' % (defaults.MAX_WORKERS_CAP,
                                     defaults.MAX_WORKERS))
    limits.add_budget_options(
        p, DEFAULT_MAX_AGE, DEFAULT_MAX_RATE,
        ', or half of --interval if that is shorter; keep it under '
        '--interval, so that the servers due in a cycle are read')
    p.set_defaults(max_age=None)
    p.add_argument(
        '--debug', action='store_true',
        help='Log every request and retry (never tokens or passwords)')
    p.add_argument(
        '--version', action='version', version='%(prog)s ' + version(),
        help='Print the version and exit')
    return p


def parse(argv: ty.Sequence[str] | None = None) -> argparse.Namespace:
    """Parse and check the command line (usage errors exit 2)."""
    p = parser()
    args = p.parse_args(argv)
    if args.retention is not None and args.history is None:
        p.error('--retention needs --history')
    if args.once and args.web_config_file:
        p.error('--web-config-file has no use with --once (no listener)')
    if args.retention is None:
        args.retention = duration(DEFAULT_RETENTION)
    if args.name is not None:
        try:
            re.compile(args.name)
        except re.error as exc:
            p.error('--name %r is not a regular expression: %s'
                    % (args.name, exc))
    if args.max_age is None:
        args.max_age = min(DEFAULT_MAX_AGE,
                           args.interval.total_seconds() / 2)
    if args.max_workers is None:
        args.max_workers = (defaults.MAX_WORKERS_CAP if args.max_rate
                            else defaults.MAX_WORKERS)
    clouds = args.clouds or []
    duplicates = sorted({c for c in clouds if clouds.count(c) > 1})
    if duplicates:
        p.error('cloud %s given twice' % ', '.join(duplicates))
    return args
