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

"""The history of reference codes, read from Prometheus' query API.

Every exporter publishes ``powervc_refcode_info``: one series per server
whose labels hold its code. Prometheus (or Thanos Querier, Mimir,
VictoriaMetrics: anything that speaks ``/api/v1/query_range``) already
keeps those series for the whole fleet; :class:`PrometheusHistory` turns
them back into the :class:`~powervc_osc.history.rows.Change` rows of the
SQLite store.

Resolution: the series are read on a grid of ``step`` seconds. A code
appears at the first grid point at which a scrape showed it; its
``observed_at`` is the exporter's own time of the change (the
``powervc_refcode_last_change_timestamp_seconds`` it published, the
poll that saw it) when that lies within the two steps before, else the
grid point itself. Either way the change happened between the last scrape
that showed the old code and the first that showed the new one. A code
held for less than the scrape interval (or than ``step``, when it is the
larger) may be missing. A server without any series for a while (the
exporter down, a target missing, the server gone) is a row of category
``gap`` placed at the first grid point without it, never the old code
held.

Cost: each query asks for at most :data:`MAX_POINTS` points per series
(Prometheus' own limit is 11,000) and for at most
:data:`SAMPLES_PER_QUERY` points in all, so a long range over a large
fleet is a few windows, each answered with the changes only (the query
keeps the grid points where a series starts or ends). Over a large fleet
a first pass (:func:`screen_query`) finds on the same grid the servers
whose series start or end at all; only those are read edge by edge, so a
server that held one code, without a gap, costs one cheap count.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
import re
import typing as ty
import urllib.parse

import requests

from powervc_osc import exceptions
from powervc_osc.history import rows
from powervc_osc import model
from powervc_osc import text

INFO = 'powervc_refcode_info'
QUERIED = 'powervc_refcode_query_timestamp_seconds'
CHANGED = 'powervc_refcode_last_change_timestamp_seconds'
#: Points per series in one query; Prometheus refuses more than 11,000.
MAX_POINTS = 11000
#: Points in all (series x grid points) of one query's selectors, well
#: under Prometheus' default ``--query.max-samples`` of 50 million.
SAMPLES_PER_QUERY = 4_000_000
#: The grid of a query when the range allows it (seconds).
DEFAULT_STEP = 60.0
#: The finest grid: Prometheus' own floor is a millisecond, 1 s is plenty.
MIN_STEP = 1.0
#: Servers in one regular expression of an edges query after the first
#: pass (the request body stays small).
SERVERS_PER_QUERY = 500
#: The category of a row that marks missing series.
GAP = 'gap'
_EDGE = 'powervc_osc_edge'
_NOT_SERIES = ('its answer is not a list of series (is the URL the '
               'Prometheus query API?)')
_TIMEOUT = 60.0
_Labels = ty.Dict[str, str]
_Key = ty.Tuple[str, str]


class PrometheusError(exceptions.RefcodeError):
    """Prometheus cannot answer; the message names the URL and why."""

    def __init__(self, url: str, problem: str) -> None:
        url = _without_userinfo(url)
        super().__init__('Prometheus at %s: %s' % (url, problem))
        self.url = url


def _without_userinfo(url: str) -> str:
    """``url`` without a ``user:password@`` part, which is never shown."""
    parts = urllib.parse.urlsplit(url)
    if '@' not in parts.netloc:
        return url
    return parts._replace(netloc=parts.netloc.rpartition('@')[2]).geturl()


@dataclasses.dataclass
class Credentials:
    """How requests to a protected Prometheus identify themselves.

    Secrets come from files or the environment (see
    :mod:`powervc_osc.osc.prometheus_args`), never from a command line.
    """

    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    ca_file: str | None = None
    token: str | None = None
    username: str | None = None
    password: str | None = None

    def session(self) -> requests.Session:
        """A requests session that sends these credentials."""
        session = requests.Session()
        session.headers.update(self.headers)
        if self.token:
            session.headers['Authorization'] = 'Bearer ' + self.token
        elif self.username is not None:
            session.auth = (self.username, self.password or '')
        if self.ca_file:
            session.verify = self.ca_file
        return session


def selector(server_id: str | None = None, cloud: str | None = None,
             server_name: str | None = None) -> str:
    """``powervc_refcode_info{...}`` matching exactly the given labels."""
    matchers = ['%s=%s' % (name, _quoted(value)) for name, value in (
        ('cloud', cloud), ('server_id', server_id),
        ('server_name', server_name)) if value is not None]
    return '%s{%s}' % (INFO, ','.join(matchers))


def _quoted(value: str) -> str:
    return '"%s"' % value.replace('\\', '\\\\').replace('"', '\\"').replace(
        '\n', '\\n')


def edges_query(series: str, step: float, matchers: str = '') -> str:
    """The grid points where a series of ``series`` starts or ends.

    Beside each start come the exporter's time of the change
    (:data:`CHANGED`) and PowerVC's query time of the code
    (:data:`QUERIED`), read with ``matchers`` (``{cloud=...}``: labels
    those series share with the info series). Every value but those two
    is 1. (``timestamp()`` would give the scrape's time, but costs
    Prometheus ten times more.)
    """
    before = '%s offset %dms' % (series, round(step * 1000))
    started = '(%s unless %s)' % (series, before)
    return ' or '.join((
        _edge(started, 'start'),
        _edge('%s unless %s' % (before, series), 'end'),
        _edge('%s%s and on (cloud, server_id) %s' % (
            CHANGED, matchers, started), 'changed'),
        _edge('%s%s and on (cloud, server_id) %s' % (
            QUERIED, matchers, started), 'queried'),
    ))


def screen_query(series: str, first: int, last: int, step: int) -> tuple[
        str, int]:
    """The series that start or end on a grid, and the time to ask.

    The grid is ``first, first + step, ... last`` (milliseconds); the
    answer, at the returned time (milliseconds), holds the series of
    ``series`` present at some grid points but not at all, each with the
    number of points it is present at: exactly the series that
    :func:`edges_query` has edges of between those points. A subquery
    evaluates at multiples of its step: an offset moves the grid onto
    them.
    """
    shift = -first % step
    points = (last - first) // step + 1
    offset = ' offset %dms' % shift if shift else ''
    # Half a step more: the first point is inside whether the range is
    # open or closed on the left (Prometheus 3 opened it).
    return ('count_over_time((%s%s)[%dms:%dms]) < %d' % (
        series, offset, (points - 1) * step + step // 2, step, points),
        last + shift)


def _edge(promql: str, name: str) -> str:
    return 'label_replace(%s, "%s", "%s", "", "")' % (promql, _EDGE, name)


def plan(start: float, end: float, series: int, step: float = DEFAULT_STEP,
         ) -> tuple[float, list[tuple[float, float]]]:
    """The step and the windows ``(first, last)`` of a range's queries.

    The grid keeps ``step`` (at least :data:`MIN_STEP`) over any range: a
    long one is cut into windows on that grid, each of at most
    :data:`MAX_POINTS` points per series and :data:`SAMPLES_PER_QUERY`
    points over ``series`` series.
    """
    step = max(MIN_STEP, step)
    points = max(1, min(MAX_POINTS, SAMPLES_PER_QUERY // max(1, series)))
    # On the milliseconds Prometheus reads, so that every window is on
    # one grid however long the range.
    windows = []
    first, end_ms, step_ms = _ms(start), _ms(end), _ms(step)
    while first <= end_ms:
        last = min(end_ms, first + (points - 1) * step_ms)
        windows.append((first / 1000, last / 1000))
        first = last + step_ms
    return step, windows


class PrometheusHistory:
    """The changes of reference codes as Prometheus recorded them.

    :param url: the query API's root: ``http://prometheus:9090``, or with
        the path prefix of Mimir (``.../prometheus``) and the like.
    :param credentials: headers, CA file, token or basic auth.
    :param step: the finest grid of a query, in seconds (default
        :data:`DEFAULT_STEP`; the scrape interval is the useful floor).
    :param clock: Unix time now (the default ``until``).
    :param screen_above: the first pass (:func:`screen_query`) runs when
        the info series times the grid points exceed this.
    """

    def __init__(self, url: str, credentials: Credentials | None = None,
                 step: float = DEFAULT_STEP,
                 clock: ty.Callable[[], float] | None = None,
                 timeout: float = _TIMEOUT,
                 screen_above: int = SAMPLES_PER_QUERY) -> None:
        import time

        self.url = url.rstrip('/')
        self.step = step
        self._clock = clock or time.time
        self._timeout = timeout
        self._screen_above = screen_above
        self._session = (credentials or Credentials()).session()
        #: Requests sent (the benchmark counts them).
        self.queries = 0

    # The HTTP boundary -------------------------------------------------

    def _api(self, path: str, params: ty.Any) -> ty.Any:
        """``data`` of a successful answer of ``/api/v1/<path>``."""
        self.queries += 1
        try:
            answer = self._session.post(
                self.url + '/api/v1/' + path, data=params,
                timeout=self._timeout)
        except requests.exceptions.SSLError as exc:
            raise PrometheusError(self.url, 'TLS failed: %s'
                                  % _reason(exc))
        except requests.exceptions.RequestException as exc:
            raise PrometheusError(self.url, 'unreachable: %s' % _reason(exc))
        if answer.status_code in (401, 403):
            raise PrometheusError(self.url, (
                'HTTP %d: the credentials were refused (see '
                '--prometheus-token-file, --prometheus-user and '
                '--prometheus-header)' % answer.status_code))
        try:
            body = answer.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or body.get('status') not in (
                'success', 'error'):
            raise PrometheusError(self.url, (
                'HTTP %d, %s: not an answer of the Prometheus query API '
                '(is the URL its root, with any path prefix such as '
                '/prometheus?)' % (answer.status_code, text.one_line(
                    answer.headers.get('Content-Type') or 'no content type'))))
        if body['status'] == 'error':
            raise PrometheusError(self.url, 'the query was refused: %s' % (
                text.one_line(str(body.get('error') or body.get('errorType')
                                  or 'no reason given'))))
        return body.get('data')

    # Queries -----------------------------------------------------------

    def series(self, start: float, end: float,
               *selectors: str) -> list[_Labels]:
        """The label sets of the info series matching any selector."""
        data = self._api('series', [('match[]', s) for s in selectors] + [
            ('start', _at(start)), ('end', _at(end))])
        if not isinstance(data, list):
            raise PrometheusError(self.url, _NOT_SERIES)
        return [s for s in data if isinstance(s, dict)]

    def _result(self, data: ty.Any) -> list[dict[str, ty.Any]]:
        """A query's series, each with its labels and its points as floats.

        An instant query's one point is the first of ``values``.

        :raises PrometheusError: the answer does not have that shape.
        """
        try:
            return [{'metric': dict(s.get('metric') or {}),
                     'values': [(float(point), float(value))
                                for point, value in s.get('values') or (
                                    [s['value']] if 'value' in s else ())]}
                    for s in data.get('result')]
        except (AttributeError, TypeError, ValueError):
            raise PrometheusError(self.url, _NOT_SERIES)

    def servers(self, server: str, cloud: str | None = None,
                since: datetime.datetime | None = None,
                until: datetime.datetime | None = None,
                ) -> list[tuple[str, str]]:
        """``(cloud, server ID)`` of each server known as ``server``.

        An ID wins over a name, as in the SQLite store.
        """
        start, end = self._range(since, until)
        found = self.series(start, end, selector(server_id=server,
                                                 cloud=cloud),
                            selector(server_name=server, cloud=cloud))
        by_id = {_key(s) for s in found if s.get('server_id') == server}
        return sorted(by_id or {_key(s) for s in found})

    def changes(self, server_id: str | None = None,
                cloud: str | None = None,
                since: datetime.datetime | None = None,
                until: datetime.datetime | None = None,
                limit: int | None = None) -> list[rows.Change]:
        """The changes in ``[since, until]``, newest first, gaps included.

        :param server_id: only this server (with ``cloud``, only the one
            of that cloud); default: every server.
        :param since: default: 24 hours before ``until``.
        :param until: default: now.
        :raises PrometheusError: Prometheus failed, or has no series.
        """
        start, end = self._range(since, until)
        series = selector(server_id=server_id, cloud=cloud)
        known = self.series(start, end, series)
        if not known:
            raise PrometheusError(self.url, 'no %s series between %s and %s'
                                  % (series, _shown(start), _shown(end)))
        step, windows = plan(start, end, len(known), self.step)
        points = (_ms(end) - _ms(start)) // _ms(step) + 2
        timelines = _Timelines()
        if len(known) * points <= self._screen_above:
            before = self._present_at(series, _ms(start - step))
            timelines.present(before.values())
            self._read_edges(timelines, series, series[len(INFO):], step,
                             start, end, len(known))
        else:
            self._screened(timelines, series, step, start, end, known)
        found = sorted(timelines.changes(step),
                       key=lambda c: (c.observed_at, c.cloud, c.server_id),
                       reverse=True)
        return found[:limit] if limit is not None else found

    def _present_at(self, series: str, at: int) -> dict[tuple, _Labels]:
        """The series of ``series`` present at ``at`` (ms), by identity."""
        data = self._api('query', {'query': series, 'time': _at(at / 1000)})
        return {_identity(s['metric']): s['metric']
                for s in self._result(data)}

    def _read_edges(self, timelines: _Timelines, series: str, matchers: str,
                    step: float, start: float, end: float,
                    count: int) -> None:
        """Add the edges of ``series`` (``count`` of them) to timelines."""
        step, windows = plan(start, end, count, step)
        promql = edges_query(series, step, matchers)
        for first, last in windows:
            data = self._api('query_range', {
                'query': promql, 'start': _at(first), 'end': _at(last),
                'step': '%dms' % _ms(step)})
            timelines.add(self._result(data))

    def _screened(self, timelines: _Timelines, series: str, step: float,
                  start: float, end: float, known: list[_Labels]) -> None:
        """Read a large fleet piece by piece, each after a first pass.

        The grid (from the point before ``start``) is cut into pieces
        that share their end points. In each, :func:`screen_query` names
        the series that start or end. One missing at the piece's first
        point only started at the next; one missing at its last point
        only ended there (a server appearing, an exporter stopping: no
        edges query). The servers of any other series that moved are read
        with :func:`edges_query` over the piece; the rest have no edges.
        """
        step_ms, end_ms = _ms(step), _ms(end)
        per_server: dict[_Key, int] = {}
        for labels in known:
            key = _raw_key(labels)
            per_server[key] = per_server.get(key, 0) + 1
        points = max(2, min(MAX_POINTS,
                            SAMPLES_PER_QUERY // max(1, len(known))))
        first = _ms(start) - step_ms
        shown = {first: self._present_at(series, first)}
        timelines.present(shown[first].values())

        def shown_at(at: int) -> dict[tuple, _Labels]:
            if at not in shown:
                shown[at] = self._present_at(series, at)
            return shown[at]

        while True:
            last = min(first + (points - 1) * step_ms,
                       first + (end_ms - first) // step_ms * step_ms)
            promql, at = screen_query(series, first, last, step_ms)
            data = self._api('query', {'query': promql,
                                       'time': _at(at / 1000)})
            moved: set[_Key] = set()
            simple: list[tuple[int, str, _Labels]] = []
            for result in self._result(data):
                labels = result['metric']
                seen = (result['values'] or [(0, 0.0)])[0][1]
                if seen == (last - first) // step_ms:
                    if _identity(labels) not in shown_at(first):
                        simple.append((first + step_ms, 'start', labels))
                        continue
                    if _identity(labels) not in shown_at(last):
                        simple.append((last, 'end', labels))
                        continue
                moved.add(_raw_key(labels))
            simple = [e for e in simple if _raw_key(e[2]) not in moved]
            self._add_simple(timelines, series, first + step_ms, simple)
            for chunk in _chunks(sorted(moved)):
                matchers = _matchers_of(chunk)
                self._read_edges(
                    timelines, INFO + matchers, matchers, step,
                    (first + step_ms) / 1000, last / 1000,
                    sum(per_server.get(key, 1) for key in chunk))
            if last + step_ms > end_ms:
                return
            for at in [at for at in shown if at < last]:
                del shown[at]
            first = last

    def _add_simple(self, timelines: _Timelines, series: str, started: int,
                    edges: list[tuple[int, str, _Labels]]) -> None:
        """Add edges found by the first pass, with the times of the starts.

        The starts are all at ``started`` (ms); their exporter's and
        PowerVC's times are read there, as :func:`edges_query` would.
        """
        starts = {_raw_key(labels) for _, kind, labels in edges
                  if kind == 'start'}
        if starts:
            matchers = series[len(INFO):]
            # Told apart by a label: ``or`` drops the second of two series
            # with the same labels but the name.
            data = self._api('query', {
                'query': '%s or %s' % (_edge(CHANGED + matchers, 'changed'),
                                       _edge(QUERIED + matchers, 'queried')),
                'time': _at(started / 1000)})
            for result in self._result(data):
                labels = result['metric']
                kind = labels.get(_EDGE)
                if kind and result['values'] and _raw_key(labels) in starts:
                    timelines.time(labels, kind, started / 1000,
                                   result['values'][0][1])
        for point, kind, labels in edges:
            timelines.edge(point / 1000, kind, labels)

    def _range(self, since: datetime.datetime | None,
               until: datetime.datetime | None) -> tuple[float, float]:
        end = until.timestamp() if until else self._clock()
        start = since.timestamp() if since else end - 86400
        if start > end:
            raise PrometheusError(self.url, '--since %s is after --until %s'
                                  % (_shown(start), _shown(end)))
        return start, end

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> PrometheusHistory:
        return self

    def __exit__(self, *exc_info: ty.Any) -> None:
        self.close()


class _Timelines:
    """Each server's series over the grid, and the changes they make."""

    def __init__(self) -> None:
        #: The series of each server present now, by their info labels.
        self._present: dict[_Key, dict[tuple, _Labels]] = {}
        #: (grid point, kind, labels) of every edge, by server.
        self._edges: dict[_Key, list[tuple[float, str, _Labels]]] = {}
        #: The values of CHANGED and QUERIED, by (server, kind, point).
        self._times: dict[tuple[_Key, str, float], float] = {}

    def present(self, labels_seen: ty.Iterable[_Labels]) -> None:
        """Take in the series present before the range."""
        for labels in labels_seen:
            self._present.setdefault(_key(labels), {})[
                _info(labels)] = labels

    def add(self, result: ty.Iterable[ty.Any]) -> None:
        """Take in one window's answer of :func:`edges_query`."""
        for series in result:
            labels = series.get('metric') or {}
            kind = labels.get(_EDGE) or ''
            for point, value in series.get('values') or ():
                if kind in ('changed', 'queried'):
                    self.time(labels, kind, point, value)
                else:
                    self.edge(point, kind, labels)

    def edge(self, point: float, kind: str, labels: _Labels) -> None:
        """A series of ``labels`` starts or ends at ``point``."""
        self._edges.setdefault(_key(labels), []).append((point, kind, labels))

    def time(self, labels: _Labels, kind: str, point: float,
             value: float) -> None:
        """The exporter's (``changed``) or PowerVC's time at ``point``."""
        self._times[_key(labels), kind, point] = value

    def changes(self, step: float) -> ty.Iterator[rows.Change]:
        """Each server's changes, oldest first."""
        for key, edges in self._edges.items():
            present = self._present.get(key, {})
            shown = _observation(present)
            name = shown[0] if shown else None
            recorded = shown is not None
            # Ends before starts at one grid point: a code replaced.
            edges.sort(key=lambda e: (e[0], e[1] != 'end'))
            at = 0
            while at < len(edges):
                point = edges[at][0]
                while at < len(edges) and edges[at][0] == point:
                    _, kind, labels = edges[at]
                    if kind == 'end':
                        present.pop(_info(labels), None)
                    else:
                        present[_info(labels)] = labels
                    at += 1
                now = _observation(present)
                if now == shown:
                    continue  # the host alone changed
                shown = now
                name = now[0] if now else name
                if not recorded and (now is None or now[1:3] == (None, None)):
                    continue  # as the store: no row before a first code
                recorded = True
                yield _change(key, now, name, self._when(key, point, step),
                              self._times.get((key, 'queried', point)))

    def _when(self, key: _Key, point: float, step: float) -> float:
        """The exporter's time of a change seen at ``point``, if it fits.

        It fits after the grid point before the one that still showed the
        old code; else (a gap, a category or name changed alone) the
        change is placed at ``point``.
        """
        changed = self._times.get((key, 'changed', point))
        if changed is not None and point - 2 * step < changed <= point:
            return changed
        return point


