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

"""The request log: every answered request, for tests and benchmarks."""

import threading
import typing as ty

# The status logged for a connection closed without an answer.
STATUS_RESET = 0


class RequestRecord(tuple):
    """A logged request: a ``(method, path, status)`` tuple.

    Extra attributes: ``query`` (the raw query string), ``started`` and
    ``finished`` (``time.monotonic()`` values, to check concurrency) and
    ``fault`` (True when a fault or ``error_rate`` answered).  ``status``
    is :data:`STATUS_RESET` (0) when the connection was closed without an
    answer.
    """

    query: str
    started: float
    finished: float
    fault: bool

    def __new__(cls, method: str, path: str, status: int, query: str = '',
                started: float = 0.0, finished: float = 0.0,
                fault: bool = False) -> 'RequestRecord':
        self = super().__new__(cls, (method, path, status))
        self.query = query
        self.started = started
        self.finished = finished
        self.fault = fault
        return self

    method = property(lambda self: self[0])
    path = property(lambda self: self[1])
    status = property(lambda self: self[2])

    def to_dict(self) -> dict[str, ty.Any]:
        return {'method': self.method, 'path': self.path,
                'status': self.status, 'query': self.query,
                'started': self.started, 'finished': self.finished,
                'fault': self.fault}


class RequestLog:
    """A thread-safe list of :class:`RequestRecord`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []

    def append(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()

    def snapshot(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def __iter__(self) -> ty.Iterator[RequestRecord]:
        return iter(self.snapshot())

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    def __getitem__(self, index: int) -> RequestRecord:
        with self._lock:
            return self._records[index]
