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

"""The deadline of one attempt, from sending its request to its last byte.

The timeout of requests bounds each socket read, so a peer sending one
byte at a time could hold a request for ever.  Here the whole exchange of
an attempt has a deadline, and one daemon thread (the watchdog) shuts the
attempt's socket down when it passes, which ends any send or read in
progress: of the status line, the headers or the body (keystoneauth's
read too, when ``--debug`` makes it log the body).

The one entry point::

    with deadline.attempt(request, timeout, end) as current:
        session.request(..., timeout=current.timeout, hooks=current.hooks)

The transport (:mod:`powervc_osc.http.transport`) calls :func:`begin`
when it sends a request and :func:`arm` with each socket it sends on;
this thread's attempt, set by :func:`attempt`, is the one way both find
it.  The response hook reads the body against the deadline and the size
limit.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
import typing as ty

import requests

from powervc_osc import exceptions
from powervc_osc.http import errors

#: The most bytes read from one answer: a metadata answer is a few hundred
#: bytes, a page of 1,000 servers a few megabytes.
MAX_ANSWER_BYTES = 16 * 1024 * 1024
_CHUNK = 64 * 1024

#: Deadlines run on real time, whatever clock the client's waits are given.
now = time.monotonic

#: ``attempt``: the attempt of this thread's ``with attempt()`` block.
_current = threading.local()


@contextlib.contextmanager
def attempt(request: errors.Described, timeout: float | None,
            end: float | None) -> ty.Iterator[Attempt]:
    """One try of ``request``, which must end within ``timeout`` seconds.

    :param end: when (:func:`now`) the caller's whole budget ends; the
        attempt gets what is left of it if that is shorter (``cut``), and
        none left raises :class:`~powervc_osc.http.errors.OutOfTime`.

    Send the request in the block with ``hooks=attempt.hooks``; leaving
    the block stops watching its socket.
    """
    current = Attempt(request, timeout, end)
    outer = getattr(_current, 'attempt', None)
    _current.attempt = current
    try:
        yield current
    finally:
        _current.attempt = outer
        current.unwatch()


def begin(request: requests.PreparedRequest) -> None:
    """Start the clock if ``request`` is this thread's attempt's request.

    The transport calls it for every request it sends; a login that
    keystoneauth sends on the way carries no hook of ours and is left
    alone.
    """
    current = getattr(_current, 'attempt', None)
    if current is not None and current.hook in (
            (request.hooks or {}).get('response') or ()):
        current.start()


def arm(sock: socket.socket | None) -> None:
    """Watch ``sock``, on which this thread's attempt is being sent."""
    current = getattr(_current, 'attempt', None)
    if current is not None:
        current.watch(sock)


