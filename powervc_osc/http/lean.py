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

"""The metadata GETs of a fan-out, straight over the session's urllib3 pool.

A GET through keystoneauth and requests costs about twice what urllib3's
pool alone does (``doc/source/benchmarks.rst``, issue 29).  Once
keystoneauth has sent a GET to an origin, :class:`LeanTransport` learns
its headers (less the token) and the pool that requests' adapter chose
for it, with the session's own TLS verify, client certificate and pool
size, and sends further GETs there itself: the token from keystoneauth
(asked again whenever keystoneauth might change it), the answer read by
the attempt's hook (deadline and body cap), the errors those of requests
and keystoneauth, so that the messages are the same.  It does so only
over the transport the project mounts
(:class:`~powervc_osc.http.transport.DeadlineAdapter`) and when no proxy
applies; otherwise (another transport, a proxy, an auth plugin with its
own connection settings, a session that collects timings) requests go
through keystoneauth as before.
"""

from __future__ import annotations

import datetime
import json
import logging
import time
import typing as ty
import urllib.parse

from keystoneauth1 import exceptions as ks_exc
import requests
import requests.adapters
import requests.utils
import urllib3
import urllib3.exceptions as u3

from powervc_osc.http import deadline
from powervc_osc.http import tokens
from powervc_osc.http import transport


class _Route:
    """How GETs to one origin go: the pool's key and what keystoneauth sent."""

    def __init__(self, adapter: ty.Any, host: ty.Mapping[str, ty.Any],
                 pool_kwargs: ty.Mapping[str, ty.Any],
                 headers: dict[str, str], logged: frozenset[str]) -> None:
        self.adapter = adapter
        self.host = host
        self.pool_kwargs = pool_kwargs
        self.headers = headers
        #: The headers keystoneauth logs: not those requests adds itself.
        self.logged = logged

    def pool(self) -> ty.Any:
        """The adapter's pool for this origin, as requests would take it."""
        return self.adapter.poolmanager.connection_from_host(
            **self.host, pool_kwargs=self.pool_kwargs)


