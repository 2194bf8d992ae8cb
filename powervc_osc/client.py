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
import logging
import re
import time
import typing as ty
import urllib.parse

from keystoneauth1 import adapter as ks_adapter
from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import session as ks_session

from powervc_osc import exceptions
from powervc_osc import model

LOG = logging.getLogger(__name__)

#: Concurrent metadata requests in ``list``: enough to hide latency, few
#: enough not to load PowerVC.
DEFAULT_MAX_WORKERS = 16
#: Retries of idempotent requests on connection errors and 502/503/504.
DEFAULT_RETRIES = 3
RETRIABLE_STATUS_CODES = (502, 503, 504)
DEFAULT_WAIT_TIMEOUT = 300.0
DEFAULT_INTERVAL = 5.0

_UUID = re.compile(
    r'^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$',
    re.IGNORECASE)


def is_uuid(value: str) -> bool:
    """Tell whether ``value`` is shaped like a Nova server ID."""
    return bool(_UUID.match(value))


class Failure(ty.NamedTuple):
    """One server that a bulk operation could not handle."""

    server: str
    error: Exception


class PartialFailure(exceptions.RefcodeError):
    """Raised after a bulk operation handled every server it could."""

    def __init__(self, failures: ty.Sequence[Failure]) -> None:
        super().__init__('%d server(s) failed: %s' % (
            len(failures), '; '.join(str(f.error) for f in failures)))
        self.failures = list(failures)


class _Server(ty.NamedTuple):
    id: str
    name: str | None
    host: str | None = None
    status: str | None = None
    metadata: dict | None = None

    @classmethod
    def from_body(cls, body: ty.Mapping[str, ty.Any]) -> _Server:
        meta = body.get('metadata')
        return cls(id=str(body.get('id')),
                   name=model.decode_text(body.get('name')),
                   host=model.decode_text(body.get('OS-EXT-SRV-ATTR:host')),
                   status=model.decode_text(body.get('status')),
                   metadata=meta if isinstance(meta, dict) else None)

    def refcode(self, metadata: ty.Mapping[str, ty.Any] | None,
                ) -> model.Refcode:
        return model.Refcode.from_metadata(
            self.id, self.name, metadata, host=self.host, status=self.status)


