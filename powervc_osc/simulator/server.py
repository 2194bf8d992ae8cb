# Copyright 2026 The powervc_osc Authors
#
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

"""Run the simulator: a threaded Werkzeug server plus a Python API.

Example::

    from powervc_osc.simulator.server import Simulator

    with Simulator(step_seconds=0.5) as sim:
        sim.write_clouds_yaml('/tmp/clouds.yaml')
        ...  # openstack --os-cloud powervc-simulator server list
        print(sim.requests.snapshot())

For testtools tests, see
:class:`powervc_osc.simulator.fixture.SimulatorFixture`.
"""

import ipaddress
import logging
import os
import tempfile
import threading
import typing as ty

import yaml

from werkzeug import serving

from powervc_osc.simulator import app as sim_app
from powervc_osc.simulator import control
from powervc_osc.simulator import faults as faults_mod
from powervc_osc.simulator import identity
from powervc_osc.simulator import keepalive
from powervc_osc.simulator import records as sim_records
from powervc_osc.simulator import requestlog
from powervc_osc.simulator import settings as sim_settings
from powervc_osc.simulator import state as sim_state

LOG = logging.getLogger(__name__)

CLOUD_NAME = 'powervc-simulator'
CLOUD_USERS = (
    (CLOUD_NAME, 'admin'),
    (CLOUD_NAME + '-operator', 'operator'),
    (CLOUD_NAME + '-other', 'other'),
)