class LeanTransport:
    """GETs over the urllib3 pool of a keystoneauth session's transport."""

    def __init__(self, session: ty.Any, logger: ty.Any,
                 clock: ty.Callable[[], float] = time.time) -> None:
        self.session = session
        self._log = logger
        #: The wall clock (seconds since the epoch) that token expiries are
        #: compared with, as keystoneauth compares them.
        self.clock = clock
        #: origin -> its route, or None where the lean path does not apply.
        self._routes: dict[tuple[str, str], _Route | None] = {}
        #: (the plugin's access, until when, its auth headers)
        self._held: tuple[ty.Any, float, dict[str, str]] | None = None

    def route(self, url: str) -> _Route | None:
        """The route to ``url``'s origin, once keystoneauth has used it."""
        return self._routes.get(_origin(url))

    def learn(self, response: ty.Any) -> None:
        """Learn an origin from a GET that keystoneauth sent there."""
        sent = getattr(response, 'request', None)
        if sent is None or not sent.url or sent.method != 'GET' or (
                sent.body is not None):
            return
        origin = _origin(sent.url)
        if origin not in self._routes:
            self._routes[origin] = self._route_for(response)

    def _route_for(self, response: ty.Any) -> _Route | None:
        sent = response.request
        session = self.session
        requests_session = getattr(session, 'session', None)
        if requests_session is None or getattr(session, '_collect_timing',
                                               False):
            return None     # keystoneauth records each request's timing
        # The transport that answered, not just the one mounted: a test's
        # requests-mock answers in place of the mounted one.
        adapter = getattr(response, 'connection', None)
        if type(adapter) is not transport.DeadlineAdapter or (
                requests_session.get_adapter(sent.url) is not adapter):
            return None
        try:
            if session.get_auth_connection_params():
                return None
        except ks_exc.MissingAuthPlugin:
            pass
        settings = requests_session.merge_environment_settings(
            sent.url, {}, True, session.verify, session.cert)
        if requests.utils.select_proxy(sent.url, settings['proxies']):
            return None
        verify, cert = settings['verify'], settings['cert']
        host, pool_kwargs = adapter.build_connection_pool_key_attributes(
            sent, verify, cert)
        headers = {name: value for name, value in sent.headers.items()
                   if name.lower() != 'x-auth-token'}
        added = requests_session.headers
        route = _Route(adapter, host, pool_kwargs, headers, frozenset(
            name for name, value in headers.items()
            if added.get(name) != value))
        adapter.cert_verify(route.pool(), sent.url, verify, cert)
        return route

    def send(self, route: _Route, method: str, url: str,
             attempt: deadline.Attempt) -> LeanResponse:
        """One attempt, its answer read whole by the attempt's hook.

        Raises what keystoneauth would for the same failure.
        """
        headers = dict(route.headers)
        auth = self._auth_headers()
        if auth is None:
            raise ks_exc.AuthorizationFailure(
                'No valid authentication is available')
        headers.update(auth)
        logged = shows_debug(self._log)
        if logged:
            self.session._http_log_request(
                url, method=method, logger=self._log, split_loggers=False,
                headers={name: value for name, value in headers.items()
                         if name in route.logged or name in auth})
        parts = urllib.parse.urlsplit(url)
        path = (parts.path or '/') + ('?' + parts.query if parts.query
                                      else '')
        timeout = urllib3.Timeout(connect=attempt.timeout,
                                  read=attempt.timeout)
        try:
            attempt.start()
            started = time.monotonic()
            try:
                raw = route.pool().urlopen(
                    method, path, headers=headers, redirect=False,
                    assert_same_host=False, preload_content=False,
                    decode_content=False, retries=route.adapter.max_retries,
                    timeout=timeout)
            except (u3.HTTPError, OSError) as exc:
                raise _requests_error(exc)
            response = LeanResponse(raw, url, headers, datetime.timedelta(
                seconds=time.monotonic() - started))
            # The hook reads only the fields a LeanResponse has.
            attempt.hook(ty.cast(requests.Response, response))
        except requests.exceptions.RequestException as exc:
            raise _keystoneauth_error(exc, url)
        if logged:
            self.session._http_log_response(
                response=response, logger=self._log, split_loggers=False)
        return response

    def _auth_headers(self) -> dict[str, str] | None:
        """keystoneauth's auth headers, asked again only when they may change.

        keystoneauth parses the token's expiry twice at each request; the
        headers are kept while the plugin holds the same token and until
        that token enters the plugin's re-login margin, where keystoneauth
        would log in again. An invalidated token (a 401) is another token,
        and headers are kept only if they carry the token the plugin holds
        once they are made (another thread may have replaced it meanwhile).
        """
        auth = self.session.auth
        held = self._held
        if held is not None and held[0] is getattr(auth, 'auth_ref', None) \
                and self.clock() < held[1]:
            return held[2]
        self._held = None
        headers = self.session.get_auth_headers()
        access = getattr(auth, 'auth_ref', None)
        until = tokens.relogin_at(auth, access)
        if headers and until is not None and headers.get(
                'X-Auth-Token') == getattr(access, 'auth_token', None):
            self._held = (access, until, headers)
        return headers


class _Sent:
    """The request an answer answers, as requests keeps it."""

    def __init__(self, method: str, url: str,
                 headers: dict[str, str]) -> None:
        self.method = method
        self.url = url
        self.headers = headers


