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

"""The HTTP layer: one compute request, its retries and its errors.

:class:`ComputeHTTP` wraps a keystoneauth Adapter and turns every answer
into JSON or a :class:`~powervc_osc.exceptions.RefcodeError`: it retries
idempotent requests, re-authenticates once on 401 (shared by concurrent
requests), follows same-origin redirects only, and bounds each answer in
time and size.  The helpers below read Nova's bodies (members, next links)
and run requests on a thread pool.  Nothing here knows about reference
codes.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import heapq
import itertools
import logging
import queue
import re
import socket
import threading
import time
import typing as ty
import urllib.parse

import requests
import urllib3.connection
import urllib3.connectionpool

from keystoneauth1 import adapter as ks_adapter
from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import session as ks_session

from powervc_osc import exceptions
from powervc_osc import model

LOG = logging.getLogger(__name__)

#: Retries of idempotent requests on connection errors and 502/503/504.
DEFAULT_RETRIES = 3
RETRIABLE_STATUS_CODES = (502, 503, 504)
#: Seconds to wait for each HTTP answer when neither the client nor the
#: session sets a timeout: a silent PowerVC must never hang a script.
DEFAULT_HTTP_TIMEOUT = 60.0
#: Longest pause between retries that a ``Retry-After`` header may ask for.
MAX_RETRY_AFTER = 5
#: The header in which Nova (and PowerVC) name each request for support.
REQUEST_ID_HEADER = 'x-openstack-request-id'
#: The most bytes read from one answer: a metadata answer is a few hundred
#: bytes, a page of 1,000 servers a few megabytes.
MAX_ANSWER_BYTES = 16 * 1024 * 1024
#: Same-origin redirects followed for one request.
MAX_REDIRECTS = 5
_REDIRECT_STATUSES = (301, 302, 303, 305, 307, 308)
_FIRST_BACKOFF = 0.5     # keystoneauth's: 0.5, 1, 2... seconds
_MAX_BACKOFF = 60.0
_CHUNK = 64 * 1024
# Deadlines run on real time, whatever clock the client's waits are given.
_now = time.monotonic


class ComputeHTTP:
    """Requests to the compute endpoint, each giving JSON or RefcodeError.

    :param session: a :class:`keystoneauth1.session.Session` with auth.
    :param retries: retries of idempotent requests on connection errors
        and on 502/503/504 answers, with a bounded backoff.
    :param timeout: seconds each attempt may take, from sending the request
        to the last byte of the answer (default: the session's own timeout,
        else :data:`DEFAULT_HTTP_TIMEOUT`).
    :param pool_size: requests that may run at the same time.
    :param sleep: how the backoff between retries pauses.
    """

    def __init__(self, session: ks_session.Session,
                 region_name: str | None = None,
                 interface: str | None = None,
                 endpoint_override: str | None = None,
                 retries: int = DEFAULT_RETRIES,
                 timeout: float | None = None,
                 pool_size: int = 1,
                 sleep: ty.Callable[[float], ty.Any] | None = None) -> None:
        self.retries = max(0, int(retries))
        if timeout is None and getattr(session, 'timeout', None) is None:
            timeout = DEFAULT_HTTP_TIMEOUT
        self.timeout = timeout
        # Retries, re-authentication and redirects are handled here, not by
        # keystoneauth: after Ctrl-C nothing more may be sent, concurrent
        # 401s share one login, and the token never leaves the origin.
        self.adapter = ks_adapter.Adapter(
            session, service_type='compute', region_name=region_name,
            interface=interface, endpoint_override=endpoint_override,
            connect_retries=0, status_code_retries=0, logger=LOG)
        self._sleep = sleep or time.sleep
        self._login_lock = threading.Lock()
        self._login_error: str | None = None
        self._endpoint: str | None = None
        _mount_deadline_transport(session, pool_size)
        _remember_environment(session)

    def request(self, method: str, path: str, server: str | None = None,
                target: str = 'the request', within: float | None = None,
                **kwargs: ty.Any) -> ty.Any:
        """Send one compute request; return its JSON or raise RefcodeError.

        :param server: the server the request is about, as the user named
            it (an error names it).
        :param target: what the request is about when it is no server.
        :param within: seconds the whole call may take, retries and their
            backoff included; past them it raises :class:`OutOfTime`.
        """
        about = 'server %s' % server if server else target
        request = _Request(method, path, about)
        limit = kwargs.pop('timeout', None) or (
            self.timeout or self.adapter.session.timeout)
        end = None if within is None else _now() + within
        backoff = _backoff()
        attempts = 0
        reauthenticated = False
        while True:
            _check_stop()
            attempts += 1
            attempt = _Attempt(limit, end, request)
            try:
                response = self._send(request, attempt, **kwargs)
            except ks_exc.ClientException as exc:
                # A connection failure, or whatever a socket that the
                # watchdog shut down made of the attempt.
                expired = attempt.expired()
                if attempt.cut and (
                        expired or isinstance(exc, ks_exc.ConnectTimeout)):
                    raise attempt.out_of_time()
                if attempts > self.retries:
                    raise _transport_error(exc, request, attempt.timeout,
                                           attempts, expired)
                self._pause(next(backoff), 'Failure: %s' % exc, end,
                            request)
                continue
            status = response.status_code
            if status == 401 and not reauthenticated:
                reauthenticated = True
                _check_stop()          # no login either after Ctrl-C
                if self._reauthenticate(response):
                    attempt.discard(response)
                    attempts -= 1      # a new token, not a retry
                    continue
            elif status in _REDIRECT_STATUSES:
                attempt.discard(response)
                request.follow(response)
                attempts -= 1
                continue
            elif status in RETRIABLE_STATUS_CODES and attempts <= self.retries:
                attempt.discard(response)
                delay = _retry_after(response)
                self._pause(next(backoff) if delay is None else delay,
                            'Retriable status code %d' % status, end,
                            request)
                continue
            break
        _answered.date = response.headers.get('Date')
        request_id = model.decode_text(
            response.headers.get(REQUEST_ID_HEADER))
        if status >= 400:
            LOG.debug('PowerVC answered %s with HTTP %d (request ID %s)',
                      request, status, request_id)
            raise exceptions.from_status(
                status, server, _error_details(response),
                retries=attempts - 1, target=target,
                refcode_call=request.path.endswith('/metadata'),
                request_id=request_id)
        try:
            return response.json()
        except (ValueError, RecursionError):
            LOG.debug('PowerVC answered %s with no JSON (request ID %s)',
                      request, request_id)
            raise exceptions.BadResponse(
                'PowerVC answered %s with something that is not JSON'
                % request, request_id=request_id)

    def ensure_auth(self) -> None:
        """Authenticate once, before any request runs in a thread.

        A login that is refused fails here, once, rather than once per
        server; other failures are left to the first request to report.
        """
        try:
            self.adapter.get_endpoint()
        except ks_exc.Unauthorized as exc:
            raise _login_refused(exc)
        except ks_exc.ClientException:
            pass

    def _send(self, request: _Request, attempt: _Attempt,
              **kwargs: ty.Any) -> requests.Response:
        """One attempt, read whole by its response hook.

        Connection failures, and any failure of an attempt whose deadline
        passed, are raised as they are, for :meth:`request` to retry.
        """
        if self._login_error is not None:
            raise exceptions.LoginFailed(self._login_error, status_code=401)
        try:
            return self.adapter.request(
                self._absolute(request.url), request.method, raise_exc=False,
                allow_reauth=False, redirect=False, stream=True,
                timeout=attempt.timeout,
                headers={'Accept': 'application/json'},
                hooks={'response': attempt.on_headers}, **kwargs)
        except ks_exc.ClientException as exc:
            attempt.unwatch()
            if attempt.expired() or isinstance(
                    exc, ks_exc.RetriableConnectionFailure):
                raise
            raise _request_failed(exc)

    def _absolute(self, url: str) -> str:
        """``url`` on the compute endpoint, looked up once.

        keystoneauth looks a relative URL's endpoint up in the catalog at
        every request (a deep copy of the catalog each time); an absolute
        one is sent as it is.
        """
        if '://' in url:
            return url
        if self._endpoint is None:
            endpoint = self.adapter.get_endpoint()
            if not endpoint:
                raise ks_exc.EndpointNotFound()
            self._endpoint = endpoint.rstrip('/')
        return self._endpoint + '/' + url.lstrip('/')

    def _reauthenticate(self, response: requests.Response) -> bool:
        """Log in again after a 401, once for all the requests that got it.

        Returns whether there is a new token to retry with. A request sent
        with a token that another thread already replaced just retries; a
        login that is refused is remembered, so that the other requests
        fail at once with the same error instead of logging in again.
        """
        sent = response.request.headers.get('X-Auth-Token')
        with self._login_lock:
            if self._login_error is not None:
                raise exceptions.LoginFailed(self._login_error,
                                             status_code=401)
            try:
                if sent != self.adapter.get_token():
                    return True
                if not self.adapter.invalidate():
                    return False
                LOG.debug('PowerVC refused the token: logging in again')
                self.adapter.get_token()
            except ks_exc.Unauthorized as exc:
                refused = _login_refused(exc)
                self._login_error = str(refused)
                raise refused
            except ks_exc.ClientException:
                return False
        return True

    def _pause(self, seconds: float, why: str, end: float | None,
               request: _Request) -> None:
        if end is not None and _now() + seconds >= end:
            raise OutOfTime('No time was left to retry %s for %s'
                            % (request, request.about))
        LOG.info('%s. Retrying in %.1fs.', why, seconds)
        self._sleep(seconds)


#: ``date``: the ``Date`` header of the last answer this thread read.
_answered = threading.local()


def last_date() -> str | None:
    """The ``Date`` of this thread's last answer, if it had one.

    The answer :meth:`ComputeHTTP.request` last returned in this thread;
    the date is PowerVC's clock, in UTC.
    """
    return getattr(_answered, 'date', None)


class OutOfTime(exceptions.CommunicationError):
    """A request did not end within the time its caller allowed."""


class _Request:
    """What one call sends: method, URL, and how its messages name it."""

    def __init__(self, method: str, path: str, about: str) -> None:
        self.method = method
        self.url = path
        self.path = _short(path)
        self.about = about
        self.redirects = 0

    def __str__(self) -> str:
        return '%s %s' % (self.method, self.path)

    def follow(self, response: requests.Response) -> None:
        """Take a redirect, if it stays on the origin that was asked.

        The token would go wherever the request goes, so a redirect to
        another scheme, host or port is an error, not followed.
        """
        location = response.headers.get('Location')
        if not location:
            raise exceptions.BadResponse(
                'PowerVC answered %s for %s with HTTP %d and no location'
                % (self, self.about, response.status_code))
        target = urllib.parse.urljoin(response.url, location)
        if _origin(target) != _origin(response.url):
            raise exceptions.BadResponse(
                'PowerVC redirected %s for %s to another site (%s); not '
                'followed, so that the token stays with PowerVC. If that '
                'site is right, make it the compute endpoint' % (
                    self, self.about, model.decode_text(_origin(target))))
        self.redirects += 1
        if self.redirects > MAX_REDIRECTS:
            raise exceptions.BadResponse(
                'PowerVC redirected %s for %s more than %d times'
                % (self, self.about, MAX_REDIRECTS))
        self.url = target


def _short(path: str) -> str:
    """A request path for a message, without its query string."""
    return path.split('?', 1)[0]


def _origin(url: str) -> str:
    """scheme://host:port of a URL (a port that is no number stays as is)."""
    parts = urllib.parse.urlsplit(url)
    try:
        port: ty.Any = parts.port
    except ValueError:
        return '%s://%s' % (parts.scheme, parts.netloc.rpartition('@')[2])
    port = port or {'http': 80, 'https': 443}.get(parts.scheme)
    return '%s://%s:%s' % (parts.scheme, parts.hostname, port)


