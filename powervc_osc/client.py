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

"""RefcodeClient: PowerVC reference-code operations.

Lookup, show, set, list, wait and watch, over :mod:`powervc_osc.http`.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime
import logging
import re
import threading
import time
import typing as ty
import urllib.parse

from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1 import session as ks_session

from powervc_osc import budget
from powervc_osc import defaults
from powervc_osc import exceptions
from powervc_osc import freshness
from powervc_osc import http
from powervc_osc import listing
from powervc_osc import model

LOG = logging.getLogger(__name__)

DEFAULT_MAX_WORKERS = defaults.MAX_WORKERS
DEFAULT_RETRIES = http.DEFAULT_RETRIES
DEFAULT_HTTP_TIMEOUT = http.DEFAULT_HTTP_TIMEOUT
MAX_RETRY_AFTER = http.MAX_RETRY_AFTER
DEFAULT_WAIT_TIMEOUT = defaults.WAIT_TIMEOUT
DEFAULT_WATCH_INTERVAL = defaults.WATCH_INTERVAL
#: The former name of :data:`DEFAULT_WATCH_INTERVAL`, kept for scripts.
DEFAULT_INTERVAL = DEFAULT_WATCH_INTERVAL

#: The longest single sleep of a wait or watch (longer pauses loop).
_MAX_SLEEP = 3600.0
#: Seconds the poll at a wait's deadline may take.
_LAST_POLL = 1.0
#: The burst of the request budget: this many seconds' worth of requests.
_BURST_SECONDS = 0.02

_UUID = re.compile(
    r'^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$',
    re.IGNORECASE)


def is_uuid(value: str) -> bool:
    """Tell whether ``value`` is shaped like a Nova server ID."""
    return bool(_UUID.match(value))


Failure = exceptions.Failure
PartialFailure = exceptions.PartialFailure
#: ``on_progress(done, total)`` of bulk operations.
_OnProgress = ty.Callable[[int, int], None]


def _valid_id(value: ty.Any) -> str | None:
    """A server ID from an answer, if it is one this client may use.

    It goes into URLs and onto the operator's terminal, so it must be a
    short printable string, and no path segment of its own (``.``, ``..``,
    ``/``), not even once a proxy has decoded it.
    """
    if not (isinstance(value, str) and value and len(value) <= 255
            and value.isprintable()):
        return None
    decoded = value
    for _ in range(3):       # %2F, %252F, %25252F
        if decoded in ('.', '..') or '/' in decoded or '\\' in decoded:
            return None
        decoded = urllib.parse.unquote(decoded)
    return value


def _path(server_id: str, suffix: str = '') -> str:
    return '/servers/%s%s' % (urllib.parse.quote(server_id, safe=''), suffix)


@contextlib.contextmanager
def _not_found_as_server(server: str) -> ty.Iterator[None]:
    """Report a 404 about the user's ``server`` as :class:`ServerNotFound`."""
    try:
        yield
    except exceptions.NotFound:
        raise exceptions.ServerNotFound(server)


class _Server(ty.NamedTuple):
    id: str
    name: str | None
    host: str | None = None
    status: str | None = None
    metadata: dict | None = None
    project_id: str | None = None
    #: Whether PowerVC showed the host attribute (to admins only).
    host_shown: bool = True

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
                   metadata=meta if isinstance(meta, dict) else None,
                   project_id=model.decode_text(body.get('tenant_id')),
                   host_shown='OS-EXT-SRV-ATTR:host' in body)

    def refcode(self, metadata: ty.Mapping[str, ty.Any] | None,
                ) -> model.Refcode:
        return model.Refcode.from_metadata(
            self.id, self.name, metadata, host=self.host, status=self.status)


