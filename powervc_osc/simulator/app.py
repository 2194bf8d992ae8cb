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

"""The simulator's WSGI application (Werkzeug): routing only.

Every URL is a row of :data:`ROUTES` (``{base}`` is ``http://host:port``):

* ``{base}/``: where the services are (:func:`.views.index`).
* ``{base}/powervc/openstack/identity/...``: the built-in Keystone
  (:mod:`.identity_api`).
* ``{base}/powervc/openstack/compute/...``: Nova (:mod:`.compute_api`).
* ``{base}/_sim/...``: the control API (:mod:`.control`).

Before the handler, a request may meet a targeted fault, the ``latency_ms``
sleep or a random 503 (:mod:`.faults`); the answer gets an
``X-OpenStack-Request-Id`` and the request is logged
(:mod:`.requestlog`).  Control requests skip all of that.
"""

import functools
import logging
import time
import typing
import uuid

from werkzeug import exceptions as wz_exc
from werkzeug import routing
from werkzeug import wrappers

from powervc_osc.simulator import compute_api
from powervc_osc.simulator import control
from powervc_osc.simulator import faults as sim_faults
from powervc_osc.simulator import identity
from powervc_osc.simulator import identity_api
from powervc_osc.simulator import records as sim_records
from powervc_osc.simulator import requestlog
from powervc_osc.simulator import responses
from powervc_osc.simulator import settings as sim_settings
from powervc_osc.simulator import state as sim_state
from powervc_osc.simulator import views

LOG = logging.getLogger(__name__)

IDENTITY = identity.IDENTITY_PATH
COMPUTE = identity.COMPUTE_PATH
PROJECT = COMPUTE + '/v2.1/<project_id>'
SIM = control.PREFIX


class Route(typing.NamedTuple):
    """``path`` answered by the method ``handler`` of the API ``api``.

    ``api`` is a key of :attr:`SimulatorApp.apis`; the handlers of
    ``compute`` take a token and a microversion
    (:meth:`.compute_api.ComputeAPI.call`).  ``methods`` None: any.
    """

    path: str
    api: str
    handler: str
    methods: typing.Optional[tuple] = None


GET = ('GET',)
ROUTES = (
    Route('/', 'app', 'index'),
    Route(IDENTITY, 'identity', 'versions'),
    Route(IDENTITY + '/', 'identity', 'versions'),
    Route(IDENTITY + '/v3', 'identity', 'version'),
    Route(IDENTITY + '/v3/', 'identity', 'version'),
    Route(IDENTITY + '/v3/auth/tokens', 'identity', 'auth_tokens',
          ('GET', 'HEAD', 'POST', 'DELETE')),
    Route(IDENTITY + '/v3/projects', 'identity', 'projects', GET),
    Route(IDENTITY + '/v3/projects/<project_id>', 'identity', 'project', GET),
    Route(IDENTITY + '/v3/domains', 'identity', 'domains', GET),
    Route(IDENTITY + '/v3/domains/<domain_id>', 'identity', 'domain', GET),
    Route(COMPUTE, 'compute_versions', 'versions'),
    Route(COMPUTE + '/', 'compute_versions', 'versions'),
    Route(COMPUTE + '/v2.1', 'compute_versions', 'version'),
    Route(COMPUTE + '/v2.1/', 'compute_versions', 'version'),
    Route(PROJECT, 'compute_versions', 'version'),
    Route(PROJECT + '/', 'compute_versions', 'version'),
    Route(PROJECT + '/servers', 'compute', 'servers', GET),
    Route(PROJECT + '/servers/detail', 'compute', 'servers_detail', GET),
    Route(PROJECT + '/servers/<server_id>', 'compute', 'server', GET),
    Route(PROJECT + '/servers/<server_id>/metadata', 'compute', 'metadata',
          ('GET', 'POST', 'PUT')),
    Route(PROJECT + '/servers/<server_id>/metadata/<path:key>', 'compute',
          'metadata_item', ('GET', 'PUT', 'DELETE')),
    Route(PROJECT + '/servers/<server_id>/os-volume_attachments',
          'compute', 'volume_attachments', GET),
    Route(PROJECT + '/servers/<server_id>/ips', 'compute', 'ips', GET),
    Route(PROJECT + '/flavors', 'compute', 'flavors', GET),
    Route(PROJECT + '/flavors/detail', 'compute', 'flavors_detail', GET),
    Route(PROJECT + '/flavors/<flavor_id>', 'compute', 'flavor', GET),
    Route(PROJECT + '/flavors/<flavor_id>/os-extra_specs', 'compute',
          'flavor_extra_specs', GET),
    Route(SIM + '/requests', 'control', 'requests', ('GET', 'DELETE')),
    Route(SIM + '/faults', 'control', 'faults', ('GET', 'POST', 'DELETE')),
    Route(SIM + '/tokens/revoke', 'control', 'revoke_tokens', ('POST',)),
    Route(SIM + '/clock', 'control', 'clock', ('POST',)),
    Route(SIM + '/servers', 'control', 'servers', ('GET', 'POST')),
)

URL_MAP = routing.Map(
    [routing.Rule(r.path, endpoint=r, methods=r.methods) for r in ROUTES],
    strict_slashes=False, merge_slashes=False)


