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
from powervc_osc.exporter import fleet_view
from powervc_osc.exporter import health as health_mod
from powervc_osc.exporter import metrics
from powervc_osc.exporter import options
from powervc_osc.exporter import poller as poller_mod
from powervc_osc.exporter import service
from powervc_osc.exporter import serving
from powervc_osc.exporter import state
from powervc_osc.exporter import webconfig
from powervc_osc.options import filters

LOG = logging.getLogger('powervc_osc.exporter')
#: Loggers that would repeat per request, retry or cycle (the poller logs
#: an outage once); below ERROR they are shown with --debug only.
CHATTY_LOGGERS = ('keystoneauth', 'openstack', 'urllib3',
                  'powervc_osc.client', 'powervc_osc.http')
#: Characters of a log line at most (past them it is cut, marked '...').
MAX_LOG_LINE = 200


class SetupError(Exception):
    """The exporter cannot start; the message is one line for a human."""


def main(argv: ty.Sequence[str] | None = None) -> int:
    args = options.parse(argv)
    _configure_logging(args.debug)
    try:
        web = _web_config(args.web_config_file)
        exporter = build(args)
    except SetupError as exc:
        sys.stderr.write('%s: %s\n' % (options.PROG, exc))
        return 1
    page = make_exposition(exporter.board, exporter.health)
    reloader = _WebReloader(args.web_config_file)
    _handle_signals(exporter, reloader if args.web_config_file else None)
    if args.once:
        status = _once(exporter, page)
    else:
        fleet = fleet_view.FleetView(exporter.board, exporter.changes,
                                     args.interval.total_seconds())
        page.also.append(fleet.render)
        exporter.on_publish = page.render_soon
        status = _serve(exporter, page, args.listen, web, reloader, fleet)
    if exporter.busy():
        # A poll is still waiting for PowerVC: its thread ("poll-<cloud>"
        # with --once, else "loop-<cloud>") and the "powervc-osc-<n>"
        # request threads of RefcodeClient.list are daemons, so the
        # interpreter does not wait for them, but its shutdown would
        # finalize modules (and the stdout and logging locks) while they
        # still run. The metrics server is stopped, the store closed and
        # the output flushed: end now.
        logging.shutdown()
        sys.stdout.flush()
        os._exit(status)
    return status


def build(args: argparse.Namespace) -> service.Exporter:
    """The exporter the options describe (no PowerVC call yet)."""
    from powervc_osc import client as client_mod

    _check_clouds_yaml()
    names = args.clouds or [os.environ.get('OS_CLOUD') or None]
    health = health_mod.Health()
    health.expect([name or 'default' for name in names],
                  args.history is not None)
    tracker = _change_tracker(args, health)
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
            filters.list_filters(args), max_age=args.max_age,
            interval=args.interval.total_seconds(), health=health))
    return service.Exporter(pollers, state.Board(), tracker,
                            args.interval.total_seconds(), health=health)


def _change_tracker(args: argparse.Namespace,
                    health: health_mod.Health,
                    ) -> changes_mod.ChangeTracker:
    if args.history is None:
        return changes_mod.MemoryChanges()
    from powervc_osc import history

    try:
        store = history.HistoryStore(args.history or None)
    except history.HistoryError as exc:
        raise SetupError(str(exc))
    return changes_mod.HistoryChanges(store, args.retention, health=health)


def _web_config(path: str | None) -> webconfig.WebConfig | None:
    if path is None:
        return None
    try:
        return webconfig.load(path)
    except webconfig.WebConfigError as exc:
        raise SetupError(str(exc))


class _WebReloader:
    """SIGHUP with ``--web-config-file``: read the file again, in place.

    A file that became wrong is logged and the configuration in force
    is kept; a good one serves the connections opened from then on.
    """

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.server: serving.MetricsServer | None = None

    def __call__(self) -> None:
        if self.server is None or self.path is None:
            LOG.info('SIGHUP: not serving yet; %s is read at the start',
                     self.path)
            return
        try:
            web = webconfig.load(self.path)
        except webconfig.WebConfigError as exc:
            LOG.error('SIGHUP: the web configuration in force is kept: %s',
                      exc)
            return
        try:
            self.server.reload(web)
        except Exception as exc:  # the server goes on with the old one
            LOG.error('SIGHUP: the web configuration in force is kept: '
                      '%s could not be applied: %s', self.path, exc)
            return
        LOG.info('SIGHUP: read %s again: %s', self.path, web.describe())


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


