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

"""RefcodeClient: PowerVC reference codes over a keystoneauth session."""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import re
import threading
import time
import typing as ty
import urllib.parse

import requests

from keystoneauth1 import adapter as ks_adapter
from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import session as ks_session

from powervc_osc import defaults
from powervc_osc import exceptions
from powervc_osc import model

LOG = logging.getLogger(__name__)

DEFAULT_MAX_WORKERS = defaults.MAX_WORKERS
#: Retries of idempotent requests on connection errors and 502/503/504.
DEFAULT_RETRIES = 3
RETRIABLE_STATUS_CODES = (502, 503, 504)
#: Seconds to wait for each HTTP answer when neither the client nor the
#: session sets a timeout: a silent PowerVC must never hang a script.
DEFAULT_HTTP_TIMEOUT = 60.0
#: Longest pause between retries that a ``Retry-After`` header may ask for.
MAX_RETRY_AFTER = 5
DEFAULT_WAIT_TIMEOUT = defaults.WAIT_TIMEOUT
DEFAULT_INTERVAL = defaults.WATCH_INTERVAL

_UUID = re.compile(
    r'^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$',
    re.IGNORECASE)


def is_uuid(value: str) -> bool:
    """Tell whether ``value`` is shaped like a Nova server ID."""
    return bool(_UUID.match(value))


Failure = exceptions.Failure
PartialFailure = exceptions.PartialFailure


def _valid_id(value: ty.Any) -> str | None:
    """A server ID from an answer, if it is one this client may use.

    It goes into URLs and onto the operator's terminal, so it must be a
    short printable string.
    """
    if (isinstance(value, str) and value and len(value) <= 255
            and value.isprintable()):
        return value
    return None


def _path(server_id: str, suffix: str = '') -> str:
    return '/servers/%s%s' % (urllib.parse.quote(server_id, safe=''), suffix)


def _short(path: str) -> str:
    """A request path for a message, without its query string."""
    return path.split('?', 1)[0]


def _seconds(value: ty.Any) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 'the time allowed'
    return '%g second%s' % (number, '' if number == 1 else 's')


class _Server(ty.NamedTuple):
    id: str
    name: str | None
    host: str | None = None
    status: str | None = None
    metadata: dict | None = None

    @classmethod
    def from_body(cls, body: ty.Mapping[str, ty.Any]) -> _Server:
        server_id = _valid_id(body.get('id'))
        if server_id is None:
            raise exceptions.BadResponse(
                'PowerVC answered with a server entry without a valid ID')
        meta = body.get('metadata')
        return cls(id=server_id,
                   name=model.decode_text(body.get('name')),
                   host=model.decode_text(body.get('OS-EXT-SRV-ATTR:host')),
                   status=model.decode_text(body.get('status')),
                   metadata=meta if isinstance(meta, dict) else None)

    def refcode(self, metadata: ty.Mapping[str, ty.Any] | None,
                ) -> model.Refcode:
        return model.Refcode.from_metadata(
            self.id, self.name, metadata, host=self.host, status=self.status)


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