class SimulatorApp:
    """The WSGI application.

    :param state: a :class:`~powervc_osc.simulator.state.SimulatorState`.
    :param tokens: a :class:`~powervc_osc.simulator.identity.TokenStore`.
    :param settings: the
        :class:`~powervc_osc.simulator.settings.SimulatorSettings`; read
        on every request, so ``latency_ms`` and ``error_rate`` may change
        while it serves.

    ``requests`` is the :class:`~.requestlog.RequestLog`, ``faults`` the
    :class:`~.faults.FaultList`.
    """

    #: Serves the identity routes and tells who a compute request is from.
    identity_class = identity_api.IdentityAPI

    def __init__(self, state: sim_state.SimulatorState,
                 tokens: identity.TokenStore,
                 settings: sim_settings.SimulatorSettings) -> None:
        self.state = state
        self.tokens = tokens
        self.settings = settings
        self.requests = requestlog.RequestLog()
        self.faults = sim_faults.FaultList()
        self.random_errors = sim_faults.RandomErrors(settings.seed)
        self.identity = self.identity_class(tokens)
        self.compute = compute_api.ComputeAPI(state, settings,
                                              self.identity.context)
        self.control = control.ControlAPI(state, tokens, self.requests,
                                          self.faults)
        #: The handler objects of :data:`ROUTES`, by ``Route.api``.
        self.apis = {'app': self, 'identity': self.identity,
                     'compute_versions': self.compute,
                     'compute': self.compute, 'control': self.control}

    @staticmethod
    def index(request: wrappers.Request) -> wrappers.Response:
        return responses.json_response(views.index(request))

    # -- WSGI ---------------------------------------------------------

    def __call__(self, environ: dict[str, typing.Any],
                 start_response: typing.Callable[..., typing.Any],
                 ) -> typing.Iterable[bytes]:
        request = responses.Request(environ)
        if request.path.startswith(SIM):
            response = self.control.call(
                request, lambda: self._match(request)())
            return response(environ, start_response)
        started = time.monotonic()
        fault = self.faults.take(request.method, request.path)
        if fault is not None and fault.delay_ms:
            self._pause(fault.delay_ms)
        if fault is not None and fault.reset:
            sim_faults.reset_connection(environ)
            self._log(request, requestlog.STATUS_RESET, started, True)
            response = wrappers.Response(b'', status=500)
            return response(environ, start_response)
        if fault is not None and fault.status is not None:
            response, faulted = fault.response(request), True
        else:
            response, faulted = self._serve(request)
        response.headers.setdefault(
            'X-OpenStack-Request-Id', 'req-%s' % uuid.uuid4())
        self._log(request, response.status_code, started, faulted)
        return response(environ, start_response)

    def _serve(self, request: wrappers.Request,
               ) -> tuple[wrappers.Response, bool]:
        """``(response, faulted)``: latency, a random 503 or the route."""
        path = request.path
        if self.settings.latency_ms and path.startswith((IDENTITY,
                                                         COMPUTE)):
            self._pause(self.settings.latency_ms)
        if self.random_errors.hit(path, self.settings.error_rate):
            return self.random_errors.response(), True
        return self._dispatch(request), False

    def _pause(self, milliseconds: float) -> None:
        """Sleep (on the settings' sleep, which the tests replace)."""
        if self.settings.sleep is not None:
            self.settings.sleep(milliseconds / 1000.0)

    def _log(self, request: wrappers.Request, status: int, started: float,
             fault: bool) -> None:
        self.requests.append(requestlog.RequestRecord(
            request.method, request.path, status,
            query=request.query_string.decode('latin-1'),
            started=started, finished=time.monotonic(), fault=fault))

    # -- routing ------------------------------------------------------

    def _match(self, request: wrappers.Request,
               ) -> typing.Callable[[], wrappers.Response]:
        """A function answering ``request``.

        :raises werkzeug.exceptions.HTTPException: no route (404, 405).
        """
        route, args = URL_MAP.bind_to_environ(request.environ).match()
        handler = getattr(self.apis[route.api], route.handler)
        if route.api == 'compute':
            return functools.partial(self.compute.call, request, handler,
                                     args)
        return functools.partial(handler, request, **args)

    def _dispatch(self, request: wrappers.Request) -> wrappers.Response:
        try:
            answer = self._match(request)
        except wz_exc.MethodNotAllowed as exc:
            response = responses.nova_error(
                405, 'The method is not allowed for the requested URL.')
            response.headers['Allow'] = ', '.join(exc.valid_methods or ())
            return response
        except wz_exc.HTTPException as exc:
            if request.path.startswith(IDENTITY):
                return responses.keystone_error(identity.IdentityError(
                    404, 'Not Found', 'The resource could not be found.'))
            return responses.nova_error(getattr(exc, 'code', 404) or 404,
                                        'The resource could not be found.')
        try:
            return answer()
        except identity.IdentityError as exc:
            return responses.keystone_error(exc)
        except sim_records.SimulatorError as exc:
            return responses.nova_error(exc.code, exc.message)
        except wz_exc.RequestEntityTooLarge:
            return responses.nova_error(413, 'Request is too large.')
        except Exception:
            LOG.exception('Unexpected error in %s %s', request.method,
                          request.path)
            return responses.nova_error(
                500, 'Unexpected API Error. (simulated PowerVC: see the '
                     'simulator log)')