def _backoff() -> ty.Iterator[float]:
    return (min(_FIRST_BACKOFF * 2 ** n, _MAX_BACKOFF)
            for n in itertools.count())


def _retry_after(response: requests.Response) -> float | None:
    """``Retry-After`` in seconds, kept within what a script can wait.

    A date, a negative or a missing value gives None (use the backoff).
    """
    try:
        seconds = int(response.headers.get('Retry-After', ''))
    except ValueError:
        return None
    if seconds < 0:
        return None
    return min(seconds, MAX_RETRY_AFTER)


def _request_failed(exc: ks_exc.ClientException) -> exceptions.RefcodeError:
    """The error for a request that keystoneauth could not make."""
    if isinstance(exc, ks_exc.EndpointNotFound):
        return exceptions.CommunicationError(
            'No compute endpoint in the service catalog: %s' % exc)
    if isinstance(exc, ks_exc.SSLError):
        return exceptions.CommunicationError(
            'Could not connect to PowerVC: TLS failed (check cacert): '
            '%s' % _transport_reason(exc))
    if isinstance(exc, ks_exc.Unauthorized):
        return _login_refused(exc)
    return exceptions.CommunicationError(
        'Request to PowerVC failed: %s' % exc)


def _login_refused(exc: BaseException) -> exceptions.LoginFailed:
    return exceptions.LoginFailed('Authentication failed: %s' % exc,
                                  status_code=401)


