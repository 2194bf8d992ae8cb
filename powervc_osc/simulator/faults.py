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

"""Faults: targeted ones (:class:`Fault`) and random 503s (``error_rate``).

A :class:`Fault` matches a request by method and a regular expression
searched in its path; it answers a given status and body, delays the
answer, or closes the connection without an answer (``reset``).  Random
503 answers (:class:`RandomErrors`) only hit the project-scoped compute
API, never the version documents or the identity service.
"""

import dataclasses
import random
import re
import socket
import struct
import threading
import typing

from werkzeug import wrappers

from powervc_osc.simulator import identity
from powervc_osc.simulator import responses

_COMPUTE_API = identity.COMPUTE_PATH + '/v2.1/'


@dataclasses.dataclass
class Fault:
    """A targeted fault.

    :param path: a regular expression searched in the request path.
    :param method: an HTTP method, or None for any.
    :param status: answer this status (None: answer normally).
    :param body: the answer body (default: a JSON error of the service).
    :param content_type: of ``body`` (default ``application/json``).
    :param headers: extra answer headers.
    :param count: how many requests it hits (None: all of them).
    :param delay_ms: sleep this long first.
    :param reset: close the connection without an answer.
    """

    path: str = ''
    method: typing.Optional[str] = None
    status: typing.Optional[int] = None
    body: typing.Optional[str] = None
    content_type: typing.Optional[str] = None
    headers: dict = dataclasses.field(default_factory=dict)
    count: typing.Optional[int] = None
    delay_ms: float = 0
    reset: bool = False
    id: int = 0
    hits: int = 0

    FIELDS = ('path', 'method', 'status', 'body', 'content_type',
              'headers', 'count', 'delay_ms', 'reset')

    @classmethod
    def from_dict(cls, data: typing.Mapping[str, typing.Any]) -> 'Fault':
        if not isinstance(data, dict):
            raise ValueError('a fault must be a JSON object')
        unknown = set(data) - set(cls.FIELDS)
        if unknown:
            raise ValueError('unknown fault fields: %s'
                             % ', '.join(sorted(unknown)))
        fault = cls(**data)
        fault.validate()
        return fault

    def validate(self) -> None:
        re.compile(self.path or '')
        if self.status is None and not self.delay_ms and not self.reset:
            raise ValueError('a fault needs status, delay_ms or reset')
        if self.status is not None and not 100 <= int(self.status) <= 599:
            raise ValueError('status must be an HTTP status code')
        if self.count is not None and int(self.count) < 1:
            raise ValueError('count must be positive')
        if self.body is not None and not isinstance(self.body, str):
            raise ValueError('body must be a string')

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method.upper():
            return False
        return re.search(self.path or '', path) is not None

    def to_dict(self) -> dict[str, typing.Any]:
        data = {name: getattr(self, name) for name in self.FIELDS}
        data.update(id=self.id, hits=self.hits)
        return data

    def response(self, request: wrappers.Request) -> wrappers.Response:
        """The answer of a fault with a ``status``."""
        if self.status is None:
            raise ValueError('this fault answers no status')
        status = int(self.status)
        headers = dict(self.headers or {})
        if self.body is not None:
            return wrappers.Response(
                self.body, status=status, headers=headers,
                content_type=self.content_type or 'application/json')
        if request.path.startswith(identity.IDENTITY_PATH):
            error = identity.IdentityError(
                status, 'Error', 'Simulated fault (%d).' % status)
            return responses.keystone_error(error, headers=headers)
        return responses.nova_error(status, 'Simulated fault (%d).' % status,
                                    headers=headers)


class FaultList:
    """Thread-safe targeted faults; the first matching one wins."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._next_id = 1

    def add(self, fault: 'Fault | dict[str, typing.Any] | None' = None,
            **kwargs: typing.Any) -> 'Fault':
        """Add a :class:`Fault` (or its fields as keyword arguments)."""
        if fault is None:
            fault = Fault.from_dict(kwargs)
        elif isinstance(fault, dict):
            fault = Fault.from_dict(fault)
        else:
            fault.validate()
        with self._lock:
            fault.id = self._next_id
            self._next_id += 1
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def snapshot(self) -> list[Fault]:
        with self._lock:
            return [dataclasses.replace(f) for f in self._faults]

    def take(self, method: str, path: str) -> Fault | None:
        """The first fault matching, consuming one of its ``count``."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.hits += 1
                    if fault.count is not None:
                        fault.count -= 1
                        if fault.count <= 0:
                            self._faults.remove(fault)
                    return dataclasses.replace(fault)
        return None


class RandomErrors:
    """Seeded random 503s on the project-scoped compute API."""

    def __init__(self, seed: typing.Any) -> None:
        # Simulated faults, not security.
        self._rng = random.Random('errors/%s' % seed)  # nosec B311
        self._lock = threading.Lock()

    def hit(self, path: str, rate: float) -> bool:
        """True when the request for ``path`` should answer 503."""
        if rate <= 0 or not path.startswith(_COMPUTE_API):
            return False
        rest = path[len(_COMPUTE_API):].strip('/')
        if '/' not in rest:
            return False      # a version document
        with self._lock:
            return self._rng.random() < rate

    @staticmethod
    def response() -> wrappers.Response:
        return responses.nova_error(
            503, 'The server is currently unavailable. Please try again '
            'at a later time. (simulated)')


def reset_connection(environ: typing.Mapping[str, typing.Any]) -> None:
    """Close the client's connection without an answer (TCP RST)."""
    sock = environ.get('werkzeug.socket')
    if sock is None:
        return
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                        struct.pack('ii', 1, 0))
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
