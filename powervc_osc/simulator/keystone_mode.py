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

"""Keystone mode: the compute API behind ``keystonemiddleware.auth_token``.

In this mode the simulator trusts a real Keystone instead of its built-in
identity service: every request goes through
:class:`keystonemiddleware.auth_token.AuthProtocol` (with
``delay_auth_decision``, so the version documents and the ``/_sim``
control API still answer without a token), and the compute API takes the
caller's scope from the headers that the middleware sets for a validated
token: ``X-Identity-Status: Confirmed``, ``X-User-Id``, ``X-Project-Id``
and ``X-Roles`` (role names; ``admin`` sees every project).  The middleware
removes these headers from incoming requests first, so a client cannot
forge them.  The built-in ``.../identity`` endpoints answer 404.

The fleet's projects keep their fixed IDs (see
:mod:`powervc_osc.simulator.state`): create the Keystone projects with
those IDs (``tools/keystone/bootstrap.py`` does), or add servers to the
projects Keystone has.

Example::

    auth = KeystoneAuth('http://127.0.0.1:5000/v3', username='nova',
                        password='secret', region_name='RegionOne')
    with Simulator(keystone=auth) as sim:
        ...   # register sim.compute_root + '/v2.1/$(project_id)s' in
              # Keystone's catalog

This module imports ``keystonemiddleware`` and ``oslo.config`` only when a
simulator in Keystone mode is built; they are not requirements of the
plugin (the ``functional-keystone`` tox environment installs them).
"""

import dataclasses
import hashlib
import threading
import time
import typing

from werkzeug import wrappers

from powervc_osc.simulator import app as sim_app
from powervc_osc.simulator import identity
from powervc_osc.simulator import identity_api
from powervc_osc.simulator import records as sim_records

AUTHTOKEN_GROUP = 'keystone_authtoken'


@dataclasses.dataclass
class KeystoneAuth:
    """How the simulator's ``auth_token`` middleware reaches Keystone.

    :param auth_url: Keystone's v3 URL (``http://127.0.0.1:5000/v3``).
    :param username: the simulator's service user (it needs the
        ``service`` role, or ``admin``, to validate tokens).
    :param password: its password.
    :param project_name: the service user's project.
    :param user_domain_name: the service user's domain.
    :param project_domain_name: the project's domain.
    :param region_name: the region whose identity endpoint validates
        tokens (None: any).
    :param interface: the catalog interface of that endpoint.
    :param token_cache_time: seconds a validated token is cached (-1: no
        cache).
    """

    auth_url: str
    username: str
    password: str
    project_name: str = 'service'
    user_domain_name: str = sim_records.DOMAIN_NAME
    project_domain_name: str = sim_records.DOMAIN_NAME
    region_name: typing.Optional[str] = None
    interface: str = 'internal'
    token_cache_time: int = 300

    def middleware_config(self) -> dict[str, typing.Any]:
        """``(paste_conf, oslo_conf)`` for :class:`AuthProtocol`."""
        from keystoneauth1 import loading
        from oslo_config import cfg

        conf = cfg.ConfigOpts()
        conf([], project='powervc-osc-simulator', default_config_files=[],
             default_config_dirs=[])
        plugin: typing.Any = loading.get_plugin_loader('password')
        conf.register_opts(loading.get_auth_plugin_conf_options(plugin),
                           group=AUTHTOKEN_GROUP)
        for name, value in (('auth_url', self.auth_url),
                            ('username', self.username),
                            ('password', self.password),
                            ('project_name', self.project_name),
                            ('user_domain_name', self.user_domain_name),
                            ('project_domain_name',
                             self.project_domain_name)):
            conf.set_override(name, value, group=AUTHTOKEN_GROUP)
        paste: dict[str, typing.Any] = {
            'oslo_config_config': conf,
            'auth_type': 'password',
            'www_authenticate_uri': self.auth_url,
            'delay_auth_decision': True,
            'include_service_catalog': False,
            'service_type': 'compute',
            'interface': self.interface,
            'token_cache_time': self.token_cache_time,
        }
        if self.region_name:
            paste['region_name'] = self.region_name
        return paste


class TokenRecord(typing.NamedTuple):
    """A validated token seen by the compute API (for tests).

    ``token`` is a SHA-256 digest of the token, never the token itself;
    ``expires`` is the token's expiry (epoch seconds, or None);
    ``seen`` is when the request arrived (epoch seconds).
    """

    token: str
    user_id: str
    project_id: str
    expires: typing.Optional[float]
    seen: float


class KeystoneIdentityAPI(identity_api.IdentityAPI):
    """Callers come from ``auth_token``; the built-in identity is off."""

    def __init__(self, tokens: identity.TokenStore) -> None:
        super().__init__(tokens)
        self._seen_lock = threading.Lock()
        self._seen: list[TokenRecord] = []

    @property
    def seen_tokens(self) -> list[TokenRecord]:
        """:class:`TokenRecord` of every compute request, oldest first."""
        with self._seen_lock:
            return list(self._seen)

    def context(self, request: wrappers.Request) -> sim_records.Context:
        headers = request.headers
        if headers.get('X-Identity-Status') != 'Confirmed':
            raise identity.unauthorized()
        roles = tuple(r.strip() for r in
                      (headers.get('X-Roles') or '').split(',')
                      if r.strip())
        ctx = sim_records.Context(headers.get('X-User-Id', ''),
                                  headers.get('X-Project-Id', ''), roles)
        self._remember(request, ctx)
        return ctx

    def _remember(self, request: wrappers.Request,
                  ctx: sim_records.Context) -> None:
        token = request.headers.get('X-Auth-Token') or ''
        auth = request.environ.get('keystone.token_auth')
        expires = None
        user = getattr(auth, 'user', None)
        if user is not None and getattr(user, 'expires', None):
            expires = user.expires.timestamp()
        record = TokenRecord(hashlib.sha256(token.encode()).hexdigest(),
                             ctx.user_id, ctx.project_id, expires,
                             time.time())
        with self._seen_lock:
            self._seen.append(record)

    def auth_tokens(self, request: wrappers.Request) -> wrappers.Response:
        raise identity.IdentityError(
            404, 'Not Found', 'This simulator uses an external Keystone.')

    versions = version = auth_tokens


class KeystoneSimulatorApp(sim_app.SimulatorApp):
    """The simulator's WSGI application, scoped by ``auth_token``."""

    identity_class = KeystoneIdentityAPI

    @property
    def seen_tokens(self) -> list[TokenRecord]:
        """See :attr:`KeystoneIdentityAPI.seen_tokens`."""
        return typing.cast(KeystoneIdentityAPI, self.identity).seen_tokens


def wrap(app: typing.Callable[..., typing.Any],
         auth: KeystoneAuth) -> typing.Callable[..., typing.Any]:
    """Wrap a WSGI application in ``auth_token`` configured by ``auth``."""
    from keystonemiddleware import auth_token

    return auth_token.AuthProtocol(app, auth.middleware_config())