def _transport_error(exc: BaseException, request: _Request,
                     timeout: float | None, attempts: int,
                     expired: bool = False) -> exceptions.CommunicationError:
    """The one-line error for a request that got no answer at all.

    ``expired``: the watchdog cut the last attempt at its deadline, so
    what the socket then reported is no reason worth showing.
    """
    tried = ' (tried %d times)' % attempts if attempts > 1 else ''
    reason = _transport_reason(exc)
    cause = _requests_cause(exc)
    if expired or isinstance(cause, requests.exceptions.ReadTimeout):
        return exceptions.CommunicationError(
            'PowerVC did not answer %s for %s within %s%s; api_timeout '
            'or OS_API_TIMEOUT sets the limit%s' % (
                request, request.about, exceptions.seconds_text(timeout),
                tried, '' if expired else ': ' + reason))
    if isinstance(cause, requests.exceptions.ConnectTimeout) or (
            isinstance(exc, ks_exc.ConnectTimeout) and cause is None):
        return exceptions.CommunicationError(
            'Could not connect to PowerVC for %s within %s%s; api_timeout '
            'or OS_API_TIMEOUT sets the limit: %s' % (
                request.about, exceptions.seconds_text(timeout), tried,
                reason))
    if _connected(cause):
        return _broken(request, reason, tried)
    return exceptions.CommunicationError(
        'Could not connect to PowerVC for %s%s: %s'
        % (request.about, tried, reason))


