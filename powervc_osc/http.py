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
into JSON or a :class:`~powervc_osc.exceptions.RefcodeError`; the helpers
below read Nova's bodies (members, next links) and run requests on a
thread pool.  Nothing here knows about reference codes.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import re
import threading
import typing as ty
import urllib.parse

import requests

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


class ComputeHTTP:
    """Requests to the compute endpoint, each giving JSON or RefcodeError.

    :param session: a :class:`keystoneauth1.session.Session` with auth.
    :param retries: retries of idempotent requests on connection errors
        and on 502/503/504 answers, with keystoneauth's bounded backoff.
    :param timeout: seconds to wait for each answer (default: the
        session's own timeout, else :data:`DEFAULT_HTTP_TIMEOUT`).
    :param pool_size: threads that will share the session.
    """

    def __init__(self, session: ks_session.Session,
                 region_name: str | None = None,
                 interface: str | None = None,
                 endpoint_override: str | None = None,
                 retries: int = DEFAULT_RETRIES,
                 timeout: float | None = None,
                 pool_size: int = 1) -> None:
        self.retries = max(0, int(retries))
        if timeout is None and getattr(session, 'timeout', None) is None:
            timeout = DEFAULT_HTTP_TIMEOUT
        self.timeout = timeout
        self.adapter = ks_adapter.Adapter(
            session, service_type='compute', region_name=region_name,
            interface=interface, endpoint_override=endpoint_override,
            connect_retries=self.retries,
            status_code_retries=self.retries,
            retriable_status_codes=list(RETRIABLE_STATUS_CODES),
            logger=ty.cast(logging.Logger, _RetryLog(LOG, {})))
        _widen_connection_pool(session, pool_size)

    def request(self, method: str, path: str, server: str | None = None,
                target: str = 'the request', **kwargs: ty.Any) -> ty.Any:
        """Send one compute request; return its JSON or raise RefcodeError.

        :param server: the server the request is about, as the user named
            it (an error names it).
        :param target: what the request is about when it is no server.
        """
        if self.timeout is not None:
            kwargs.setdefault('timeout', self.timeout)
        try:
            response = self.adapter.request(
                path, method, raise_exc=False,
                headers={'Accept': 'application/json'},
                hooks={'response': _bound_retry_after}, **kwargs)
        except ks_exc.EndpointNotFound as exc:
            raise exceptions.CommunicationError(
                'No compute endpoint in the service catalog: %s' % exc)
        except ks_exc.ConnectTimeout as exc:
            raise exceptions.CommunicationError(
                'PowerVC did not answer %s %s within %s%s; api_timeout '
                'or OS_API_TIMEOUT sets the limit: %s' % (
                    method, _short(path), exceptions.seconds_text(
                        kwargs.get('timeout', self.adapter.session.timeout)),
                    self._tried(), _transport_reason(exc)))
        except ks_exc.ConnectFailure as exc:
            raise exceptions.CommunicationError(
                'Could not connect to PowerVC%s: %s' % (
                    self._tried(), _transport_reason(exc)))
        except ks_exc.SSLError as exc:
            raise exceptions.CommunicationError(
                'Could not connect to PowerVC: TLS failed (check cacert): '
                '%s' % _transport_reason(exc))
        except ks_exc.Unauthorized as exc:
            raise exceptions.Unauthorized(
                'Authentication failed: %s' % exc, status_code=401)
        except ks_exc.ClientException as exc:
            raise exceptions.CommunicationError(
                'Request to PowerVC failed: %s' % exc)
        request_id = model.decode_text(
            response.headers.get(REQUEST_ID_HEADER))
        if response.status_code >= 400:
            LOG.debug('PowerVC answered %s %s with HTTP %d (request ID %s)',
                      method, _short(path), response.status_code, request_id)
            retried = (self.retries if response.status_code in
                       RETRIABLE_STATUS_CODES else 0)
            raise exceptions.from_status(
                response.status_code, server, _error_details(response),
                retries=retried, target=target,
                refcode_call=_short(path).endswith('/metadata'),
                request_id=request_id)
        try:
            return response.json()
        except (ValueError, RecursionError):
            LOG.debug('PowerVC answered %s %s with no JSON (request ID %s)',
                      method, _short(path), request_id)
            raise exceptions.BadResponse(
                'PowerVC answered %s %s with something that is not JSON'
                % (method, _short(path)), request_id=request_id)

    def ensure_auth(self) -> None:
        """Authenticate once, before any request runs in a thread."""
        try:
            self.adapter.get_endpoint()
        except ks_exc.ClientException:
            # Let the first real request raise it with a clear message.
            pass

    def _tried(self) -> str:
        return ' (tried %d times)' % (self.retries + 1) if self.retries else ''


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