def _change(key: _Key, observation: tuple | None, name: str | None,
            when: float, queried: float | None) -> rows.Change:
    cloud, server_id = key
    observed = datetime.datetime.fromtimestamp(when, datetime.timezone.utc)
    if observation is None:
        return rows.Change(cloud, model.Refcode(
            server_id, name, None, None, None, True), GAP, observed)
    name, code, led, category = observation
    queried_at = (datetime.datetime.fromtimestamp(
        queried, datetime.timezone.utc) if queried is not None else None)
    return rows.Change(cloud, model.Refcode(
        server_id, name, code, led, queried_at,
        required=category != 'stale'), category or '', observed)


def _observation(present: dict[tuple, _Labels]) -> tuple | None:
    """What the server showed: (name, code, LED text, category), or None."""
    if not present:
        return None
    return max(present, key=lambda info: tuple(v or '' for v in info))


def _info(labels: _Labels) -> tuple:
    """The labels that make a row: name, code, LED text, category."""
    return tuple(text.decode_text(labels.get(name)) or None for name in (
        'server_name', 'refcode', 'led_code', 'category'))


def _key(labels: _Labels) -> _Key:
    return (text.decode_text(labels.get('cloud')) or '',
            text.decode_text(labels.get('server_id')) or '')


def _identity(labels: _Labels) -> tuple:
    """What tells a series from another: its labels but the name."""
    return tuple(sorted((name, value) for name, value in labels.items()
                        if name != '__name__'))