def _broken(request: _Request, reason: str,
            tried: str = '') -> exceptions.CommunicationError:
    """The error for a connection that broke after it was made."""
    return exceptions.CommunicationError(
        'The connection to PowerVC broke during %s for %s%s: %s'
        % (request, request.about, tried, reason))


def _connected(cause: BaseException | None) -> bool:
    """Whether a connection error came after the connection was made."""
    inner: ty.Any = cause
    for _ in range(4):
        if isinstance(inner, (urllib3.exceptions.NewConnectionError,
                              urllib3.exceptions.ConnectTimeoutError)):
            return False
        if isinstance(inner, (urllib3.exceptions.ProtocolError,
                              ConnectionResetError, ConnectionAbortedError)):
            return True
        nested = inner.args[0] if getattr(inner, 'args', None) else None
        inner = getattr(nested, 'reason', None) or nested
    return False


class _Attempt:
    """One try of a request, whose whole exchange must end by its deadline.

    The timeout of requests bounds each socket read, so a peer sending one
    byte at a time could hold a request for ever. The attempt's clock
    starts when its request is handed to the transport, and its socket is
    watched from the moment it is connected or taken from the pool (see
    :class:`_DeadlineAdapter`): past the deadline, the watchdog shuts the
    socket down, which ends any send or read in progress, of the status
    line, the headers or the body (keystoneauth's too, when ``--debug``
    makes it log the body). Over a transport that someone else mounted,
    the clock and the watch start only once the headers are in.
    """

    def __init__(self, limit: float | None, end: float | None,
                 request: _Request) -> None:
        #: Seconds this attempt may take: the timeout, or the time left of
        #: the caller's ``within`` when that is shorter (``cut``).
        self.timeout = limit
        self.cut = False
        self.request = request
        if end is not None:
            left = end - _now()
            if left <= 0:
                raise self.out_of_time()
            if limit is None or left < limit:
                self.timeout, self.cut = left, True
        self.deadline: float | None = None
        self._watch: list | None = None
        self._connected = False

    def out_of_time(self) -> OutOfTime:
        return OutOfTime('PowerVC did not answer %s for %s in the time '
                         'allowed' % (self.request, self.request.about))

    def start(self, elapsed: float = 0.0) -> None:
        """Start the clock ``elapsed`` seconds ago, unless it runs already."""
        if self.timeout is not None and self.deadline is None:
            self.deadline = _now() + max(self.timeout - elapsed, 0.0)

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

    def expired(self) -> bool:
        """Whether the deadline passed once the connection was made.

        The watchdog may then have cut the attempt: whatever the transport
        reports is a timeout, not a connection failure.
        """
        return self._connected and self._late()

    def on_headers(self, response: requests.Response, *args: ty.Any,
                   **kwargs: ty.Any) -> requests.Response:
        """A requests response hook: read the body by the deadline, or raise.

        It runs before keystoneauth sees the answer, which it would
        otherwise read whole to log it (OSC's root logger is at DEBUG even
        without ``--debug``).
        """
        self.start(response.elapsed.total_seconds())
        self.watch(getattr(getattr(response.raw, 'connection', None),
                           'sock', None))
        self._connected = True
        if self._late():
            # Headers that the watchdog cut short parse as a whole answer
            # without body; fail as when it cuts the status line.
            self.discard(response)
            raise requests.exceptions.ConnectionError(
                'PowerVC did not answer within the timeout',
                response=response)
        self._read(response)
        return response

    def discard(self, response: requests.Response) -> None:
        """Drop an answer that will not be read (the request is retried)."""
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
                raise _broken(self.request, _transport_reason(exc))
        finally:
            self.discard(response)
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
        return self.deadline is not None and _now() >= self.deadline