def make_exposition(board: state.Board,
                    health: health_mod.Health | None = None,
                    ) -> serving.Exposition:
    """The metrics page of ``board``, rendered once (empty board) now."""
    from prometheus_client import process_collector
    from prometheus_client import registry as registry_mod

    static = registry_mod.CollectorRegistry(auto_describe=False)
    static.register(metrics.RefcodeCollector(board))
    if health is not None:
        static.register(health)
    metrics.register_build_info(static, options.version())
    live = registry_mod.CollectorRegistry(auto_describe=False)
    process_collector.ProcessCollector(registry=live)
    page = serving.Exposition(static, live)
    page.render()
    return page


def _handle_signals(exporter: service.Exporter,
                    reload_web: ty.Callable[[], None] | None = None,
                    ) -> None:
    """SIGTERM, SIGINT and SIGHUP stop the exporter cleanly (exit 0).

    SIGHUP does not reload in place: the service manager starts the
    exporter again, which then reads its options and clouds.yaml anew
    (the shipped systemd unit restarts it).  With ``--web-config-file``
    (``reload_web``), SIGHUP instead reads that file again and the
    exporter goes on.  A SIGHUP ignored by the parent (``nohup``) stays
    ignored.
    """
    def stop(signum: int, frame: ty.Any) -> None:
        LOG.info('Stopping (%s)', signal.Signals(signum).name)
        exporter.stop.set()

    def hangup(signum: int, frame: ty.Any) -> None:
        LOG.info('Stopping (SIGHUP): start the exporter again to read its '
                 'configuration')
        exporter.stop.set()

    def reread(signum: int, frame: ty.Any) -> None:
        assert reload_web is not None
        reload_web()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if signal.getsignal(signal.SIGHUP) is not signal.SIG_IGN:
        signal.signal(signal.SIGHUP, hangup if reload_web is None
                      else reread)


def _once(exporter: service.Exporter, page: serving.Exposition) -> int:
    try:
        answered = exporter.cycle()
    finally:
        exporter.close()
    page.render()
    sys.stdout.write(b''.join(page.page()).decode('utf-8'))
    if exporter.health.write_failures():
        # Cron must tell: the next run would not know these changes.
        LOG.error('The changes of this poll were not recorded in the '
                  'history store (see the warning above)')
        return 1
    return 0 if answered else 1


def _serve(exporter: service.Exporter, page: serving.Exposition,
           address: options.Listen,
           web: webconfig.WebConfig | None = None,
           reloader: _WebReloader | None = None,
           fleet: fleet_view.FleetView | None = None) -> int:
    try:
        server = serving.MetricsServer(page, address.host, address.port,
                                       web=web, fleet=fleet).start()
    except OSError as exc:
        exporter.close()
        sys.stderr.write('%s: cannot listen on %s:%d: %s\n' % (
            options.PROG, address.host, address.port,
            exc.strerror or exc))
        return 1
    if reloader is not None:
        reloader.server = server
    LOG.info('Serving metrics on %s://%s:%d/metrics for %s', server.scheme,
             address.host, server.port,
             ', '.join(p.cloud for p in exporter.pollers))
    if fleet is not None:
        LOG.info('The fleet page: %s://%s:%d/', server.scheme, address.host,
                 server.port)
    if web is not None:
        LOG.info('Web configuration %s: %s', web.path, web.describe())
    try:
        exporter.run()
    finally:
        server.stop()
        page.stop()
        exporter.close()
    LOG.info('Stopped')
    return 0


class _ShortLines(logging.Formatter):
    """Log lines of at most :data:`MAX_LOG_LINE` characters, one line each.

    With --debug, lines are whole (tracebacks included).
    """

    def format(self, record: logging.LogRecord) -> str:
        line = ' '.join(super().format(record).split())
        if len(line) > MAX_LOG_LINE:
            line = line[:MAX_LOG_LINE - 3] + '...'
        return line


def _configure_logging(debug: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    form = '%(asctime)s %(levelname)s %(name)s: %(message)s'
    handler.setFormatter(logging.Formatter(form) if debug
                         else _ShortLines(form))
    logging.basicConfig(level=logging.DEBUG if debug else logging.INFO,
                        handlers=[handler])
    if not debug:
        for name in CHATTY_LOGGERS:
            logging.getLogger(name).setLevel(logging.ERROR)
