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

"""Answers shared by every endpoint: JSON, Nova and Keystone errors."""

import json
import typing as ty

from werkzeug import wrappers

from powervc_osc.simulator import identity
from powervc_osc.simulator import records as sim_records

MAX_BODY = 64 * 1024
_REQUIRED = object()


class Request(wrappers.Request):
    """A Werkzeug request refusing bodies over :data:`MAX_BODY` (413)."""

    max_content_length = MAX_BODY


def host_root(request: wrappers.Request) -> str:
    """``http://host:port`` as the client addressed the simulator."""
    return request.host_url.rstrip('/')


def compute_root(request: wrappers.Request) -> str:
    """The unversioned compute URL."""
    return host_root(request) + identity.COMPUTE_PATH


def identity_url(request: wrappers.Request) -> str:
    """The identity v3 URL (the ``auth_url``)."""
    return host_root(request) + identity.IDENTITY_PATH + '/v3'


def json_body(request: wrappers.Request,
              empty: ty.Any = _REQUIRED) -> ty.Any:
    """The request's JSON body, or ``empty`` for an empty body.

    :raises ValueError: malformed JSON, or an empty body without
        ``empty``.
    """
    data = request.get_data(cache=True)
    if not data:
        if empty is _REQUIRED:
            raise ValueError('empty request body')
        return empty
    return json.loads(data)


def json_response(data: ty.Any, status: int = 200,
                  headers: ty.Mapping[str, str] | None = None,
                  ) -> wrappers.Response:
    """``data`` as JSON (None: an empty body)."""
    body = '' if data is None else json.dumps(data)
    return wrappers.Response(
        body, status=status, headers=headers,
        content_type='application/json' if data is not None else None)


def no_content() -> wrappers.Response:
    return wrappers.Response(status=204)


def nova_error(code: int, message: str,
               headers: ty.Mapping[str, str] | None = None,
               ) -> wrappers.Response:
    """Nova's ``{"<faultName>": {"code", "message"}}``."""
    kind = sim_records.nova_fault_name(code)
    return json_response({kind: {'code': code, 'message': message}},
                         status=code, headers=headers)


def keystone_error(error: identity.IdentityError,
                   headers: ty.Mapping[str, str] | None = None,
                   ) -> wrappers.Response:
    """A :class:`~powervc_osc.simulator.identity.IdentityError`."""
    return json_response(error.body(), status=error.code, headers=headers)