#: The watchdog drops finished entries at least every this many watches.
_WATCHDOG_SWEEP = 256


class _Watchdog:
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
            if self._due[0][2] is entry or not order % _WATCHDOG_SWEEP:
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
                left = self._due[0][0] - _now()
                if left > 0:
                    self._wakeup.wait(left)
                    continue
                entry = heapq.heappop(self._due)[2]
                if entry:
                    with contextlib.suppress(OSError):
                        # The plain socket's shutdown, also for TLS.
                        socket.socket.shutdown(entry[0], socket.SHUT_RDWR)


_WATCHDOG = _Watchdog()

#: ``attempt``: the attempt whose request this thread's transport sends.
_sending = threading.local()


def _arm(sock: ty.Any) -> None:
    """Watch ``sock`` for the attempt this thread is sending, if any."""
    attempt = getattr(_sending, 'attempt', None)
    if attempt is not None:
        attempt.watch(sock)


class _WatchedConnection(urllib3.connection.HTTPConnection):
    """A connection whose socket the attempt being sent watches."""

    def connect(self) -> None:
        super().connect()
        _arm(self.sock)

    def request(self, *args: ty.Any, **kwargs: ty.Any) -> None:
        _arm(self.sock)          # None until connected
        super().request(*args, **kwargs)


class _WatchedTLSConnection(_WatchedConnection,
                            urllib3.connection.HTTPSConnection):
    """The same over TLS."""


class _WatchedPool(urllib3.connectionpool.HTTPConnectionPool):
    ConnectionCls = _WatchedConnection


class _WatchedTLSPool(urllib3.connectionpool.HTTPSConnectionPool):
    ConnectionCls = _WatchedTLSConnection


_WATCHED_POOLS: dict[type, type] = {
    urllib3.connectionpool.HTTPConnectionPool: _WatchedPool,
    urllib3.connectionpool.HTTPSConnectionPool: _WatchedTLSPool}


def _watch_pools(manager: ty.Any) -> None:
    """Make a urllib3 pool manager open watched connections.

    Pools of other kinds (SOCKS proxies) are left as they are.
    """
    manager.pool_classes_by_scheme = {
        scheme: _WATCHED_POOLS.get(pool, pool)
        for scheme, pool in manager.pool_classes_by_scheme.items()}