def _error_details(response: ty.Any) -> str | None:
    """Pull the human message out of a Nova, Keystone or proxy error body."""
    try:
        body = response.json()
    except ValueError:
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
        session's own timeout).
    """

    def __init__(self, session: ks_session.Session,
                 region_name: str | None = None,
                 interface: str | None = None,
                 endpoint_override: str | None = None,
                 max_workers: int = DEFAULT_MAX_WORKERS,
                 retries: int = DEFAULT_RETRIES,
                 timeout: float | None = None) -> None:
        self.max_workers = max(1, int(max_workers))
        self.timeout = timeout
        self._adapter = ks_adapter.Adapter(
            session, service_type='compute', region_name=region_name,
            interface=interface, endpoint_override=endpoint_override,
            connect_retries=retries, status_code_retries=retries,
            retriable_status_codes=list(RETRIABLE_STATUS_CODES),
            logger=LOG)
        self._sleep = time.sleep
        self._clock = time.monotonic
        _widen_connection_pool(session, self.max_workers)

    @classmethod
    def from_cloud(cls, name: str | None = None,
                   **overrides: ty.Any) -> RefcodeClient:
        """Build a client from a clouds.yaml cloud, as openstack.connect()."""
        import openstack.config

        cloud = openstack.config.get_cloud_region(cloud=name, **overrides)
        return cls._from_cloud_region(cloud)

    @classmethod
    def from_connection(cls, conn: ty.Any) -> RefcodeClient:
        """Build a client from an :class:`openstack.connection.Connection`."""
        return cls._from_cloud_region(conn.config)

    @classmethod
    def _from_cloud_region(cls, cloud: ty.Any) -> RefcodeClient:
        return cls(cloud.get_session(),
                   region_name=cloud.get_region_name('compute'),
                   interface=cloud.get_interface('compute'),
                   endpoint_override=cloud.get_endpoint('compute'))

    # -- HTTP -------------------------------------------------------------

    def _request(self, method: str, path: str, server: str | None = None,
                 **kwargs: ty.Any) -> ty.Any:
        """Send one compute request; return its JSON or raise RefcodeError."""
        if self.timeout is not None:
            kwargs.setdefault('timeout', self.timeout)
        try:
            response = self._adapter.request(
                path, method, raise_exc=False,
                headers={'Accept': 'application/json'}, **kwargs)
        except ks_exc.EndpointNotFound as exc:
            raise exceptions.CommunicationError(
                'No compute endpoint in the service catalog: %s' % exc)
        except ks_exc.ConnectTimeout as exc:
            raise exceptions.CommunicationError(
                'Timed out connecting to PowerVC: %s' % exc)
        except ks_exc.ConnectFailure as exc:
            raise exceptions.CommunicationError(
                'Could not connect to PowerVC: %s' % exc)
        except ks_exc.Unauthorized as exc:
            raise exceptions.Unauthorized(
                'Authentication failed: %s' % exc, status_code=401)
        except ks_exc.ClientException as exc:
            raise exceptions.CommunicationError(
                'Request to PowerVC failed: %s' % exc)
        if response.status_code >= 400:
            raise exceptions.from_status(
                response.status_code, server, _error_details(response))
        try:
            return response.json()
        except ValueError:
            raise exceptions.BadResponse(
                'PowerVC answered %s %s with something that is not JSON'
                % (method, path))

    def _ensure_auth(self) -> None:
        """Authenticate once, before any request runs in a thread."""
        try:
            self._adapter.get_endpoint()
        except ks_exc.ClientException:
            # Let the first real request raise it with a clear message.
            pass

    def _get_server(self, server_id: str, label: str) -> _Server:
        try:
            body = self._request('GET', '/servers/%s' % server_id, label)
        except exceptions.NotFound:
            raise exceptions.ServerNotFound(label)
        return _Server.from_body(_member(body, 'server', dict))

    def _get_metadata(self, server_id: str, label: str) -> dict:
        body = self._request('GET', '/servers/%s/metadata' % server_id, label)
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
            found = self._find_by_name(server)
            return found.refcode(self._get_metadata(found.id, server))
        self._ensure_auth()
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
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
        merges it); never PUT or DELETE.
        """
        if is_uuid(server):
            found = _Server(id=server, name=None)
        else:
            found = self._find_by_name(server)
        value = 'true' if required else 'false'
        try:
            body = self._request(
                'POST', '/servers/%s/metadata' % found.id, server,
                json={'metadata': {model.REQUIRED_KEY: value}})
        except exceptions.NotFound:
            raise exceptions.ServerNotFound(server)
        metadata = _member(body, 'metadata', dict)
        host = metadata.get('original_host') or metadata.get('orginal_host')
        return found._replace(host=model.decode_text(host)).refcode(metadata)

    def wait(self, server: str, timeout: float = DEFAULT_WAIT_TIMEOUT,
             interval: float = 2.0,
             progress: ty.Callable[[model.Refcode], None] | None = None,
             ) -> model.Refcode:
        """Poll until the server reports a reference code; return it.

        :raises WaitTimeout: when ``timeout`` seconds pass first.
        """
        target = self._resolve(server)
        deadline = self._clock() + timeout
        while True:
            current = target.refcode(self._get_metadata(target.id, server))
            if current.refcode is not None:
                return current
            if progress is not None:
                progress(current)
            if self._clock() + interval > deadline:
                raise exceptions.WaitTimeout(
                    'Server %s reported no reference code within %g seconds'
                    % (server, timeout))
            self._sleep(interval)

    def watch(self, server: str, interval: float = DEFAULT_INTERVAL,
              until: str | None = None, timeout: float | None = None,
              ) -> ty.Iterator[model.Refcode]:
        """Yield the server's reference code each time it changes.

        A change is a new refcode, LED code or query time. The generator
        ends after yielding a refcode equal to ``until`` (case-insensitive)
        and raises :class:`WaitTimeout` when ``timeout`` seconds pass first.
        """
        target = self._resolve(server)
        deadline = None if timeout is None else self._clock() + timeout
        last = None
        while True:
            current = target.refcode(self._get_metadata(target.id, server))
            if current.observation != last:
                last = current.observation
                yield current
            if until is not None and current.refcode is not None and (
                    current.refcode.lower() == until.lower()):
                return
            if deadline is not None and self._clock() + interval > deadline:
                raise exceptions.WaitTimeout(
                    'Server %s did not reach %s within %g seconds'
                    % (server, until or 'the end of the watch', timeout))
            self._sleep(interval)

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
                  ) -> set[str]:
        """``wait`` for every server, concurrently; return the failed."""
        return self._bulk(lambda s: self.wait(s, timeout=timeout), servers,
                          on_error)

    def _bulk(self, action: ty.Callable[[str], ty.Any],
              servers: ty.Sequence[str],
              on_error: ty.Callable[[Failure], None] | None) -> set[str]:
        self._ensure_auth()
        failed: set[str] = set()
        with concurrent.futures.ThreadPoolExecutor(self.max_workers) as pool:
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

        With ``servers`` (names or IDs) those are shown; otherwise one paged
        ``/servers/detail`` walk with server-side filters picks them. Fresh
        metadata is fetched concurrently (``max_workers``) only for servers
        whose listing says collection is on. A server that fails is passed
        to ``on_error``; without one, :class:`PartialFailure` is raised
        after every good row has been yielded.
        """
        failures: list[Failure] = []

        def report(failure: Failure) -> None:
            failures.append(failure)
            if on_error is not None:
                on_error(failure)

        self._ensure_auth()
        with concurrent.futures.ThreadPoolExecutor(self.max_workers) as pool:
            if servers:
                jobs = [(s, pool.submit(self.show, s)) for s in servers]
            else:
                jobs = []
                for found in self._walk(host=host, all_projects=all_projects,
                                        project=project, name=name,
                                        status=status):
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

    def _refresh(self, pool: concurrent.futures.Executor,
                 found: _Server) -> concurrent.futures.Future:
        """A future for the server's fresh Refcode (no request when off)."""
        listed = found.refcode(found.metadata)
        if not listed.required:
            done: concurrent.futures.Future = concurrent.futures.Future()
            done.set_result(listed)
            return done
        return pool.submit(
            lambda: found.refcode(self._get_metadata(found.id, found.id)))

    def _walk(self, **filters: ty.Any) -> ty.Iterator[_Server]:
        """Follow ``/servers/detail`` and its next links to the end."""
        query = _listing_query(**filters)
        while True:
            body = self._request(
                'GET', '/servers/detail?' + urllib.parse.urlencode(query))
            page = _member(body, 'servers', list)
            for entry in page:
                if isinstance(entry, dict) and entry.get('id'):
                    yield _Server.from_body(entry)
            marker = _next_marker(body)
            if not marker or not page:
                return
            query['marker'] = marker

    def _resolve(self, server: str) -> _Server:
        if is_uuid(server):
            return _Server(id=server, name=None)._replace(
                name=self._get_server(server, server).name)
        return self._find_by_name(server)


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


def _next_marker(body: ty.Mapping[str, ty.Any]) -> str | None:
    """The ``marker`` of a listing's next link, if there is one."""
    for link in body.get('servers_links') or ():
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
    """Let ``size`` threads share the session without discarding sockets."""
    requests_session = getattr(session, 'session', None)
    if requests_session is None or size <= 10:
        return
    for prefix in ('https://', 'http://'):
        requests_session.mount(
            prefix, ks_session.TCPKeepAliveAdapter(pool_maxsize=size))