class Attempt:
    """One try of a request, whose whole exchange must end by its deadline.

    The clock starts when the transport sends the request (:func:`begin`);
    over a transport that someone else mounted, which has no socket to
    watch, it starts once the headers are in and the body is checked
    against it between reads.
    """

    def __init__(self, request: errors.Described, limit: float | None,
                 end: float | None) -> None:
        #: Seconds this attempt may take: the timeout, or the time left of
        #: the caller's budget when that is shorter (``cut``).
        self.timeout = limit
        self.cut = False
        self.request = request
        if end is not None:
            left = end - now()
            if left <= 0:
                raise self.out_of_time()
            if limit is None or left < limit:
                self.timeout, self.cut = left, True
        self.deadline: float | None = None
        self._watch: list | None = None
        self._connected = False

    @property
    def hooks(self) -> dict[str, list]:
        """The requests hooks that read the answer by the deadline."""
        return {'response': [self.hook]}

    def out_of_time(self) -> errors.OutOfTime:
        return errors.OutOfTime(
            'PowerVC did not answer %s for %s in the time allowed'
            % (self.request, self.request.about))

    def expired(self) -> bool:
        """Whether the deadline passed once the connection was made.

        The watchdog may then have cut the attempt: whatever the transport
        reports is a timeout, not a connection failure.
        """
        return self._connected and self._late()

    def start(self, elapsed: float = 0.0) -> None:
        """Start the clock ``elapsed`` seconds ago, unless it runs already."""
        if self.timeout is not None and self.deadline is None:
            self.deadline = now() + max(self.timeout - elapsed, 0.0)

    def watch(self, sock: socket.socket | None) -> None:
        """Have the watchdog shut ``sock`` down at the deadline."""
        if self.deadline is None or sock is None:
            return
        if self._watch and self._watch[0] is sock:
            return
        self.unwatch()
        self._watch = _WATCHDOG.watch(self.deadline, sock)
        self._connected = True

    def unwatch(self) -> None:
        """Stop watching; the socket may then go back to the pool."""
        if self._watch is not None:
            _WATCHDOG.done(self._watch)
            self._watch = None

    def hook(self, response: requests.Response, *args: ty.Any,
             **kwargs: ty.Any) -> requests.Response:
        """The response hook: read the body by the deadline, or raise.

        It runs before keystoneauth sees the answer, which it would
        otherwise read whole to log it (OSC's root logger is at DEBUG even
        without ``--debug``).
        """
        self.start(response.elapsed.total_seconds())
        self._connected = True
        if self._late():
            # Headers that the watchdog cut short parse as a whole answer
            # without body; fail as when it cuts the status line.
            self._discard(response)
            raise requests.exceptions.ConnectionError(
                'PowerVC did not answer within the timeout',
                response=response)
        self._read(response)
        return response

    def _discard(self, response: requests.Response) -> None:
        self.unwatch()
        response.close()

    def _read(self, response: requests.Response) -> None:
        """Read the whole body against the deadline and the size limit.

        The body is then the response's content, as if requests had read
        it, for ``response.json()`` and ``response.text``.
        """
        chunks = []
        size = int(response.headers.get('Content-Length') or 0)
        complete = False
        try:
            if size <= MAX_ANSWER_BYTES:
                size = 0
                for chunk in response.iter_content(_CHUNK):
                    size += len(chunk)
                    if size > MAX_ANSWER_BYTES or self._late():
                        break
                    chunks.append(chunk)
                else:
                    complete = True
        except (requests.exceptions.RequestException, OSError) as exc:
            if not self._late():
                raise errors.broken(self.request,
                                    errors.transport_reason(exc))
        finally:
            self._discard(response)
        if complete:
            # What requests itself does once it has read a body.
            response._content = b''.join(chunks)
            return
        if size > MAX_ANSWER_BYTES:
            raise exceptions.BadResponse(
                'PowerVC\'s answer to %s for %s is larger than %d MiB; it '
                'was not read' % (self.request, self.request.about,
                                  MAX_ANSWER_BYTES // 2 ** 20))
        if self.cut:
            raise self.out_of_time()
        raise exceptions.CommunicationError(
            'PowerVC did not send its whole answer to %s for %s within %s; '
            'api_timeout or OS_API_TIMEOUT sets the limit' % (
                self.request, self.request.about,
                exceptions.seconds_text(self.timeout)))

    def _late(self) -> bool:
        return self.deadline is not None and now() >= self.deadline


#: The watchdog drops finished entries at least every this many watches.
WATCHDOG_SWEEP = 256


class Watchdog:
    """One daemon thread that shuts down sockets whose deadline passed."""

    def __init__(self) -> None:
        self._wakeup = threading.Condition()
        self._due: list[tuple[float, int, list]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, deadline: float, sock: socket.socket) -> list:
        """Watch ``sock``; the returned entry is given to :meth:`done`."""
        entry = [sock]
        with self._wakeup:
            order = next(self._order)
            heapq.heappush(self._due, (deadline, order, entry))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name='powervc-osc-deadlines',
                    daemon=True)
                self._thread.start()
            # The thread sleeps until the first deadline: wake it only for
            # an earlier one, and now and then to drop the finished
            # entries (not at every request: a thread switch each).
            if self._due[0][2] is entry or not order % WATCHDOG_SWEEP:
                self._wakeup.notify()
        return entry

    def done(self, entry: list) -> None:
        """Stop watching; once this returns, the socket is never shut.

        The connection then goes back to the pool, where another request
        may take it: a shutdown racing with this call would break that
        request, so both happen under the same lock.
        """
        with self._wakeup:
            entry.clear()

    def _run(self) -> None:
        while True:
            with self._wakeup:
                while self._due and not self._due[0][2]:
                    heapq.heappop(self._due)
                if not self._due:
                    self._wakeup.wait()
                    continue
                left = self._due[0][0] - now()
                if left > 0:
                    self._wakeup.wait(left)
                    continue
                entry = heapq.heappop(self._due)[2]
                if entry:
                    with contextlib.suppress(OSError):
                        # The plain socket's shutdown, also for TLS.
                        socket.socket.shutdown(entry[0], socket.SHUT_RDWR)


_WATCHDOG = Watchdog()