class _DeadlineAdapter(ks_session.TCPKeepAliveAdapter):
    """keystoneauth's transport, over which an attempt's deadline holds.

    Sending the request of an :class:`_Attempt` (the one whose response
    hook it carries) starts the attempt's clock, and the socket it goes
    out on is watched from then on; other requests (logins) are sent as
    they were.
    """

    def init_poolmanager(self, *args: ty.Any, **kwargs: ty.Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        _watch_pools(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **kwargs: ty.Any) -> ty.Any:
        manager = super().proxy_manager_for(proxy, **kwargs)
        _watch_pools(manager)
        return manager

    def send(self, request: requests.PreparedRequest, *args: ty.Any,
             **kwargs: ty.Any) -> requests.Response:
        attempt = _attempt_of(request)
        if attempt is None:
            return super().send(request, *args, **kwargs)
        attempt.start()
        _sending.attempt = attempt
        try:
            return super().send(request, *args, **kwargs)
        finally:
            _sending.attempt = None


def _attempt_of(request: requests.PreparedRequest) -> _Attempt | None:
    """The attempt whose response hook ``request`` carries, if any."""
    for hook in (request.hooks or {}).get('response', ()):
        owner = getattr(hook, '__self__', None)
        if isinstance(owner, _Attempt):
            return owner
    return None


def member(body: ty.Any, key: str, kind: type) -> ty.Any:
    """Return ``body[key]`` if it has the expected type, else BadResponse."""
    value = body.get(key) if isinstance(body, dict) else None
    if not isinstance(value, kind):
        raise exceptions.BadResponse(
            'PowerVC answered without a valid %r member' % key)
    return value


def next_marker(body: ty.Mapping[str, ty.Any]) -> str | None:
    """The ``marker`` of a server listing's next link, if there is one."""
    links = body.get('servers_links')
    if not isinstance(links, list):
        return None
    for link in links:
        if isinstance(link, dict) and link.get('rel') == 'next':
            params = urllib.parse.parse_qs(
                urllib.parse.urlsplit(str(link.get('href', ''))).query)
            markers = params.get('marker')
            if markers:
                return markers[-1]
    return None


_worker = threading.local()


def _check_stop() -> None:
    """Refuse to send once the operation of this worker thread stopped."""
    stop = getattr(_worker, 'stop', None)
    if stop is not None and stop.is_set():
        raise exceptions.Interrupted('interrupted')


class _Pool(concurrent.futures.Executor):
    """A thread pool whose threads never hold up the interpreter's exit.

    concurrent.futures joins its worker threads at exit, so a request
    stuck in a socket read would keep a Ctrl-C'd command alive; these
    threads are daemons, and once ``stop`` is set they send nothing more.
    """

    def __init__(self, workers: int, stop: threading.Event) -> None:
        #: Threads it may start; may be changed before the first submit.
        self.workers = workers
        self._stop = stop
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []

    def submit(self, fn: ty.Callable[..., ty.Any], /, *args: ty.Any,
               **kwargs: ty.Any) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        self._jobs.put((future, fn, args, kwargs))
        if len(self._threads) < self.workers:
            thread = threading.Thread(target=self._work, daemon=True,
                                      name='powervc-osc-%d'
                                      % len(self._threads))
            thread.start()
            self._threads.append(thread)
        return future

    def shutdown(self, wait: bool = True, *,
                 cancel_futures: bool = False) -> None:
        if cancel_futures:
            with contextlib.suppress(queue.Empty):
                while True:
                    job = self._jobs.get_nowait()
                    if job is not None:
                        job[0].cancel()
        for _ in self._threads:
            self._jobs.put(None)
        if wait:
            for thread in self._threads:
                thread.join()

    def _work(self) -> None:
        _worker.stop = self._stop
        while True:
            job = self._jobs.get()
            if job is None:
                return
            future, fn, args, kwargs = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:  # noqa: B902 - handed to the caller
                future.set_exception(exc)
            else:
                future.set_result(result)


@contextlib.contextmanager
def thread_pool(workers: int, stop: threading.Event | None = None,
                ) -> ty.Iterator[concurrent.futures.Executor]:
    """A thread pool that drops its work when the caller stops early.

    On Ctrl-C, an error, or a generator closed early, the requests not yet
    sent are cancelled and ``stop`` is set: jobs that poll end, and no job
    sends another request or retry. Requests already under way are left
    to end on their own (their threads do not delay the exit).
    """
    stop = stop or threading.Event()
    pool = _Pool(workers, stop)
    try:
        yield pool
    except BaseException:
        stop.set()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def settled(result: ty.Any = None,
            error: Exception | None = None) -> concurrent.futures.Future:
    """A future already done, to sit in a list beside submitted jobs."""
    done: concurrent.futures.Future = concurrent.futures.Future()
    if error is not None:
        done.set_exception(error)
    else:
        done.set_result(result)
    return done


def _transport_reason(exc: BaseException) -> str:
    """The root cause of a transport error, without urllib3's wrapping.

    keystoneauth's message repeats the URL and urllib3's retry bookkeeping;
    the innermost socket or TLS error is what tells the operator why.
    """
    cause = _requests_cause(exc)
    if cause is None:
        return model.decode_text(str(exc)) or type(exc).__name__
    inner: ty.Any = cause
    for _ in range(4):
        nested = inner.args[-1] if getattr(inner, 'args', None) else None
        nested = getattr(nested, 'reason', None) or nested
        if not isinstance(nested, BaseException):
            break
        inner = nested
    text = str(inner) or type(inner).__name__
    # urllib3: "HTTPConnection(host='h', port=1): Failed to establish..."
    text = re.sub(r'^\w*Connection(Pool)?\(host=[^)]*\): ', '', text)
    return model.decode_text(text) or str(exc)


def _requests_cause(exc: BaseException) -> BaseException | None:
    """The requests exception behind a keystoneauth one, if any."""
    cause: BaseException | None = exc
    seen = set()
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, requests.exceptions.RequestException):
            return cause
        cause = cause.__cause__ or cause.__context__
    return None


