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

"""``powervc-osc-exporter``: build the pollers, serve, stop cleanly."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import typing as ty

import yaml

from powervc_osc.exporter import changes as changes_mod
from powervc_osc.exporter import metrics
from powervc_osc.exporter import options
from powervc_osc.exporter import poller as poller_mod
from powervc_osc.exporter import service
from powervc_osc.exporter import state
from powervc_osc import list_options

LOG = logging.getLogger('powervc_osc.exporter')
#: Loggers that would repeat per request, retry or cycle (the poller logs
#: an outage once); below ERROR they are shown with --debug only.
CHATTY_LOGGERS = ('keystoneauth', 'openstack', 'urllib3',
                  'powervc_osc.client')


class SetupError(Exception):
    """The exporter cannot start; the message is one line for a human."""


def main(argv: ty.Sequence[str] | None = None) -> int:
    args = options.parse(argv)
    _configure_logging(args.debug)
    try:
        exporter = build(args)
    except SetupError as exc:
        sys.stderr.write('%s: %s\n' % (options.PROG, exc))
        return 1
    registry = make_registry(exporter.board)
    _handle_signals(exporter)
    if args.once:
        status = _once(exporter, registry)
    else:
        status = _serve(exporter, registry, args.listen)
    if exporter.busy():
        # A poll is still waiting for PowerVC: its "poll-<cloud>" thread
        # and the request threads of RefcodeClient.list are daemons, so
        # the interpreter does not wait for them, but its shutdown would
        # finalize modules (and the stdout and logging locks) while they
        # still run. The store is closed and the output flushed: end now.
        logging.shutdown()
        sys.stdout.flush()
        os._exit(status)
    return status


def build(args: argparse.Namespace) -> service.Exporter:
    """The exporter the options describe (no PowerVC call yet)."""
    from powervc_osc import client as client_mod

    _check_clouds_yaml()
    names = args.clouds or [os.environ.get('OS_CLOUD') or None]
    tracker = _change_tracker(args)
    pollers = []
    for name in names:
        try:
            client = client_mod.RefcodeClient.from_cloud(
                name, max_workers=args.max_workers,
                max_rate=args.max_rate or None)
        except Exception as exc:  # openstacksdk's config errors vary
            tracker.close()
            raise SetupError('cloud %s: %s' % (name or '(default)', exc))
        pollers.append(poller_mod.CloudPoller(
            name or 'default', client, tracker,
            list_options.list_filters(args), max_age=args.max_age,
            interval=args.interval.total_seconds()))
    return service.Exporter(pollers, state.Board(), tracker,
                            args.interval.total_seconds())


def _change_tracker(args: argparse.Namespace,
                    ) -> changes_mod.ChangeTracker:
    if args.history is None:
        return changes_mod.MemoryChanges()
    from powervc_osc import history

    try:
        store = history.HistoryStore(args.history or None)
    except history.HistoryError as exc:
        raise SetupError(str(exc))
    return changes_mod.HistoryChanges(store, args.retention)


def _check_clouds_yaml() -> None:
    """Fail clearly on a clouds.yaml that openstacksdk would skip.

    openstacksdk ignores a clouds.yaml it cannot read or parse and then
    reports the cloud as missing, which hides the cause.
    """
    from openstack.config import loader

    path = os.environ.get('OS_CLIENT_CONFIG_FILE')
    if not path:
        path = next((p for p in loader.CONFIG_FILES if os.path.exists(p)),
                    None)
    if not path or not os.path.exists(path):
        return
    try:
        with open(path) as stream:
            yaml.safe_load(stream)
    except OSError as exc:
        raise SetupError('cannot read %s: %s' % (path, exc.strerror))
    except yaml.YAMLError as exc:
        mark = getattr(exc, 'problem_mark', None)
        where = ' (line %d)' % (mark.line + 1) if mark else ''
        raise SetupError('%s is not valid YAML%s' % (path, where))


def make_registry(board: state.Board) -> ty.Any:
    from prometheus_client import process_collector
    from prometheus_client import registry as registry_mod

    registry = registry_mod.CollectorRegistry(auto_describe=False)
    registry.register(metrics.RefcodeCollector(board))
    process_collector.ProcessCollector(registry=registry)
    return registry


def _handle_signals(exporter: service.Exporter) -> None:
    def stop(signum: int, frame: ty.Any) -> None:
        LOG.info('Stopping (%s)', signal.Signals(signum).name)
        exporter.stop.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def _once(exporter: service.Exporter, registry: ty.Any) -> int:
    from prometheus_client import exposition

    try:
        answered = exporter.cycle()
    finally:
        exporter.close()
    sys.stdout.write(exposition.generate_latest(registry).decode('utf-8'))
    return 0 if answered else 1


def _serve(exporter: service.Exporter, registry: ty.Any,
           address: options.Listen) -> int:
    from prometheus_client import exposition

    try:
        server, _thread = exposition.start_http_server(
            address.port, address.host, registry)
    except OSError as exc:
        exporter.close()
        sys.stderr.write('%s: cannot listen on %s:%d: %s\n' % (
            options.PROG, address.host, address.port,
            exc.strerror or exc))
        return 1
    LOG.info('Serving metrics on http://%s:%d/metrics for %s', address.host,
             server.server_port,
             ', '.join(p.cloud for p in exporter.pollers))
    try:
        exporter.run()
    finally:
        server.shutdown()
        server.server_close()
        exporter.close()
    LOG.info('Stopped')
    return 0


def _configure_logging(debug: bool) -> None:
    logging.basicConfig(
        stream=sys.stderr, level=logging.DEBUG if debug else logging.INFO,
        format='%(asctime)s %(levelname)s %(name)s: %(message)s')
    if not debug:
        for name in CHATTY_LOGGERS:
            logging.getLogger(name).setLevel(logging.ERROR)