class _Handler(keepalive.Handler):
    """Keeps connections open; logs to the module logger (debug)."""

    def log(self, type: str, message: str, *args: ty.Any) -> None:
        LOG.debug('%s - %s', self.address_string(), message % args)

    def log_request(self, code: int | str = '-',
                    size: int | str = '-') -> None:
        LOG.debug('%s "%s" %s', self.address_string(), self.requestline,
                  code)

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The ``Date`` header, by the fleet's wall clock.

        As PowerVC's answers carry its clock; advance() moves it.
        """
        state = getattr(getattr(self.server, 'app', None), 'state', None)
        if timestamp is None and state is not None:
            timestamp = state.wall_now()
        return super().date_time_string(timestamp)


is_loopback = control.is_loopback


class Simulator:
    """A PowerVC simulator listening on ``host:port``.

    :param settings: a
        :class:`~powervc_osc.simulator.settings.SimulatorSettings`
        (default: the defaults).
    :param fields: settings fields replacing those of ``settings``, e.g.
        ``Simulator(step_seconds=0.5)``.
    """

    def __init__(self, settings: sim_settings.SimulatorSettings | None = None,
                 **fields: ty.Any) -> None:
        self.settings = sim_settings.resolve(settings, **fields)
        self.host = self.settings.host
        self.port = self.settings.port
        self.state = sim_state.SimulatorState(self.settings)
        self.tokens = identity.TokenStore(
            self.state, token_ttl=self.settings.token_ttl)
        app_class = sim_app.SimulatorApp
        # Keystone mode hook (see keystone_mode): another scope source.
        self.keystone = self.settings.keystone
        if self.keystone is not None:
            from powervc_osc.simulator import keystone_mode
            app_class = keystone_mode.KeystoneSimulatorApp
        self.app = app_class(self.state, self.tokens, self.settings)
        self._server: serving.BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._temp_files: list[str] = []

    # -- lifecycle ----------------------------------------------------

    def start(self) -> 'Simulator':
        """Start serving in a daemon thread; returns self."""
        if self._server is not None:
            raise RuntimeError('the simulator is already running')
        app: ty.Callable[..., ty.Any] = self.app
        if self.keystone is not None:
            # Keystone mode hook: auth_token validates every token.
            from powervc_osc.simulator import keystone_mode
            app = keystone_mode.wrap(app, self.keystone)
        self._server = serving.make_server(
            self.host, self.port, app, threaded=True,
            request_handler=_Handler)
        self.port = self._server.socket.getsockname()[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={'poll_interval': 0.1},
            name='powervc-osc-simulator', daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving (idempotent) and remove files it wrote to /tmp."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
            thread, self._thread = self._thread, None
            if thread is not None:
                thread.join(10)
        for path in self._temp_files:
            try:
                os.unlink(path)
            except OSError:
                pass
        self._temp_files = []

    def __enter__(self) -> 'Simulator':
        return self.start()

    def __exit__(self, *exc_info: ty.Any) -> None:
        self.stop()

    # -- URLs ---------------------------------------------------------

    @property
    def url(self) -> str:
        """``http://host:port`` (IPv6 hosts in brackets).

        A wildcard listen address is advertised as loopback.
        """
        host = self.host or '127.0.0.1'
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            address = None
        if address is not None and address.is_unspecified:
            host = '::1' if address.version == 6 else '127.0.0.1'
        if ':' in host:
            host = '[%s]' % host
        return 'http://%s:%d' % (host, self.port)

    @property
    def auth_url(self) -> str:
        if self.keystone is not None:   # Keystone mode hook
            return self.keystone.auth_url
        return self.url + identity.IDENTITY_PATH + '/v3'

    @property
    def compute_root(self) -> str:
        """The unversioned compute URL."""
        return self.url + identity.COMPUTE_PATH

    @property
    def compute_url(self) -> str:
        """The catalog's compute endpoint of ``ibm-default``."""
        return '%s/v2.1/%s' % (self.compute_root,
                               sim_records.PROJECTS[
                                   sim_records.PROJECT_DEFAULT])

    def compute_url_for(self, project: str) -> str:
        project_id = sim_records.PROJECTS.get(project, project)
        return '%s/v2.1/%s' % (self.compute_root, project_id)

    # -- clouds.yaml --------------------------------------------------

    def clouds(self) -> dict[str, dict[str, ty.Any]]:
        """The ``clouds`` entries for the three users."""
        clouds: dict[str, dict[str, ty.Any]] = {}
        for cloud_name, user_name in CLOUD_USERS:
            user = sim_records.USERS[user_name]
            clouds[cloud_name] = {
                'auth_type': 'password',
                'auth': {
                    'auth_url': self.auth_url,
                    'username': user.name,
                    'password': user.password,
                    'project_name': user.project,
                    'user_domain_name': sim_records.DOMAIN_NAME,
                    'project_domain_name': sim_records.DOMAIN_NAME,
                },
                'region_name': identity.REGION,
                'interface': 'public',
                'identity_api_version': 3,
            }
        return clouds

    def write_clouds_yaml(self, path: str | None = None) -> str:
        """Write (merge into) a clouds.yaml; returns its path.

        Other clouds of an existing file are kept.  Without ``path`` a
        temporary file is written and removed by :meth:`stop`.
        """
        if path is None:
            fd, path = tempfile.mkstemp(prefix='powervc-sim-',
                                        suffix='-clouds.yaml')
            os.close(fd)
            self._temp_files.append(path)
        return write_clouds_yaml(path, self.clouds())

    # -- test helpers -------------------------------------------------

    @property
    def requests(self) -> requestlog.RequestLog:
        """The :class:`~powervc_osc.simulator.requestlog.RequestLog`."""
        return self.app.requests

    @property
    def faults(self) -> faults_mod.FaultList:
        """The :class:`~powervc_osc.simulator.faults.FaultList`."""
        return self.app.faults

    def add_fault(self, **kwargs: ty.Any) -> faults_mod.Fault:
        """Add a targeted :class:`~powervc_osc.simulator.faults.Fault`."""
        return self.app.faults.add(**kwargs)

    def revoke_tokens(self) -> int:
        """Invalidate every issued token; returns how many."""
        return self.tokens.revoke_all()

    def advance(self, seconds: float) -> None:
        """Move the simulated clocks forward."""
        self.state.advance(seconds)

    @property
    def latency_ms(self) -> float:
        """Sleep before each identity and compute answer (settable)."""
        return self.settings.latency_ms

    @latency_ms.setter
    def latency_ms(self, value: float | str) -> None:
        self.settings.latency_ms = float(value)

    @property
    def error_rate(self) -> float:
        """The probability of a random 503 (settable)."""
        return self.settings.error_rate

    @error_rate.setter
    def error_rate(self, value: float | str) -> None:
        self.settings.error_rate = sim_settings.check_error_rate(value)

    def server_id(self, name: str) -> str:
        """The id of the only server called ``name``."""
        return self.state.server_id(name)


def write_clouds_yaml(path: str, clouds: ty.Mapping[str, ty.Any]) -> str:
    """Merge ``clouds`` into the clouds.yaml at ``path``.

    A new file is created with mode 0600; an existing file keeps its mode.
    """
    data: dict = {}
    if os.path.exists(path) and os.path.getsize(path):
        with open(path) as stream:
            data = yaml.safe_load(stream) or {}
        if not isinstance(data, dict):
            raise ValueError('%s is not a clouds.yaml mapping' % path)
    existing = data.get('clouds')
    if not isinstance(existing, dict):
        existing = {}
    existing.update(clouds)
    data['clouds'] = existing
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as stream:
        yaml.safe_dump(data, stream, default_flow_style=False)
    return path
