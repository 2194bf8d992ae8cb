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
import datetime
import re
import threading
import time
import typing as ty
import urllib.parse

from keystoneauth1 import session as ks_session

from powervc_osc import defaults
from powervc_osc import exceptions
from powervc_osc.fleet import budget
from powervc_osc.fleet import freshness
from powervc_osc.fleet import listing
from powervc_osc.fleet import reads
from powervc_osc.http import compute
from powervc_osc.http import concurrency
from powervc_osc.http import errors as http_errors
from powervc_osc import model
from powervc_osc import nova
from powervc_osc import text

DEFAULT_MAX_WORKERS = defaults.MAX_WORKERS
DEFAULT_RETRIES = compute.DEFAULT_RETRIES
DEFAULT_HTTP_TIMEOUT = compute.DEFAULT_HTTP_TIMEOUT
DEFAULT_WAIT_TIMEOUT = defaults.WAIT_TIMEOUT
DEFAULT_WATCH_INTERVAL = defaults.WATCH_INTERVAL

#: The longest single sleep of a wait or watch (longer pauses loop).
_MAX_SLEEP = 3600.0
#: Seconds the poll at a wait's deadline may take.
_LAST_POLL = 1.0

Failure = exceptions.Failure
PartialFailure = exceptions.PartialFailure
#: ``on_progress(done, total)`` of bulk operations.
_OnProgress = ty.Callable[[int, int], None]
#: A bulk job: the server as the user or the listing named it, and the
#: future of its reference code.
_Job = tuple[str, 'concurrent.futures.Future[model.Refcode]']


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
    :param max_rate: metadata GETs a second at most, spread evenly, with
        as many at once as needed at the latency measured (:mod:`.budget`).
    :param zone_offset: PowerVC's UTC offset (default: learned).
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
        self._http = compute.ComputeHTTP(
            session, region_name=region_name, interface=interface,
            endpoint_override=endpoint_override, retries=retries,
            timeout=timeout, pool_size=self.max_workers + 1, sleep=sleep)
        # Looked up now, not at import, so that a patched time module works.
        self._clock = clock or time.monotonic
        self._sleep = sleep or time.sleep
        #: The metadata requests' rate limit and latency.
        self.budget = budget.Budget(max_rate, self._clock, self._sleep)
        #: PowerVC's UTC offset (``queried_at``'s zone); None until learned.
        self.zone_offset = zone_offset

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
        return self._http.endpoint()

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
        :param max_rate: metadata requests a second at most.
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
        if not nova.is_uuid(server):
            return self._find_and_read(server, all_projects)
        self._http.ensure_auth()
        with concurrency.thread_pool(2) as pool:
            details = pool.submit(self._find, server, all_projects)
            metadata = pool.submit(self._read_metadata, server, server)
            try:
                found = details.result()
            except Exception:
                # Not on Ctrl-C: the other request may hang as long.
                concurrent.futures.wait([metadata])
                raise
            if found.id != server:     # a name that looks like an ID
                return self._read(found, server)
            with exceptions.not_found_as_server(server):
                return found.refcode(metadata.result())

    def set_required(self, server: str, required: bool,
                     all_projects: bool = False) -> model.Refcode:
        """Turn reference-code collection on or off; keep all other keys.

        Sends only ``POST /servers/{id}/metadata`` with the one key (Nova
        merges it); never PUT or DELETE. An ID costs that one request, a
        name an exact-name lookup first (in every project with
        ``all_projects``).
        """
        if nova.is_uuid(server):
            try:
                return self._post_required(nova.Server(id=server, name=None),
                                           server, required)
            except exceptions.NotFound:
                pass        # maybe a name that looks like an ID
        found = self._find(server, all_projects, name_only=True)
        with exceptions.not_found_as_server(server):
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
        found = self._find_in_time(server, all_projects, deadline)
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

        With ``max_age`` (seconds), a code PowerVC stamped at most that
        long ago by its clock is yielded as listed, with no metadata GET
        (:mod:`~powervc_osc.fleet.reads`); ``refresh(row)`` says whether to
        read an older one now (default: yes).
        """
        failures: list[Failure] = []

        def report(failure: Failure) -> None:
            failures.append(failure)
            if on_error is not None:
                on_error(failure)

        self._http.ensure_auth()
        with concurrency.thread_pool(self.max_workers) as pool:
            if servers:
                jobs = [(s, pool.submit(self._find_and_read, s,
                                        all_projects))
                        for s in servers]
            else:
                plan = freshness.ReadPlan(max_age, self.zone_offset, refresh)
                reader = reads.ListedReads(self, pool, plan)
                jobs = self._submit_listed(reader, listing.Filters(
                    host=host, all_projects=all_projects, project=project,
                    name=name, status=status))
            for row in _results(jobs, report, on_progress):
                if enabled_only and not row.required:
                    continue
                yield row
        if not servers:
            reader.finish()
        if failures and on_error is None:
            raise PartialFailure(failures)

    # -- Helpers of the public API ------------------------------------------

    def _find(self, server: str, all_projects: bool = False,
              within: float | None = None,
              name_only: bool = False) -> nova.Server:
        """The server the user's argument names: an ID, else an exact name.

        With ``all_projects`` the name is looked up in every project. A name
        may look like an ID: as OSC does, an ID-shaped argument that no
        server has as its ID is looked up as a name (``name_only``: only
        as a name). ``within`` bounds each request (see
        :meth:`ComputeHTTP.request`).
        """
        if nova.is_uuid(server) and not name_only:
            try:
                body = self._http.request('GET', nova.path(server), server,
                                          within=within)
            except exceptions.NotFound:
                pass
            else:
                entry = dict(nova.member(body, 'server', dict), id=server)
                return nova.Server.from_body(entry)
        filters = listing.Filters(name='^%s$' % re.escape(server),
                                  all_projects=all_projects)
        with listing.scope_refused(filters):
            body = self._http.request(
                'GET', '/servers?' + urllib.parse.urlencode(filters.query()),
                server, within=within)
        matches = [nova.Server.from_body(s)
                   for s in nova.member(body, 'servers', list)
                   if isinstance(s, dict) and s.get('name') == server]
        if not matches:
            raise exceptions.ServerNotFound(server)
        if len(matches) > 1:
            raise exceptions.AmbiguousServer(server, [m.id for m in matches])
        return matches[0]

    def _post_required(self, found: nova.Server, server: str,
                       required: bool) -> model.Refcode:
        value = 'true' if required else 'false'
        body = self._http.request(
            'POST', nova.path(found.id, '/metadata'), server,
            json={'metadata': {model.REQUIRED_KEY: value}})
        metadata = nova.member(body, 'metadata', dict)
        host = metadata.get('original_host') or metadata.get('orginal_host')
        return found._replace(host=text.decode_text(host)).refcode(metadata)

    def _read_metadata(self, server_id: str, server: str,
                       within: float | None = None) -> dict:
        """GET the server's metadata; errors name the user's ``server``.

        Within the request budget (:class:`~.budget.Budget`).
        """
        body = self.budget.call(
            self._http.request, 'GET', nova.path(server_id, '/metadata'),
            server, within=within)
        return nova.member(body, 'metadata', dict)

    def _read(self, found: nova.Server, server: str) -> model.Refcode:
        """The found server's fresh reference code (one request)."""
        return found.refcode(self._read_metadata(found.id, server))

    def _poll(self, found: nova.Server, server: str,
              deadline: float | None) -> model.Refcode | None:
        """One poll of a wait or watch; None when its time ran out.

        The poll takes at most the time left, so that the timeout bounds
        the whole wait; the poll at the deadline gets :data:`_LAST_POLL`.
        """
        try:
            return found.refcode(self._read_metadata(
                found.id, server, self._time_left(deadline)))
        except http_errors.OutOfTime:
            return None

    def _find_in_time(self, server: str, all_projects: bool,
                      deadline: float | None) -> nova.Server | None:
        """:meth:`_find` for a wait or watch; None when its time ran out."""
        try:
            return self._find(server, all_projects,
                              self._time_left(deadline))
        except http_errors.OutOfTime:
            return None

    def _time_left(self, deadline: float | None) -> float | None:
        """Seconds a request of a wait may take (None: no deadline).

        The time left, but at least :data:`_LAST_POLL`.
        """
        if deadline is None:
            return None
        return max(deadline - self._clock(), _LAST_POLL)

    def _find_and_read(self, server: str,
                       all_projects: bool = False) -> model.Refcode:
        """Find a server, then read its code (two requests in a row)."""
        found = self._find(server, all_projects)
        with exceptions.not_found_as_server(server):
            return self._read(found, server)

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
        with concurrency.thread_pool(self.max_workers, stop) as pool:
            jobs = [(s, pool.submit(action, s)) for s in servers]
            for _ in _results(jobs, report, on_progress):
                pass
        return failed

    def _wait_until(self, server: str, deadline: float, timeout: float,
                    interval: float,
                    progress: ty.Callable[[model.Refcode], None] | None,
                    stop: threading.Event | None = None,
                    all_projects: bool = False) -> model.Refcode:
        found = self._find_in_time(server, all_projects, deadline)
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

    def _submit_listed(self, reader: reads.ListedReads,
                       filters: listing.Filters) -> ty.List[_Job]:
        """Walk the listing; submit a read for each server the filters admit.

        A user without the admin role who asked for other projects gets no
        read until the listing shows one: before that, it may be refused,
        so the entries wait in ``held``, in listing order (also while
        PowerVC's zone is unknown, a page at a time: see
        :class:`~.reads.ListedReads`).

        :raises AdminRequired: when PowerVC hid what a filter needs.
        """
        own_project, admin = listing.caller(self._http.adapter)
        check = listing.Check(filters, own_project, admin)
        jobs: ty.List[_Job] = []
        held: ty.List[nova.Server | exceptions.RefcodeError] = []
        for entry in listing.walk(self._http.request, filters,
                                  own_project, reader.page):
            if isinstance(entry, exceptions.RefcodeError) or (
                    check.admits(entry)):
                held.append(entry)
            if check.scope_confirmed and reader.ready():
                jobs.extend(reader.submit(held))
                held.clear()
        check.finish()
        jobs.extend(reader.submit(held))
        return jobs


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