def _raw_key(labels: _Labels) -> _Key:
    """(cloud, server ID) as the labels hold them, for a selector."""
    return labels.get('cloud') or '', labels.get('server_id') or ''


def _chunks(keys: list[_Key]) -> ty.Iterator[list[_Key]]:
    """Servers of one cloud, at most :data:`SERVERS_PER_QUERY` at a time."""
    chunk: list[_Key] = []
    for key in keys:
        if chunk and (len(chunk) == SERVERS_PER_QUERY
                      or key[0] != chunk[0][0]):
            yield chunk
            chunk = []
        chunk.append(key)
    if chunk:
        yield chunk


def _matchers_of(keys: list[_Key]) -> str:
    """``{cloud="c",server_id=~"a|b"}`` of servers of one cloud."""
    ids = '|'.join(re.sub(r'([\\.+*?()|\[\]{}^$])', r'\\\1', server)
                   for _, server in keys)
    return '{cloud=%s,server_id=~%s}' % (_quoted(keys[0][0]), _quoted(ids))


def _ms(seconds: float) -> int:
    """A time or a step in the milliseconds of :func:`_at`."""
    return round(float(_at(seconds)) * 1000)


def _at(seconds: float) -> str:
    """A time as the API takes it: Unix seconds to the millisecond."""
    return '%.3f' % seconds


def _shown(seconds: float) -> str:
    return datetime.datetime.fromtimestamp(
        math.floor(seconds), datetime.timezone.utc).isoformat()


def _reason(exc: BaseException) -> str:
    from powervc_osc.http import errors

    return errors.transport_reason(exc)