class RefcodeClient:
    """Read and switch PowerVC reference-code collection for servers.

    Every method takes the user's ``server`` as a name or an ID.

    :param session: a :class:`keystoneauth1.session.Session` with auth.
    :param region_name: the compute region to use from the catalog.
    :param interface: the catalog interface (``public``, ``internal``...).
    :param endpoint_override: a compute endpoint to use instead of the
        catalog's (``https://<powervc>/powervc/openstack/compute/v2.1/<id>``).
    :param max_workers: concurrent requests for bulk operations.
    :param retries: retries of idempotent requests on connection errors
        and on 502/503/504 answers, with keystoneauth's bounded backoff.
    :param timeout: seconds each HTTP attempt may take, from sending the
        request to the last byte of its answer (default: the session's own
        timeout, else :data:`DEFAULT_HTTP_TIMEOUT`). An attempt that times
        out is retried like a connection error, so a silent or trickling
        PowerVC fails after at most ``(retries + 1) * timeout`` seconds plus
        the backoff (0.5, 1, 2... seconds). The ``timeout`` of a wait or
        watch bounds the whole of it. A 401 costs one new login, shared by
        concurrent requests; redirects are followed within the endpoint's
        origin only, so the token never leaves it.
    :param clock: the clock of waits and watches (default
        :func:`time.monotonic`).
    :param sleep: how waits, watches and the backoff between retries
        pause (default :func:`time.sleep`).
    :param max_rate: metadata GETs per second at most, spread evenly
        (default: no limit). With it, bulk operations run as many requests
        at once as that rate needs at the latency measured, at most
        ``max_workers``.
    :param zone_offset: PowerVC's UTC offset, the zone of its query times
        (default: learned from the first fresh read, see
        :attr:`zone_offset`).
    """

    def __init__(self, session: ks_session.Session,
                 region_name: str | None = None,
                 interface: str | None = None,
                 endpoint_override: str | None = None,
                 max_workers: int = DEFAULT_MAX_WORKERS,
                 retries: int = DEFAULT_RETRIES,
                 timeout: float | None = None,
                 clock: ty.Callable[[], float] | None = None,
                 sleep: ty.Callable[[float], ty.Any] | None = None,
                 max_rate: float | None = None,
                 zone_offset: datetime.timedelta | None = None) -> None:
        self.max_workers = max(1, int(max_workers))
        self._http = http.ComputeHTTP(
            session, region_name=region_name, interface=interface,
            endpoint_override=endpoint_override, retries=retries,
            timeout=timeout, pool_size=self.max_workers + 1, sleep=sleep)
        # Looked up now, not at import, so that a patched time module works.
        self._clock = clock or time.monotonic
        self._sleep = sleep or time.sleep
        self.max_rate = max_rate or None
        self._bucket = budget.TokenBucket(
            self.max_rate, burst=(self.max_rate or 0) * _BURST_SECONDS,
            clock=self._clock, sleep=self._sleep)
        #: Round trips of this client's requests (a moving average).
        self.latency = budget.Latency()
        #: PowerVC's UTC offset (the zone of ``queried_at``): given, or
        #: learned from a read that PowerVC just stamped; None until then.
        self.zone_offset = zone_offset
        self._dates: tuple[str | None, datetime.datetime | None] = (
            None, None)

    @property
    def retries(self) -> int:
        """Retries of each idempotent request."""
        return self._http.retries

    @property
    def timeout(self) -> float | None:
        """Seconds per HTTP answer (``None``: the session's own timeout)."""
        return self._http.timeout

    @property
    def endpoint(self) -> str | None:
        """The compute endpoint's URL (None when it cannot be found)."""
        try:
            return self._http.adapter.get_endpoint()
        except ks_exceptions.ClientException:
            return None

    @classmethod
    def from_cloud(cls, name: str | None = None, *,
                   max_workers: int = DEFAULT_MAX_WORKERS,
                   max_rate: float | None = None,
                   **overrides: ty.Any) -> RefcodeClient:
        """Build a client from a clouds.yaml cloud, as openstack.connect().

        The cloud's ``api_timeout`` bounds every request, the login
        included; without one, :data:`DEFAULT_HTTP_TIMEOUT` does.

        :param name: the cloud (default: ``OS_CLOUD`` or ``OS_*``).
        :param max_workers: concurrent requests for bulk operations.
        :param max_rate: metadata requests a second at most (see the
            class).
        :param overrides: cloud settings, as for openstack.connect().
        :raises ConfigurationError: for a cloud that is not configured, or
            configured wrongly.
        """
        import openstack.config
        from openstack import exceptions as sdk_exceptions

        try:
            cloud = openstack.config.get_cloud_region(cloud=name, **overrides)
            session = cloud.get_session()
        except sdk_exceptions.ConfigException as exc:
            raise exceptions.ConfigurationError(
                'Cloud configuration: %s' % exc) from exc
        if session.timeout is None:     # the session is this client's own
            session.timeout = DEFAULT_HTTP_TIMEOUT
        return cls._from_cloud_region(cloud, max_workers=max_workers,
                                      max_rate=max_rate)

    @classmethod
    def from_connection(cls, conn: ty.Any) -> RefcodeClient:
        """Build a client from an :class:`openstack.connection.Connection`.

        The client shares the connection's session, whose connection pool
        it enlarges to :data:`DEFAULT_MAX_WORKERS` + 1 connections (the
        walk of a listing beside its workers).
        """
        return cls._from_cloud_region(conn.config)

    @classmethod
    def _from_cloud_region(cls, cloud: ty.Any,
                           max_workers: int = DEFAULT_MAX_WORKERS,
                           max_rate: float | None = None,
                           ) -> RefcodeClient:
        return cls(cloud.get_session(),
                   region_name=cloud.get_region_name('compute'),
                   interface=cloud.get_interface('compute'),
                   endpoint_override=cloud.get_endpoint('compute'),
                   max_workers=max_workers, max_rate=max_rate)

    # -- Public API -------------------------------------------------------

    def show(self, server: str, all_projects: bool = False) -> model.Refcode:
        """Fetch a fresh reference code for a server given by name or ID.

        An ID costs two requests sent at once (server and metadata); a name
        costs an exact-name lookup, then the metadata request. With
        ``all_projects`` a name is looked up in every project (admin only).
        """
        if not is_uuid(server):
            return self._lookup_and_read(server, all_projects)
        self._http.ensure_auth()
        with http.thread_pool(2) as pool:
            details = pool.submit(self._lookup, server, all_projects)
            metadata = pool.submit(self._read_metadata, server, server)
            try:
                found = details.result()
            except Exception:
                # Not on Ctrl-C: the other request may hang as long.
                concurrent.futures.wait([metadata])
                raise
            if found.id != server:     # a name that looks like an ID
                return self._read(found, server)
            with _not_found_as_server(server):
                return found.refcode(metadata.result())

    def set_required(self, server: str, required: bool,
                     all_projects: bool = False) -> model.Refcode:
        """Turn reference-code collection on or off; keep all other keys.

        Sends only ``POST /servers/{id}/metadata`` with the one key (Nova
        merges it); never PUT or DELETE. An ID costs that one request, a
        name an exact-name lookup first (in every project with
        ``all_projects``).
        """
        if is_uuid(server):
            try:
                return self._post_required(_Server(id=server, name=None),
                                           server, required)
            except exceptions.NotFound:
                pass        # maybe a name that looks like an ID
        found = self._find_by_name(server, all_projects)
        with _not_found_as_server(server):
            return self._post_required(found, server, required)

    def wait(self, server: str, timeout: float = DEFAULT_WAIT_TIMEOUT,
             interval: float = defaults.WAIT_INTERVAL,
             progress: ty.Callable[[model.Refcode], None] | None = None,
             all_projects: bool = False) -> model.Refcode:
        """Poll until the server reports a reference code; return it.

        :raises CollectionOff: when collection is off for the server.
        :raises WaitTimeout: when ``timeout`` seconds pass first.
        """
        return self._wait_until(server, self._clock() + timeout, timeout,
                                interval, progress, all_projects=all_projects)

    def watch(self, server: str, interval: float = DEFAULT_WATCH_INTERVAL,
              until: str | None = None, timeout: float | None = None,
              on_error: ty.Callable[[Failure], None] | None = None,
              all_projects: bool = False) -> ty.Iterator[model.Refcode]:
        """Yield the server's reference code each time it changes.

        A change is a new refcode or LED text (a new query time alone is
        not: PowerVC moves it at each query); the first poll is always
        yielded. The generator ends after yielding a refcode equal to
        ``until`` (case-insensitive) and raises :class:`WaitTimeout` when
        ``timeout`` seconds pass first.
        A poll that fails on PowerVC's side (5xx, no answer) is passed to
        ``on_error`` and the watch goes on; without ``on_error`` it raises.
        """
        deadline = None if timeout is None else self._clock() + timeout
        found = self._lookup_by(server, all_projects, deadline)
        last = None
        if found is not None:
            for _ in self._poll_times(interval, deadline):
                try:
                    current = self._poll(found, server, deadline)
                except (exceptions.ServerError,
                        exceptions.CommunicationError) as exc:
                    if on_error is None:
                        raise
                    on_error(Failure(server, exc))
                    continue
                if current is None:
                    continue
                if current.observation != last:
                    last = current.observation
                    yield current
                if until is not None and current.refcode is not None and (
                        current.refcode.lower() == until.lower()):
                    return
        raise exceptions.WaitTimeout(
            'Server %s did not reach %s within %s'
            % (server, until or 'the end of the watch',
               exceptions.seconds_text(timeout)))

    def set_required_many(self, servers: ty.Sequence[str], required: bool,
                          on_error: ty.Callable[[Failure], None] | None = None,
                          all_projects: bool = False,
                          on_progress: _OnProgress | None = None,
                          ) -> set[str]:
        """``set_required`` for every server, concurrently.

        Every server is attempted. Returns the servers that failed, each
        also passed to ``on_error``. ``on_progress(done, total)`` is called
        as each server is done.
        """
        return self._bulk(
            lambda s: self.set_required(s, required, all_projects), servers,
            on_error, on_progress=on_progress)

    def wait_many(self, servers: ty.Sequence[str],
                  timeout: float = DEFAULT_WAIT_TIMEOUT,
                  on_error: ty.Callable[[Failure], None] | None = None,
                  interval: float = defaults.WAIT_INTERVAL,
                  progress: ty.Callable[[model.Refcode], None] | None = None,
                  all_projects: bool = False) -> set[str]:
        """``wait`` for every server, concurrently; return the failed.

        ``timeout`` bounds the whole operation, not each server;
        ``progress`` is called (from worker threads) after each poll that
        found no code yet.
        """
        deadline = self._clock() + timeout
        stop = threading.Event()
        return self._bulk(
            lambda s: self._wait_until(s, deadline, timeout, interval,
                                       progress, stop, all_projects),
            servers, on_error, stop)

    def list(self, servers: ty.Sequence[str] | None = None,
             host: str | None = None, all_projects: bool = False,
             project: str | None = None, name: str | None = None,
             status: str | None = None, enabled_only: bool = False,
             on_error: ty.Callable[[Failure], None] | None = None,
             on_progress: _OnProgress | None = None,
             max_age: float = 0,
             refresh: ty.Callable[[model.Refcode], bool] | None = None,
             ) -> ty.Iterator[model.Refcode]:
        """Yield fresh reference codes for many servers, in a stable order.

        With ``servers`` (names or IDs) those are shown, in that order
        (names looked up in every project with ``all_projects``);
        otherwise one paged ``/servers/detail`` walk with the filters picks
        them, in PowerVC's order. ``host``, ``all_projects`` and
        ``project`` (an ID) need the admin role: a server that contradicts
        a filter is never yielded, and :class:`AdminRequired` is raised,
        before any row, when PowerVC hid what a filter needs. Fresh
        metadata is fetched concurrently (at most ``max_workers`` requests
        at once) only for servers whose listing says collection is on;
        ``on_progress(done, total)`` is called as each server is done. A
        server that fails is passed to ``on_error``; without one,
        :class:`PartialFailure` is raised after every good row has been
        yielded. Closing the generator early cancels the requests not yet
        sent.

        With ``max_age`` (seconds), a listed server whose code PowerVC
        stamped at most that long ago, by PowerVC's clock, is yielded as
        the listing shows it, without a metadata GET; ``queried_at`` tells
        its age. PowerVC's zone is learned from the first read (one GET,
        unless :attr:`zone_offset` is known). ``refresh(row)`` then says,
        for each older code, whether to read it now (default: yes).
        """
        failures: list[Failure] = []

        def report(failure: Failure) -> None:
            failures.append(failure)
            if on_error is not None:
                on_error(failure)

        self._http.ensure_auth()
        plan = None
        with http.thread_pool(self.max_workers) as pool:
            if servers:
                jobs = [(s, pool.submit(self._lookup_and_read, s,
                                        all_projects))
                        for s in servers]
            else:
                plan = freshness.ReadPlan(max_age, self.zone_offset, refresh)
                jobs = self._submit_listed(pool, listing.Filters(
                    host=host, all_projects=all_projects, project=project,
                    name=name, status=status), plan)
            for row in _results(jobs, report, on_progress):
                if enabled_only and not row.required:
                    continue
                yield row
        if plan is not None and plan.future_seen and (
                self.zone_offset == plan.offset):
            # Those codes were read fresh; none of the reads stamped a new
            # zone, so it is learned again next time.
            LOG.warning('PowerVC listed query times in the future for zone '
                        '%s: the zone is learned again at the next read',
                        freshness.offset_text(plan.offset or _NO_OFFSET))
            self.zone_offset = None
        if failures and on_error is None:
            raise PartialFailure(failures)

    # -- Helpers of the public API ------------------------------------------

    def _lookup(self, server: str, all_projects: bool = False,
                within: float | None = None) -> _Server:
        """The server the user's argument names: an ID, else an exact name.

        With ``all_projects`` the name is looked up in every project. A name
        may look like an ID: as OSC does, an ID-shaped argument that no
        server has as its ID is looked up as a name. ``within`` bounds each
        request (see :meth:`ComputeHTTP.request`).
        """
        if is_uuid(server):
            try:
                body = self._http.request('GET', _path(server), server,
                                          within=within)
            except exceptions.NotFound:
                pass
            else:
                entry = dict(http.member(body, 'server', dict), id=server)
                return _Server.from_body(entry)
        return self._find_by_name(server, all_projects, within)

    def _find_by_name(self, name: str, all_projects: bool,
                      within: float | None = None) -> _Server:
        query = urllib.parse.urlencode(listing.Filters(
            name='^%s$' % re.escape(name), all_projects=all_projects).query())
        body = self._http.request('GET', '/servers?' + query, name,
                                  within=within)
        matches = [_Server.from_body(s)
                   for s in http.member(body, 'servers', list)
                   if isinstance(s, dict) and s.get('name') == name]
        if not matches:
            raise exceptions.ServerNotFound(name)
        if len(matches) > 1:
            raise exceptions.AmbiguousServer(name, [m.id for m in matches])
        return matches[0]

    def _post_required(self, found: _Server, server: str,
                       required: bool) -> model.Refcode:
        value = 'true' if required else 'false'
        body = self._http.request(
            'POST', _path(found.id, '/metadata'), server,
            json={'metadata': {model.REQUIRED_KEY: value}})
        metadata = http.member(body, 'metadata', dict)
        host = metadata.get('original_host') or metadata.get('orginal_host')
        return found._replace(host=model.decode_text(host)).refcode(metadata)

    def _read_metadata(self, server_id: str, server: str,
                       within: float | None = None) -> dict:
        """GET the server's metadata; errors name the user's ``server``.

        Within the request budget (:class:`~.budget.TokenBucket`).
        """
        self._bucket.acquire()
        started = time.monotonic()
        body = self._http.request('GET', _path(server_id, '/metadata'),
                                  server, within=within)
        self.latency.add(time.monotonic() - started)
        return http.member(body, 'metadata', dict)

    def _read(self, found: _Server, server: str) -> model.Refcode:
        """The found server's fresh reference code (one request)."""
        return found.refcode(self._read_metadata(found.id, server))

    def _read_listed(self, listed: _Server,
                     plan: freshness.ReadPlan | None = None) -> model.Refcode:
        """A listed server's fresh code; it calibrates PowerVC's zone.

        Only a query time newer than the listed one was stamped by this
        read (PowerVC may answer with its last code when it cannot reach
        the hypervisor), so only such a one calibrates.
        """
        before = model.parse_query_ts((listed.metadata or {}).get(
            model.QUERY_TS_KEY))
        row = self._read(listed, listed.id)
        offset = None
        if row.queried_at is not None and (
                before is None or row.queried_at > before):
            offset = freshness.zone_offset(self._answer_date(),
                                           row.queried_at)
        if offset is not None and offset != self.zone_offset:
            LOG.debug('PowerVC stamps query times in zone %s',
                      freshness.offset_text(offset))
            self.zone_offset = offset
        if plan is not None:
            plan.calibrated(offset)
        return row

    def _answer_date(self) -> datetime.datetime | None:
        """The ``Date`` of this thread's last answer (parsed once)."""
        text = http.last_date()
        cached_text, cached = self._dates
        if text != cached_text:
            cached = freshness.parse_http_date(text)
            self._dates = (text, cached)
        return cached

    def _poll(self, found: _Server, server: str,
              deadline: float | None) -> model.Refcode | None:
        """One poll of a wait or watch; None when its time ran out.

        The poll takes at most the time left, so that the timeout bounds
        the whole wait; the poll at the deadline gets :data:`_LAST_POLL`.
        """
        try:
            return found.refcode(self._read_metadata(
                found.id, server, self._time_left(deadline)))
        except http.OutOfTime:
            return None

    def _lookup_by(self, server: str, all_projects: bool,
                   deadline: float | None) -> _Server | None:
        """The lookup of a wait or watch; None when its time ran out."""
        try:
            return self._lookup(server, all_projects,
                                self._time_left(deadline))
        except http.OutOfTime:
            return None

    def _time_left(self, deadline: float | None) -> float | None:
        """Seconds a request of a wait may take (None: no deadline).

        The time left, but at least :data:`_LAST_POLL`.
        """
        if deadline is None:
            return None
        return max(deadline - self._clock(), _LAST_POLL)

    def _lookup_and_read(self, server: str,
                         all_projects: bool = False) -> model.Refcode:
        """Look a server up, then read its code (two requests in a row)."""
        found = self._lookup(server, all_projects)
        with _not_found_as_server(server):
            return self._read(found, server)

    def _submit_read(self, pool: concurrent.futures.Executor,
                     listed: _Server, plan: freshness.ReadPlan,
                     ) -> concurrent.futures.Future:
        """A future for a listed server's code.

        No request when collection is off or the listed code is recent
        enough; while PowerVC's zone is unknown, the read is made at once
        to learn it (see :meth:`_calibrate`).
        """
        row = listed.refcode(listed.metadata)
        if not row.required:
            return http.settled(result=row)
        if listed.id in plan.done:
            return plan.done.pop(listed.id)
        if not plan.wants(row):
            return http.settled(result=row)
        return pool.submit(self._read_listed, listed)

    def _bulk(self, action: ty.Callable[[str], ty.Any],
              servers: ty.Sequence[str],
              on_error: ty.Callable[[Failure], None] | None,
              stop: threading.Event | None = None,
              on_progress: _OnProgress | None = None) -> set[str]:
        """Run ``action`` for every server on the pool; return the failed."""
        failed: set[str] = set()

        def report(failure: Failure) -> None:
            failed.add(failure.server)
            if on_error is not None:
                on_error(failure)

        self._http.ensure_auth()
        with http.thread_pool(self.max_workers, stop) as pool:
            jobs = [(s, pool.submit(action, s)) for s in servers]
            for _ in _results(jobs, report, on_progress):
                pass
        return failed

    def _wait_until(self, server: str, deadline: float, timeout: float,
                    interval: float,
                    progress: ty.Callable[[model.Refcode], None] | None,
                    stop: threading.Event | None = None,
                    all_projects: bool = False) -> model.Refcode:
        found = self._lookup_by(server, all_projects, deadline)
        if found is not None:
            for _ in self._poll_times(interval, deadline, stop):
                current = self._poll(found, server, deadline)
                if current is None:
                    continue
                if current.refcode is not None:
                    return current
                if not current.required:
                    raise exceptions.CollectionOff(server)
                if progress is not None:
                    progress(current)
        raise exceptions.WaitTimeout(
            'Server %s reported no reference code within %s'
            % (server, exceptions.seconds_text(timeout)))

    def _poll_times(self, interval: float, deadline: float | None,
                    stop: threading.Event | None = None,
                    ) -> ty.Iterator[None]:
        """Yield at each time to poll, ``interval`` apart, until ``deadline``.

        The last poll happens at the deadline itself, so a wait lasts the
        whole time it was given. ``stop`` (set when a bulk operation is
        interrupted) ends the pause early with :class:`Interrupted`.
        """
        while True:
            yield
            now = self._clock()
            pause = interval
            if deadline is not None:
                if now >= deadline:
                    return
                pause = min(interval, deadline - now)
            end = now + pause
            while True:
                if stop is not None and stop.is_set():
                    raise exceptions.Interrupted('interrupted')
                left = end - self._clock()
                if left <= 0:
                    break
                self._sleep(min(left, _MAX_SLEEP if stop is None else 0.2))

    def _submit_listed(self, pool: concurrent.futures.Executor,
                       filters: listing.Filters, plan: freshness.ReadPlan,
                       ) -> ty.List[tuple[str, concurrent.futures.Future]]:
        """Walk the listing; submit a read for each server the filters admit.

        A user without the admin role who asked for other projects gets no
        read until the listing shows one: before that, it may be refused.

        :raises AdminRequired: when PowerVC hid what a filter needs.
        """
        own_project, admin = self._caller()
        check = listing.Check(filters, own_project, admin)
        jobs: ty.List[tuple[str, ty.Any]] = []
        submitted = 0
        pages = 1
        for found in self._walk(filters, plan.page):
            if isinstance(found, exceptions.RefcodeError):
                jobs.append(('(unnamed)', http.settled(error=found)))
            elif check.admits(found):
                jobs.append((found.id, found))
            # Not before the listing may no longer be refused; while the
            # zone is unknown, a page at a time (see _calibrate).
            if check.settled and (not plan.needs_zone or
                                  plan.pages > pages):
                submitted = self._submit_reads(pool, jobs, submitted, plan)
                pages = plan.pages
        check.finish()
        self._submit_reads(pool, jobs, submitted, plan)
        return jobs

    def _calibrate(self, plan: freshness.ReadPlan,
                   jobs: ty.Sequence[tuple[str, ty.Any]]) -> None:
        """Learn PowerVC's zone, if max-age needs it, from the oldest code.

        The listed codes that PowerVC stamped longest ago (or never) are
        read first, at once, until one calibrates: those codes are the
        likeliest to need the read anyway. Their rows (or errors) are kept
        in ``plan.done``.
        """
        listed = []
        for _server, found in jobs:
            if not isinstance(found, _Server):
                continue
            row = found.refcode(found.metadata)
            if row.required:
                listed.append((row.queried_at or datetime.datetime.min,
                               found))
        listed.sort(key=lambda pair: pair[0])
        for _stamp, found in listed:
            if not plan.needs_zone:
                return
            try:
                plan.done[found.id] = http.settled(
                    result=self._read_listed(found, plan))
            except exceptions.RefcodeError as exc:
                plan.calibrated(None)
                plan.done[found.id] = http.settled(error=exc)

    def _submit_reads(self, pool: concurrent.futures.Executor,
                      jobs: ty.List[tuple[str, ty.Any]], start: int,
                      plan: freshness.ReadPlan) -> int:
        """Replace each listed server from ``start`` on by its read.

        Returns how many jobs are now submitted (all of them). Before the
        first, the pool gets the workers the budget needs at the latency
        measured so far.
        """
        if plan.needs_zone:
            self._calibrate(plan, jobs[start:])
        if start == 0 and self.max_rate:
            ty.cast(ty.Any, pool).workers = budget.workers_for(
                self.max_rate, self.latency.seconds or 0.0, self.max_workers)
        for index in range(start, len(jobs)):
            server, job = jobs[index]
            if isinstance(job, _Server):
                jobs[index] = (server, self._submit_read(pool, job, plan))
        return len(jobs)

    def _caller(self) -> tuple[str | None, bool]:
        """The token's project ID, and whether it has the admin role.

        (None, True) when the session's auth cannot tell: then only what
        PowerVC's answers show is held against a filter.
        """
        session = self._http.adapter.session
        auth: ty.Any = self._http.adapter.auth or session.auth
        try:
            access = auth.get_access(session)
        except (AttributeError, NotImplementedError,
                ks_exceptions.ClientException):
            return None, True
        roles = {role.lower() for role in access.role_names or ()}
        return access.project_id, 'admin' in roles

    def _walk(self, filters: listing.Filters,
              on_page: ty.Callable[[str | None], None] | None = None,
              ) -> ty.Iterator[_Server | exceptions.RefcodeError]:
        """Follow ``/servers/detail`` and its next links to the end.

        ``on_page(date)`` gets each page's ``Date`` header before its
        servers are yielded.

        An entry that is not a usable server is yielded as the error to
        report, so that one odd entry costs one failure, not the listing.
        A 403 to other projects' servers is :class:`AdminRequired`.
        """
        query = filters.query()
        seen: set[str] = set()
        listed: set[str] = set()
        while True:
            started = time.monotonic()
            try:
                body = self._http.request(
                    'GET', '/servers/detail?' + urllib.parse.urlencode(query),
                    target='the server listing')
            except exceptions.Forbidden:
                if filters.scope_option is None:
                    raise
                raise exceptions.AdminRequired(filters.scope_option,
                                               listing.PROJECTS_HIDDEN)
            if self.latency.seconds is None:
                self.latency.add(time.monotonic() - started)
            if on_page is not None:
                on_page(http.last_date())
            page = http.member(body, 'servers', list)
            before = len(listed)
            for index, entry in enumerate(page):
                try:
                    if not isinstance(entry, dict):
                        raise exceptions.BadResponse(
                            'PowerVC listed a server entry that is not an '
                            'object (entry %d of a page)' % (index + 1))
                    found = _Server.from_body(entry)
                except exceptions.BadResponse as exc:
                    yield exc
                    continue
                if found.id not in listed:
                    listed.add(found.id)
                    yield found
            marker = http.next_marker(body)
            if not marker or not page:
                return
            if len(listed) == before:
                raise exceptions.BadResponse(
                    'PowerVC\'s server listing sent a page with no server '
                    'it had not already sent (marker %s); stopped, as the '
                    'listing would not end' % marker)
            if marker in seen:
                raise exceptions.BadResponse(
                    'PowerVC\'s server listing links back to a page it '
                    'already sent (marker %s)' % marker)
            seen.add(marker)
            query['marker'] = marker


_NO_OFFSET = datetime.timedelta(0)


def _results(jobs: ty.Sequence[tuple[str, concurrent.futures.Future]],
             report: ty.Callable[[Failure], None],
             on_progress: _OnProgress | None = None) -> ty.Iterator[ty.Any]:
    """Each job's result in order; a job that failed is reported instead.

    ``on_progress(done, total)`` follows each job. A refused login ends
    them all: it would fail every other job too.
    """
    for done, (server, job) in enumerate(jobs, 1):
        try:
            result = job.result()
        except exceptions.LoginFailed:
            raise
        except exceptions.RefcodeError as exc:
            report(Failure(server, exc))
            failed = True
        else:
            failed = False
        if on_progress is not None:
            on_progress(done, len(jobs))
        if not failed:
            yield result