class RefcodeClient:
    """Read and switch PowerVC reference-code collection for servers.

    :param session: a :class:`keystoneauth1.session.Session` with auth.
    :param region_name: the compute region to use from the catalog.
    :param interface: the catalog interface (``public``, ``internal``...).
    :param endpoint_override: a compute endpoint to use instead of the
        catalog's (``https://<powervc>/powervc/openstack/compute/v2.1/<id>``).
    :param max_workers: concurrent requests for bulk operations.
    :param retries: retries of idempotent requests on connection errors
        and on 502/503/504 answers, with keystoneauth's bounded backoff.
    :param timeout: seconds to wait for each HTTP answer (default: the
        session's own timeout, else :data:`DEFAULT_HTTP_TIMEOUT`). A request
        that times out is retried like a connection error, so a silent
        PowerVC fails after at most ``(retries + 1) * timeout`` seconds plus
        keystoneauth's backoff (0.5, 1, 2... seconds).
    """

    def __init__(self, session: ks_session.Session,
                 region_name: str | None = None,
                 interface: str | None = None,
                 endpoint_override: str | None = None,
                 max_workers: int = DEFAULT_MAX_WORKERS,
                 retries: int = DEFAULT_RETRIES,
                 timeout: float | None = None) -> None:
        self.max_workers = max(1, int(max_workers))
        self.retries = max(0, int(retries))
        if timeout is None and getattr(session, 'timeout', None) is None:
            timeout = DEFAULT_HTTP_TIMEOUT
        self.timeout = timeout
        self._adapter = ks_adapter.Adapter(
            session, service_type='compute', region_name=region_name,
            interface=interface, endpoint_override=endpoint_override,
            connect_retries=self.retries,
            status_code_retries=self.retries,
            retriable_status_codes=list(RETRIABLE_STATUS_CODES),
            logger=ty.cast(logging.Logger, _RetryLog(LOG, {})))
        self._sleep = time.sleep
        self._clock = time.monotonic
        _widen_connection_pool(session, self.max_workers)

    @classmethod
    def from_cloud(cls, name: str | None = None, *,
                   max_workers: int = DEFAULT_MAX_WORKERS,
                   **overrides: ty.Any) -> RefcodeClient:
        """Build a client from a clouds.yaml cloud, as openstack.connect().

        ``overrides`` are cloud settings (as for openstack.connect()).
        """
        import openstack.config

        cloud = openstack.config.get_cloud_region(cloud=name, **overrides)
        return cls._from_cloud_region(cloud, max_workers=max_workers)

    @classmethod
    def from_connection(cls, conn: ty.Any) -> RefcodeClient:
        """Build a client from an :class:`openstack.connection.Connection`.

        The client shares the connection's session; with more than 10
        ``max_workers`` it enlarges that session's connection pool.
        """
        return cls._from_cloud_region(conn.config)

    @classmethod
    def _from_cloud_region(cls, cloud: ty.Any,
                           max_workers: int = DEFAULT_MAX_WORKERS,
                           ) -> RefcodeClient:
        return cls(cloud.get_session(),
                   region_name=cloud.get_region_name('compute'),
                   interface=cloud.get_interface('compute'),
                   endpoint_override=cloud.get_endpoint('compute'),
                   max_workers=max_workers)

    # -- HTTP -------------------------------------------------------------

    def _request(self, method: str, path: str, server: str | None = None,
                 target: str = 'the request', **kwargs: ty.Any) -> ty.Any:
        """Send one compute request; return its JSON or raise RefcodeError."""
        if self.timeout is not None:
            kwargs.setdefault('timeout', self.timeout)
        try:
            response = self._adapter.request(
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
                    method, _short(path), _seconds(
                        kwargs.get('timeout', self._adapter.session.timeout)),
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
        if response.status_code >= 400:
            retried = (self.retries if response.status_code in
                       RETRIABLE_STATUS_CODES else 0)
            raise exceptions.from_status(
                response.status_code, server, _error_details(response),
                retries=retried, target=target,
                refcode_call=_short(path).endswith('/metadata'))
        try:
            return response.json()
        except (ValueError, RecursionError):
            raise exceptions.BadResponse(
                'PowerVC answered %s %s with something that is not JSON'
                % (method, _short(path)))

    def _tried(self) -> str:
        return ' (tried %d times)' % (self.retries + 1) if self.retries else ''

    def _ensure_auth(self) -> None:
        """Authenticate once, before any request runs in a thread."""
        try:
            self._adapter.get_endpoint()
        except ks_exc.ClientException:
            # Let the first real request raise it with a clear message.
            pass

    def _get_server(self, server_id: str, label: str) -> _Server:
        try:
            body = self._request('GET', _path(server_id), label)
        except exceptions.NotFound:
            raise exceptions.ServerNotFound(label)
        entry = dict(_member(body, 'server', dict), id=server_id)
        return _Server.from_body(entry)

    def _get_metadata(self, server_id: str, label: str) -> dict:
        body = self._request('GET', _path(server_id, '/metadata'), label)
        return _member(body, 'metadata', dict)

    def _find_by_name(self, name: str) -> _Server:
        query = urllib.parse.urlencode({'name': '^%s$' % re.escape(name)})
        body = self._request('GET', '/servers?' + query, name)
        matches = [_Server.from_body(s) for s in _member(body, 'servers', list)
                   if isinstance(s, dict) and s.get('name') == name]
        if not matches:
            raise exceptions.ServerNotFound(name)
        if len(matches) > 1:
            raise exceptions.AmbiguousServer(name, [m.id for m in matches])
        return matches[0]

    # -- Public API -------------------------------------------------------

    def show(self, server: str) -> model.Refcode:
        """Fetch a fresh reference code for a server given by name or ID.

        An ID costs two requests sent at once (server and metadata); a name
        costs an exact-name lookup, then the metadata request.
        """
        if not is_uuid(server):
            return self._fresh(server)
        self._ensure_auth()
        with _pool(2) as pool:
            details = pool.submit(self._get_server, server, server)
            metadata = pool.submit(self._get_metadata, server, server)
            try:
                found = details.result()
            finally:
                concurrent.futures.wait([metadata])
            try:
                return found.refcode(metadata.result())
            except exceptions.NotFound:
                raise exceptions.ServerNotFound(server)

    def set_required(self, server: str, required: bool) -> model.Refcode:
        """Turn reference-code collection on or off; keep all other keys.

        Sends only ``POST /servers/{id}/metadata`` with the one key (Nova
        merges it); never PUT or DELETE. An ID costs that one request, a
        name an exact-name lookup first.
        """
        if is_uuid(server):
            found = _Server(id=server, name=None)
        else:
            found = self._find_by_name(server)
        value = 'true' if required else 'false'
        try:
            body = self._request(
                'POST', _path(found.id, '/metadata'), server,
                json={'metadata': {model.REQUIRED_KEY: value}})
        except exceptions.NotFound:
            raise exceptions.ServerNotFound(server)
        metadata = _member(body, 'metadata', dict)
        host = metadata.get('original_host') or metadata.get('orginal_host')
        return found._replace(host=model.decode_text(host)).refcode(metadata)

    def wait(self, server: str, timeout: float = DEFAULT_WAIT_TIMEOUT,
             interval: float = defaults.WAIT_INTERVAL,
             progress: ty.Callable[[model.Refcode], None] | None = None,
             ) -> model.Refcode:
        """Poll until the server reports a reference code; return it.

        :raises CollectionOff: when collection is off for the server.
        :raises WaitTimeout: when ``timeout`` seconds pass first.
        """
        return self._wait_until(server, self._clock() + timeout, timeout,
                                interval, progress)

    def _wait_until(self, server: str, deadline: float, timeout: float,
                    interval: float,
                    progress: ty.Callable[[model.Refcode], None] | None,
                    stop: threading.Event | None = None,
                    ) -> model.Refcode:
        target = self._lookup(server)
        while True:
            current = target.refcode(self._get_metadata(target.id, server))
            if current.refcode is not None:
                return current
            if not current.required:
                raise exceptions.CollectionOff(server)
            if progress is not None:
                progress(current)
            if not self._pause_until_next_poll(interval, deadline, stop):
                raise exceptions.WaitTimeout(
                    'Server %s reported no reference code within %s'
                    % (server, _seconds(timeout)))

    def _pause_until_next_poll(self, interval: float,
                               deadline: float | None,
                               stop: threading.Event | None = None) -> bool:
        """Sleep until the next poll; False once ``deadline`` has passed.

        The last poll happens at the deadline itself, so a wait lasts the
        whole time it was given. ``stop`` (set when a bulk operation is
        interrupted) ends the pause early with :class:`Interrupted`.
        """
        now = self._clock()
        if deadline is not None:
            if now >= deadline:
                return False
            interval = min(interval, deadline - now)
        end = now + interval
        while True:
            if stop is not None and stop.is_set():
                raise exceptions.Interrupted('interrupted')
            left = end - self._clock()
            if left <= 0:
                return True
            self._sleep(left if stop is None else min(left, 0.2))

    def watch(self, server: str, interval: float = DEFAULT_INTERVAL,
              until: str | None = None, timeout: float | None = None,
              on_error: ty.Callable[[Failure], None] | None = None,
              ) -> ty.Iterator[model.Refcode]:
        """Yield the server's reference code each time it changes.

        A change is a new refcode, LED code or query time. The generator
        ends after yielding a refcode equal to ``until`` (case-insensitive)
        and raises :class:`WaitTimeout` when ``timeout`` seconds pass first.
        A poll that fails on PowerVC's side (5xx, no answer) is passed to
        ``on_error`` and the watch goes on; without ``on_error`` it raises.
        """
        target = self._lookup(server)
        deadline = None if timeout is None else self._clock() + timeout
        last = None
        while True:
            try:
                current = target.refcode(
                    self._get_metadata(target.id, server))
            except (exceptions.ServerError,
                    exceptions.CommunicationError) as exc:
                if on_error is None:
                    raise
                on_error(Failure(server, exc))
            else:
                if current.observation != last:
                    last = current.observation
                    yield current
                if until is not None and current.refcode is not None and (
                        current.refcode.lower() == until.lower()):
                    return
            if not self._pause_until_next_poll(interval, deadline):
                raise exceptions.WaitTimeout(
                    'Server %s did not reach %s within %s'
                    % (server, until or 'the end of the watch',
                       _seconds(timeout)))

    def set_required_many(self, servers: ty.Sequence[str], required: bool,
                          on_error: ty.Callable[[Failure], None] | None = None,
                          ) -> set[str]:
        """``set_required`` for every server, concurrently.

        Every server is attempted. Returns the servers that failed, each
        also passed to ``on_error``.
        """
        return self._bulk(lambda s: self.set_required(s, required), servers,
                          on_error)

    def wait_many(self, servers: ty.Sequence[str],
                  timeout: float = DEFAULT_WAIT_TIMEOUT,
                  on_error: ty.Callable[[Failure], None] | None = None,
                  interval: float = defaults.WAIT_INTERVAL,
                  progress: ty.Callable[[model.Refcode], None] | None = None,
                  ) -> set[str]:
        """``wait`` for every server, concurrently; return the failed.

        ``timeout`` bounds the whole operation, not each server;
        ``progress`` is called (from worker threads) after each poll that
        found no code yet.
        """
        deadline = self._clock() + timeout
        stop = threading.Event()
        return self._bulk(
            lambda s: self._wait_until(s, deadline, timeout, interval,
                                       progress, stop),
            servers, on_error, stop)

    def _bulk(self, action: ty.Callable[[str], ty.Any],
              servers: ty.Sequence[str],
              on_error: ty.Callable[[Failure], None] | None,
              stop: threading.Event | None = None) -> set[str]:
        self._ensure_auth()
        failed: set[str] = set()
        with _pool(self.max_workers, stop) as pool:
            jobs = [(s, pool.submit(action, s)) for s in servers]
            for server, job in jobs:
                try:
                    job.result()
                except exceptions.RefcodeError as exc:
                    failed.add(server)
                    if on_error is not None:
                        on_error(Failure(server, exc))
        return failed

    def list(self, servers: ty.Sequence[str] | None = None,
             host: str | None = None, all_projects: bool = False,
             project: str | None = None, name: str | None = None,
             status: str | None = None, enabled_only: bool = False,
             on_error: ty.Callable[[Failure], None] | None = None,
             ) -> ty.Iterator[model.Refcode]:
        """Yield fresh reference codes for many servers, in a stable order.

        With ``servers`` (names or IDs) those are shown, in that order;
        otherwise one paged ``/servers/detail`` walk with server-side
        filters picks them, in PowerVC's order. Fresh metadata is fetched
        concurrently (at most ``max_workers`` requests at once) only for
        servers whose listing says collection is on. A server that fails is
        passed to ``on_error``; without one, :class:`PartialFailure` is
        raised after every good row has been yielded. Closing the generator
        early cancels the requests not yet sent.
        """
        failures: list[Failure] = []

        def report(failure: Failure) -> None:
            failures.append(failure)
            if on_error is not None:
                on_error(failure)

        self._ensure_auth()
        with _pool(self.max_workers) as pool:
            if servers:
                jobs = [(s, pool.submit(self._fresh, s)) for s in servers]
            else:
                jobs = []
                for found in self._walk(host=host, all_projects=all_projects,
                                        project=project, name=name,
                                        status=status):
                    if isinstance(found, exceptions.RefcodeError):
                        jobs.append(('(unnamed)', _settled(error=found)))
                    else:
                        jobs.append((found.id, self._refresh(pool, found)))
            for label, job in jobs:
                try:
                    row = job.result()
                except exceptions.RefcodeError as exc:
                    report(Failure(label, exc))
                    continue
                if enabled_only and not row.required:
                    continue
                yield row
        if failures and on_error is None:
            raise PartialFailure(failures)

    # -- Helpers of the public API ------------------------------------------

    def _lookup(self, server: str) -> _Server:
        """The server an argument names: an ID, else an exact name."""
        if is_uuid(server):
            return self._get_server(server, server)
        return self._find_by_name(server)

    def _fresh(self, server: str) -> model.Refcode:
        """Look a server up, then fetch its metadata (two requests)."""
        found = self._lookup(server)
        try:
            return found.refcode(self._get_metadata(found.id, server))
        except exceptions.NotFound:
            raise exceptions.ServerNotFound(server)

    def _refresh(self, pool: concurrent.futures.Executor,
                 found: _Server) -> concurrent.futures.Future:
        """A future for the server's fresh Refcode (no request when off)."""
        listed = found.refcode(found.metadata)
        if not listed.required:
            return _settled(result=listed)
        return pool.submit(
            lambda: found.refcode(self._get_metadata(found.id, found.id)))

    def _walk(self, **filters: ty.Any,
              ) -> ty.Iterator[_Server | exceptions.RefcodeError]:
        """Follow ``/servers/detail`` and its next links to the end.

        An entry that is not a usable server is yielded as the error to
        report, so that one odd entry costs one failure, not the listing.
        """
        query = _listing_query(**filters)
        seen: set[str] = set()
        while True:
            body = self._request(
                'GET', '/servers/detail?' + urllib.parse.urlencode(query),
                target='the server listing')
            page = _member(body, 'servers', list)
            for index, entry in enumerate(page):
                try:
                    if not isinstance(entry, dict):
                        raise exceptions.BadResponse(
                            'PowerVC listed a server entry that is not an '
                            'object (entry %d of a page)' % (index + 1))
                    yield _Server.from_body(entry)
                except exceptions.BadResponse as exc:
                    yield exc
            marker = _next_marker(body)
            if not marker or not page:
                return
            if marker in seen:
                raise exceptions.BadResponse(
                    'PowerVC\'s server listing links back to a page it '
                    'already sent (marker %s)' % marker)
            seen.add(marker)
            query['marker'] = marker


@contextlib.contextmanager
def _pool(workers: int, stop: threading.Event | None = None,
          ) -> ty.Iterator[concurrent.futures.ThreadPoolExecutor]:
    """A thread pool that drops its queued work when the caller stops early.

    On Ctrl-C, an error, or a ``list`` generator closed early, the requests
    not yet sent are cancelled and ``stop`` is set for the jobs that poll;
    only requests already under way finish.
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


def _listing_query(host: str | None = None, all_projects: bool = False,
                   project: str | None = None, name: str | None = None,
                   status: str | None = None) -> dict[str, str]:
    """Nova's server-side filters for ``/servers/detail``."""
    query: dict[str, str] = {}
    if all_projects or project:
        query['all_tenants'] = 'True'
    if project:
        query['project_id'] = project
    if host:
        query['host'] = host
    if name:
        query['name'] = name
    if status:
        query['status'] = status.upper()
    return query


def _settled(result: ty.Any = None,
             error: Exception | None = None) -> concurrent.futures.Future:
    """A future already done, to sit in a list beside submitted jobs."""
    done: concurrent.futures.Future = concurrent.futures.Future()
    if error is not None:
        done.set_exception(error)
    else:
        done.set_result(result)
    return done


def _next_marker(body: ty.Mapping[str, ty.Any]) -> str | None:
    """The ``marker`` of a listing's next link, if there is one."""
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


def _member(body: ty.Any, key: str, kind: type) -> ty.Any:
    """Return ``body[key]`` if it has the expected type, else BadResponse."""
    value = body.get(key) if isinstance(body, dict) else None
    if not isinstance(value, kind):
        raise exceptions.BadResponse(
            'PowerVC answered without a valid %r member' % key)
    return value


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
