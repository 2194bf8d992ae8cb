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

"""One compute request: its retries, re-login and redirects.

:class:`ComputeHTTP` wraps a keystoneauth Adapter and turns every answer
into JSON or a :class:`~powervc_osc.exceptions.RefcodeError`.  The
retries, their backoff, the re-login on 401 and the redirects are ours,
not keystoneauth's (whose own are turned off): after Ctrl-C nothing more
is sent, concurrent 401s share one login, and the token never leaves the
origin.  Each attempt runs under :func:`powervc_osc.http.deadline.attempt`.

Every request is retried on connection errors and on 502/503/504, the
``POST`` of metadata too: it sets the given keys to the given values
(Nova merges them into the metadata), so sending it again after an
answer was lost leaves the same metadata: idempotent in effect.  A
request that would not be must not be sent through here.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
import typing as ty
import urllib.parse

from keystoneauth1 import adapter as ks_adapter
from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import session as ks_session
import requests

from powervc_osc import exceptions
from powervc_osc.http import concurrency
from powervc_osc.http import deadline
from powervc_osc.http import errors
from powervc_osc.http import lean
from powervc_osc.http import tokens
from powervc_osc.http import transport
from powervc_osc import text

LOG = logging.getLogger(__name__)

#: Retries of a request on connection errors and 502/503/504.
DEFAULT_RETRIES = 3
RETRIABLE_STATUS_CODES = (502, 503, 504)
#: Seconds to wait for each HTTP answer when neither the client nor the
#: session sets a timeout: a silent PowerVC must never hang a script.
DEFAULT_HTTP_TIMEOUT = 60.0
#: Longest pause between retries that a ``Retry-After`` header may ask for.
MAX_RETRY_AFTER = 5
#: The header in which Nova (and PowerVC) name each request for support.
REQUEST_ID_HEADER = 'x-openstack-request-id'
#: Same-origin redirects followed for one request.
MAX_REDIRECTS = 5
_REDIRECT_STATUSES = (301, 302, 303, 305, 307, 308)
#: An answer: through keystoneauth, or over the lean path.
Answer = ty.Union[requests.Response, lean.LeanResponse]
#: Our backoff between retries: 0.5, 1, 2... seconds, at most a minute.
_FIRST_BACKOFF = 0.5
_MAX_BACKOFF = 60.0


class ComputeHTTP:
    """Requests to the compute endpoint, each giving JSON or RefcodeError.

    :param session: a :class:`keystoneauth1.session.Session` with auth.
    :param retries: retries of each request on connection errors and on
        502/503/504 answers, with our bounded backoff.
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
        # keystoneauth's retries, re-login and redirects are off: ours run
        # in request() (see the module's docstring).
        self.adapter = ks_adapter.Adapter(
            session, service_type='compute', region_name=region_name,
            interface=interface, endpoint_override=endpoint_override,
            connect_retries=0, status_code_retries=0, logger=LOG)
        self._sleep = sleep or time.sleep
        self._login_lock = threading.Lock()
        self._login_error: str | None = None
        self._endpoint: str | None = None
        #: The metadata GETs' path past keystoneauth (None: always through
        #: keystoneauth).
        self.lean: lean.LeanTransport | None = lean.LeanTransport(
            session, LOG)
        transport.mount(session, pool_size)
        tokens.fit_margin(session.auth)
        transport.remember_environment(session)

    def request(self, method: str, path: str, server: str | None = None,
                target: str = 'the request', within: float | None = None,
                **kwargs: ty.Any) -> ty.Any:
        """Send one compute request; return its JSON or raise RefcodeError.

        :param server: the server the request is about, as the user named
            it (an error names it).
        :param target: what the request is about when it is no server.
        :param within: seconds the whole call may take, retries and their
            backoff included; past them it raises
            :class:`~powervc_osc.http.errors.OutOfTime`.
        """
        about = 'server %s' % server if server else target
        request = _Request(method, path, about)
        limit = kwargs.pop('timeout', None) or (
            self.timeout or self.adapter.session.timeout)
        end = None if within is None else deadline.now() + within
        backoff = _backoff()
        attempts = 0
        reauthenticated = False
        while True:
            concurrency.check_stop()
            attempts += 1
            with deadline.attempt(request, limit, end) as attempt:
                try:
                    response = self._send(request, attempt, **kwargs)
                except ks_exc.ClientException as exc:
                    # A connection failure, or whatever a socket that the
                    # watchdog shut down made of the attempt.
                    expired = attempt.expired()
                    if attempt.cut and (expired or isinstance(
                            exc, ks_exc.ConnectTimeout)):
                        raise attempt.out_of_time()
                    if attempts > self.retries:
                        raise errors.transport_error(
                            exc, request, attempt.timeout, attempts,
                            expired)
                    failure: ks_exc.ClientException | None = exc
                else:
                    failure = None
            # The attempt's hook read and closed the answer.
            if failure is not None:
                self._pause(next(backoff), 'Connection failed (%s) on'
                            % errors.transport_reason(failure), end,
                            request)
                continue
            status = response.status_code
            if status == 401 and not reauthenticated:
                reauthenticated = True
                concurrency.check_stop()   # no login either after Ctrl-C
                if self._reauthenticate(response):
                    attempts -= 1      # a new token, not a retry
                    continue
            elif status in _REDIRECT_STATUSES:
                request.follow(response)
                attempts -= 1
                continue
            elif status in RETRIABLE_STATUS_CODES and attempts <= self.retries:
                delay = _retry_after(response)
                self._pause(next(backoff) if delay is None else delay,
                            'HTTP %d to' % status, end,
                            request)
                continue
            break
        _answered.date = response.headers.get('Date')
        request_id = text.decode_text(
            response.headers.get(REQUEST_ID_HEADER))
        if status >= 400:
            LOG.debug('PowerVC answered %s with HTTP %d (request ID %s)',
                      request, status, request_id)
            raise exceptions.from_status(
                status, server, errors.error_details(response),
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
        Each call may log in again (a long-running caller recovers once
        the account does).
        """
        self._login_error = None
        try:
            self.adapter.get_endpoint()
        except ks_exc.Unauthorized as exc:
            raise errors.login_refused(exc)
        except ks_exc.ClientException:
            pass

    def _send(self, request: _Request, attempt: deadline.Attempt,
              **kwargs: ty.Any) -> Answer:
        """One attempt, read whole by its response hook.

        A metadata GET to an origin keystoneauth has sent a GET to goes
        over :mod:`powervc_osc.http.lean`.

        Connection failures, and any failure of an attempt whose deadline
        passed, are raised as they are, for :meth:`request` to retry.
        """
        if self._login_error is not None:
            raise exceptions.LoginFailed(self._login_error, status_code=401)
        try:
            url = self._absolute(request.url)
            fast = self.lean
            if fast is not None and not kwargs and request.method == 'GET' \
                    and request.path.endswith('/metadata'):
                route = fast.route(url)
                if route is not None:
                    return fast.send(route, request.method, url, attempt)
            response = self.adapter.request(
                url, request.method, raise_exc=False,
                allow_reauth=False, redirect=False, stream=True,
                timeout=attempt.timeout,
                headers={'Accept': 'application/json'},
                hooks=attempt.hooks, **kwargs)
            if self.lean and not kwargs:
                self.lean.learn(response)
            return response
        except ks_exc.ClientException as exc:
            if attempt.expired() or isinstance(
                    exc, ks_exc.RetriableConnectionFailure):
                raise
            raise errors.request_failed(exc)

    def endpoint(self) -> str | None:
        """The compute endpoint's URL (None when it cannot be found)."""
        try:
            return self.adapter.get_endpoint()
        except ks_exc.ClientException:
            return None

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

    def _reauthenticate(self, response: Answer) -> bool:
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
                refused = errors.login_refused(exc)
                self._login_error = str(refused)
                raise refused
            except ks_exc.ClientException:
                return False
        return True

    def _pause(self, seconds: float, why: str, end: float | None,
               request: _Request) -> None:
        if end is not None and deadline.now() + seconds >= end:
            raise errors.OutOfTime('No time was left to retry %s for %s'
                                   % (request, request.about))
        LOG.info('%s %s for %s; retry in %.1f s', why, request,
                 request.about, seconds)
        self._sleep(seconds)


#: ``date``: the ``Date`` header of the last answer this thread read.
_answered = threading.local()


def last_date() -> str | None:
    """The ``Date`` of this thread's last answer, if it had one.

    The answer :meth:`ComputeHTTP.request` last returned in this thread;
    the date is PowerVC's clock, in UTC.
    """
    return getattr(_answered, 'date', None)


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

    def follow(self, response: Answer) -> None:
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
                    self, self.about, text.decode_text(_origin(target))))
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


def _retry_after(response: Answer) -> float | None:
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