def _error_details(response: ty.Any) -> str | None:
    """Pull the human message out of a Nova, Keystone or proxy error body."""
    try:
        body = response.json()
    except (ValueError, RecursionError):
        text = (response.text or '').strip()
        if not text or '<' in text[:1]:
            return response.reason or None
        return model.decode_text(text.splitlines()[0][:200])
    if isinstance(body, dict):
        for value in body.values():
            if isinstance(value, dict) and value.get('message'):
                return model.decode_text(value['message'])
        if body.get('message'):
            return model.decode_text(body['message'])
    return None


def _remember_environment(session: ty.Any) -> None:
    """Read proxies and CA bundle from the environment once per origin.

    requests reads every environment variable at each request to find
    proxies (a tenth of a metadata GET's CPU time); the answer depends only
    on the origin and the request's own settings, so it is kept for each.
    """
    requests_session: ty.Any = getattr(session, 'session', None)
    merge = getattr(requests_session, 'merge_environment_settings', None)
    if merge is None or getattr(merge, 'remembers', False):
        return
    cache: dict[ty.Any, dict] = {}

    def remembered(url: str, proxies: ty.Any, stream: ty.Any, verify: ty.Any,
                   cert: ty.Any) -> dict:
        try:
            key = (_origin(url), frozenset((proxies or {}).items()),
                   stream, verify, cert)
            settings = cache.get(key)
        except TypeError:       # an unhashable setting
            return merge(url, proxies, stream, verify, cert)
        if settings is None:
            settings = cache[key] = merge(url, dict(proxies or {}), stream,
                                          verify, cert)
        return dict(settings, proxies=dict(settings.get('proxies') or {}))

    remembered.remembers = True     # type: ignore[attr-defined]
    requests_session.merge_environment_settings = remembered


def _mount_deadline_transport(session: ty.Any, size: int) -> None:
    """Put :class:`_DeadlineAdapter` in place of keystoneauth's transport.

    It keeps that transport's TLS settings (ciphers, minimum version) and
    lets ``size`` threads share the session without discarding sockets.
    A transport that someone else mounted is left alone: over it, the
    deadline of an attempt starts once the headers are in.
    """
    requests_session = getattr(session, 'session', None)
    if requests_session is None:
        return
    for prefix in ('https://', 'http://'):
        current = requests_session.adapters.get(prefix)
        if type(current) not in (ks_session.TCPKeepAliveAdapter,
                                 _DeadlineAdapter):
            continue
        pool = getattr(current, '_pool_maxsize',
                       requests.adapters.DEFAULT_POOLSIZE)
        if type(current) is _DeadlineAdapter and pool >= size:
            continue
        tls = {name: getattr(current, name)
               for name in ('tls_ciphers', 'tls_min_version')
               if getattr(current, name, None)}
        requests_session.mount(prefix, _DeadlineAdapter(
            pool_maxsize=max(size, pool), **tls))
