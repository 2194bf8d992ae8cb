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

"""The control API under ``/_sim/`` (loopback clients only, no token).

* ``GET|DELETE requests``: the request log (DELETE clears it).
* ``GET|POST|DELETE faults``: targeted faults; POST takes a
  :class:`~powervc_osc.simulator.faults.Fault` object, a list of them or
  ``{"faults": [...]}``.
* ``POST tokens/revoke``: invalidate every token.
* ``POST clock``: ``{"advance": seconds}`` moves the simulated clocks.
* ``GET|POST servers``: the fleet; POST takes
  :meth:`~powervc_osc.simulator.state.SimulatorState.add_server`
  arguments.

Control requests are neither logged nor hit by faults.
"""

import ipaddress
import re
import typing as ty

from werkzeug import exceptions as wz_exc
from werkzeug import wrappers

from powervc_osc.simulator import faults as sim_faults
from powervc_osc.simulator import identity
from powervc_osc.simulator import requestlog
from powervc_osc.simulator import responses
from powervc_osc.simulator import state as sim_state

PREFIX = '/_sim'


def is_loopback(host: str | None) -> bool:
    """True for loopback addresses and ``localhost``."""
    if host is None:
        return False
    if host in ('localhost', 'localhost.localdomain'):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ControlAPI:
    """Handlers of the ``/_sim/`` routes.

    :param state: the :class:`~powervc_osc.simulator.state.SimulatorState`.
    :param tokens: the :class:`~powervc_osc.simulator.identity.TokenStore`.
    :param request_log: the
        :class:`~powervc_osc.simulator.requestlog.RequestLog`.
    :param fault_list: the
        :class:`~powervc_osc.simulator.faults.FaultList`.
    """

    def __init__(self, state: sim_state.SimulatorState,
                 tokens: identity.TokenStore,
                 request_log: requestlog.RequestLog,
                 fault_list: sim_faults.FaultList) -> None:
        self.state = state
        self.tokens = tokens
        self.request_log = request_log
        self.fault_list = fault_list

    @staticmethod
    def call(request: wrappers.Request,
             answer: ty.Callable[[], wrappers.Response]) -> wrappers.Response:
        """``answer()`` (route, then handle) for loopback clients only.

        403 for other clients, the status of routing errors, 400 for bad
        input.
        """
        if not is_loopback(request.remote_addr):
            return responses.nova_error(
                403, 'The control API only answers loopback clients.')
        try:
            return answer()
        except wz_exc.HTTPException as exc:
            return responses.nova_error(exc.code or 404,
                                        exc.description or '')
        except (ValueError, TypeError, KeyError, re.error) as exc:
            return responses.nova_error(400, str(exc))

    def requests(self, request: wrappers.Request) -> wrappers.Response:
        if request.method == 'DELETE':
            self.request_log.clear()
            return responses.no_content()
        return responses.json_response({'requests': [
            r.to_dict() for r in self.request_log.snapshot()]})

    def faults(self, request: wrappers.Request) -> wrappers.Response:
        if request.method == 'DELETE':
            self.fault_list.clear()
            return responses.no_content()
        if request.method == 'POST':
            body = responses.json_body(request, empty=None)
            if isinstance(body, dict) and 'faults' in body:
                body = body['faults']
            items = body if isinstance(body, list) else [body]
            added = [sim_faults.Fault.from_dict(item) for item in items]
            return responses.json_response(
                {'faults': [self.fault_list.add(f).to_dict()
                            for f in added]},
                status=201)
        return responses.json_response({'faults': [
            f.to_dict() for f in self.fault_list.snapshot()]})

    def revoke_tokens(self, request: wrappers.Request) -> wrappers.Response:
        return responses.json_response(
            {'revoked': self.tokens.revoke_all()})

    def clock(self, request: wrappers.Request) -> wrappers.Response:
        body = responses.json_body(request, empty={})
        self.state.advance(float(body.get('advance', 0)))
        return responses.json_response(
            {'offset_applied': body.get('advance', 0)})

    def servers(self, request: wrappers.Request) -> wrappers.Response:
        if request.method == 'POST':
            body = responses.json_body(request, empty=None)
            if not isinstance(body, dict):
                raise ValueError('expected a JSON object')
            server = self.state.add_server(**body)
            return responses.json_response(
                {'server': {'id': server.id, 'name': server.name}},
                status=201)
        return responses.json_response({'servers': [
            {'id': s.id, 'name': s.name, 'os_type': s.os_type,
             'host': s.host, 'manager': s.manager,
             'project_id': s.project_id, 'status': s.status,
             'metadata': s.metadata}
            for s in self.state.servers()]})