@contextlib.contextmanager
def thread_pool(workers: int, stop: threading.Event | None = None,
                ) -> ty.Iterator[concurrent.futures.ThreadPoolExecutor]:
    """A thread pool that drops its queued work when the caller stops early.

    On Ctrl-C, an error, or a generator closed early, the requests not yet
    sent are cancelled and ``stop`` is set for the jobs that poll; only
    requests already under way finish.
    """
    pool = concurrent.futures.ThreadPoolExecutor(workers)
    try:
        yield pool
    except BaseException:
        if stop is not None:
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


def _short(path: str) -> str:
    """A request path for a message, without its query string."""
    return path.split('?', 1)[0]


class _RetryLog(logging.LoggerAdapter):
    """The client's logger, with keystoneauth's retry notices at INFO.

    keystoneauth logs each retry as a warning, which OSC prints even
    without ``--debug``; a retry that succeeds is not worth a line on
    stderr, and one that fails ends in a single error naming the retries.
    ``-v`` or ``--debug`` shows them.
    """

    def warning(self, msg: ty.Any, *args: ty.Any, **kwargs: ty.Any) -> None:
        self.info(msg, *args, **kwargs)


def _bound_retry_after(response: requests.Response, *args: ty.Any,
                       **kwargs: ty.Any) -> requests.Response:
    """A requests hook: keep ``Retry-After`` within what a script can wait.

    keystoneauth sleeps for the header's whole seconds, unbounded; a proxy
    answering ``Retry-After: 3600`` (or ``-1``, which makes ``time.sleep``
    raise) must not hang or crash the client.
    """
    value = response.headers.get('Retry-After')
    if value is None:
        return response
    try:
        seconds = int(value)
    except ValueError:
        return response     # keystoneauth uses its own backoff then
    if seconds < 0:
        del response.headers['Retry-After']
    elif seconds > MAX_RETRY_AFTER:
        response.headers['Retry-After'] = str(MAX_RETRY_AFTER)
    return response


def _transport_reason(exc: BaseException) -> str:
    """The root cause of a transport error, without urllib3's wrapping.

    keystoneauth's message repeats the URL and urllib3's retry bookkeeping;
    the innermost socket or TLS error is what tells the operator why.
    """
    cause: BaseException | None = exc
    seen = set()
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, requests.exceptions.RequestException):
            break
        cause = cause.__cause__ or cause.__context__
    if cause is None:
        return str(exc)
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


def _widen_connection_pool(session: ty.Any, size: int) -> None:
    """Let ``size`` threads share the session without discarding sockets.

    Only keystoneauth's own transport is replaced, by one with the same
    TLS settings (ciphers, minimum version) and a larger pool; a transport
    that someone else mounted is left alone.
    """
    requests_session = getattr(session, 'session', None)
    if requests_session is None or size <= 10:
        return
    for prefix in ('https://', 'http://'):
        current = requests_session.adapters.get(prefix)
        if type(current) is not ks_session.TCPKeepAliveAdapter:
            continue
        if getattr(current, '_pool_maxsize', 0) >= size:
            continue
        tls = {name: getattr(current, name)
               for name in ('tls_ciphers', 'tls_min_version')
               if getattr(current, name, None)}
        requests_session.mount(prefix, ks_session.TCPKeepAliveAdapter(
            pool_maxsize=size, **tls))