class LeanResponse:
    """What :class:`~powervc_osc.http.compute.ComputeHTTP` reads of an answer.

    The fields of a ``requests.Response`` that the compute loop, the
    attempt's hook and keystoneauth's debug log use.
    """

    def __init__(self, raw: ty.Any, url: str, headers: dict[str, str],
                 elapsed: datetime.timedelta) -> None:
        self.raw = raw
        self.url = url
        self.status_code = raw.status
        self.reason = raw.reason
        self.headers = raw.headers
        self.request = _Sent('GET', url, headers)
        self.elapsed = elapsed
        self._content: bytes | None = None
        self._consumed = False

    def iter_content(self, chunk_size: int = 1) -> ty.Iterator[bytes]:
        """The body in one read of at most the cap and one byte.

        urllib3's errors become requests' ones, as requests maps them.
        """
        try:
            data = self.raw.read(deadline.MAX_ANSWER_BYTES + 1,
                                 decode_content=True)
        except u3.ProtocolError as exc:
            raise requests.exceptions.ChunkedEncodingError(exc)
        except u3.DecodeError as exc:
            raise requests.exceptions.ContentDecodingError(exc)
        except u3.ReadTimeoutError as exc:
            raise requests.exceptions.ConnectionError(exc)
        except u3.SSLError as exc:
            raise requests.exceptions.SSLError(exc)
        if data:
            yield data
        self._consumed = len(data) <= deadline.MAX_ANSWER_BYTES

    def close(self) -> None:
        """Give the connection back, or drop it if the body was not read."""
        if not self._consumed:
            self.raw.close()
        self.raw.release_conn()

    @property
    def content(self) -> bytes:
        return self._content or b''

    @property
    def text(self) -> str:
        encoding = requests.utils.get_encoding_from_headers(
            self.headers) or 'utf-8'
        return self.content.decode(encoding, errors='replace')

    def json(self) -> ty.Any:
        return json.loads(self.content)


def _requests_error(
        exc: BaseException) -> requests.exceptions.RequestException:
    """The exception requests' adapter raises for urllib3's ``exc``."""
    if isinstance(exc, (u3.ProtocolError, OSError, u3.ClosedPoolError)):
        return requests.exceptions.ConnectionError(exc)
    if isinstance(exc, u3.MaxRetryError):
        reason = exc.reason
        if isinstance(reason, u3.ConnectTimeoutError) and not isinstance(
                reason, u3.NewConnectionError):
            return requests.exceptions.ConnectTimeout(exc)
        if isinstance(reason, u3.ResponseError):
            return requests.exceptions.RetryError(exc)
        if isinstance(reason, u3.SSLError):
            return requests.exceptions.SSLError(exc)
        return requests.exceptions.ConnectionError(exc)
    if isinstance(exc, u3.SSLError):
        return requests.exceptions.SSLError(exc)
    if isinstance(exc, u3.ReadTimeoutError):
        return requests.exceptions.ReadTimeout(exc)
    return requests.exceptions.RequestException(exc)


def _keystoneauth_error(exc: requests.exceptions.RequestException,
                        url: str) -> ks_exc.ClientException:
    """The exception keystoneauth raises for requests' ``exc``."""
    error: ks_exc.ClientException
    if isinstance(exc, requests.exceptions.SSLError):
        error = ks_exc.SSLError('SSL exception connecting to %s: %s'
                                % (url, exc))
    elif isinstance(exc, requests.exceptions.Timeout):
        error = ks_exc.ConnectTimeout('Request to %s timed out' % url)
    elif isinstance(exc, requests.exceptions.ConnectionError):
        error = ks_exc.ConnectFailure(
            'Unable to establish connection to %s: %s' % (url, exc))
    else:
        error = ks_exc.UnknownConnectionError(
            'Unexpected exception for %s: %s' % (url, exc), exc)
    error.__cause__ = exc
    return error


def shows_debug(logger: logging.Logger) -> bool:
    """Whether a debug record of ``logger`` would reach a handler.

    OpenStackClient sets the root logger to DEBUG and filters in its
    handlers, so ``isEnabledFor`` is true even without ``--debug``; the
    two records keystoneauth would build for each request, to be dropped,
    cost a sixth of a fleet read's CPU. Handlers' filters are not asked:
    a record they would drop is still built.
    """
    if not logger.isEnabledFor(logging.DEBUG):
        return False
    current: logging.Logger | None = logger
    handlers: list[logging.Handler] = []
    while current is not None:
        handlers.extend(current.handlers)
        if not current.propagate:
            break
        current = current.parent
    if not handlers and logging.lastResort is not None:
        handlers.append(logging.lastResort)
    return any(handler.level <= logging.DEBUG for handler in handlers)


def _origin(url: str) -> tuple[str, str]:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()
