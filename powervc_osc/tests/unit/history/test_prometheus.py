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

"""PrometheusHistory against a mocked Prometheus HTTP API."""

import datetime
import urllib.parse

import fixtures
import requests
import requests_mock
from requests_mock.contrib import fixture as rm_fixture
import testtools

from powervc_osc.history import prometheus

URL = 'http://prometheus.example:9090'
UTC = datetime.timezone.utc
T0 = 1_790_000_000.0
STEP = 60.0
ID = 'srv-1'


def info(code, led='LED', category='progress', host='h1', name='lpar-1',
         server_id=ID, cloud='powervc', **extra):
    return dict(cloud=cloud, server_id=server_id, server_name=name,
                host=host, refcode=code, led_code=led, category=category,
                job='powervc-refcode', **extra)


def edge(kind, labels, *points):
    return {'metric': dict(labels, powervc_osc_edge=kind),
            'values': [[p, str(v)] for p, v in points]}


def at(seconds):
    return datetime.datetime.fromtimestamp(seconds, UTC)


def form(request):
    return urllib.parse.parse_qs(request.text)


class PrometheusTestCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.mock = self.useFixture(rm_fixture.Fixture())
        self.source = prometheus.PrometheusHistory(URL, step=STEP,
                                                   clock=lambda: T0)

    def answer(self, path, data=None, **kwargs):
        if data is not None:
            kwargs['json'] = {'status': 'success', 'data': data}
        self.mock.post(URL + '/api/v1/' + path, **kwargs)

    def fleet(self, before, *edges, series=None):
        self.answer('series', series if series is not None else [info('x')])
        self.answer('query', {'resultType': 'vector', 'result': [
            {'metric': labels, 'value': [T0, '1']} for labels in before]})
        self.answer('query_range', {'resultType': 'matrix',
                                    'result': list(edges)})

    def rows(self, **kwargs):
        kwargs.setdefault('since', at(T0 - 3600))
        return [(c.observed_at.timestamp(), c.refcode, c.category)
                for c in self.source.changes(**kwargs)]


class TestChanges(PrometheusTestCase):

    def test_codes_in_order_newest_first(self):
        a, b, c = info('C2001000'), info('C6004031'), info('C9002960')
        self.fleet([a],
                   edge('end', a, (T0 - 600, 1)),
                   edge('start', b, (T0 - 600, 1)),
                   edge('end', b, (T0 - 300, 1)),
                   edge('start', c, (T0 - 300, 1)),
                   # The exporter's time of the change, within the steps.
                   edge('changed', {'cloud': 'powervc', 'server_id': ID},
                        (T0 - 600, T0 - 630), (T0 - 300, T0 - 1000)),
                   edge('queried', {'cloud': 'powervc', 'server_id': ID},
                        (T0 - 300, T0 - 320)))
        self.assertEqual([(T0 - 300, 'C9002960', 'progress'),
                          (T0 - 630, 'C6004031', 'progress')], self.rows())
        newest = self.source.changes(since=at(T0 - 3600))[0]
        # A time from too long before is not the change's: the grid point.
        self.assertEqual((at(T0 - 320), 'lpar-1', ID, 'powervc'),
                         (newest.queried_at, newest.server_name,
                          newest.server_id, newest.cloud))

    def test_a_host_alone_is_no_change(self):
        old, new = info('00000000', host='h1'), info('00000000', host='h2')
        self.fleet([old], edge('end', old, (T0 - 600, 1)),
                   edge('start', new, (T0 - 600, 1)))
        self.assertEqual([], self.rows())

    def test_missing_series_are_a_gap_not_the_code_held(self):
        code = info('B2008105', category='error')
        self.fleet([code], edge('end', code, (T0 - 900, 1)),
                   edge('start', code, (T0 - 300, 1)))
        self.assertEqual([(T0 - 300, 'B2008105', 'error'),
                          (T0 - 900, None, 'gap')], self.rows())
        gap = self.source.changes(since=at(T0 - 3600))[1]
        self.assertEqual(('lpar-1', None), (gap.server_name, gap.led_code))

    def test_no_row_before_a_first_code_as_in_the_store(self):
        none, first = info('', led=''), info('C2001000')
        self.fleet([], edge('start', none, (T0 - 900, 1)),
                   edge('end', none, (T0 - 600, 1)),
                   edge('start', first, (T0 - 600, 1)))
        self.assertEqual([(T0 - 600, 'C2001000', 'progress')], self.rows())

    def test_every_server_and_the_limit(self):
        one, two = info('C2001000'), info('C6004031', server_id='srv-2',
                                          cloud='east')
        self.fleet([], edge('start', one, (T0 - 900, 1)),
                   edge('start', two, (T0 - 600, 1)))
        changes = self.source.changes(since=at(T0 - 3600))
        self.assertEqual([('east', 'srv-2'), ('powervc', ID)],
                         [(c.cloud, c.server_id) for c in changes])
        self.assertEqual([(T0 - 600, 'C6004031', 'progress')],
                         self.rows(limit=1))

    def test_the_queries_sent(self):
        self.fleet([])
        self.source.changes(server_id=ID, cloud='powervc',
                            since=at(T0 - 3600), until=at(T0))
        series, before, edges = self.mock.request_history
        selector = 'powervc_refcode_info{cloud="powervc",server_id="srv-1"}'
        self.assertEqual([selector], form(series)['match[]'])
        self.assertEqual([selector], form(before)['query'])
        self.assertEqual(['%.3f' % (T0 - 3600 - STEP)], form(before)['time'])
        query = form(edges)['query'][0]
        self.assertIn('(%s unless %s offset 60000ms)' % (selector, selector),
                      query)
        self.assertEqual((['60000ms'], ['%.3f' % (T0 - 3600)],
                          ['%.3f' % T0]),
                         (form(edges)['step'], form(edges)['start'],
                          form(edges)['end']))

    def test_label_values_are_quoted(self):
        self.assertEqual(r'powervc_refcode_info{cloud="a\"b\\c"}',
                         prometheus.selector(cloud='a"b\\c'))

    def test_servers_by_id_or_name(self):
        self.answer('series', [info('x'), info('y', server_id='srv-9',
                                               name=ID)])
        self.assertEqual([('powervc', ID)], self.source.servers(ID))
        self.answer('series', [info('x'), info('y', server_id='srv-9',
                                               cloud='east')])
        self.assertEqual([('east', 'srv-9'), ('powervc', ID)],
                         self.source.servers('lpar-1'))


class TestFirstPass(PrometheusTestCase):
    """Over a large fleet a first pass names the series that moved."""

    #: The grid of the first pass: from the point before --since to now.
    FIRST, LAST = T0 - 3600 - STEP, T0
    #: Points of that grid but one: a series missing at one end only.
    ALL_BUT_ONE = 3660 // 60

    def setUp(self):
        super().setUp()
        self.source = prometheus.PrometheusHistory(
            URL, step=STEP, clock=lambda: T0, screen_above=0)

    def screened(self, series, shown, moved, times=(), edges=()):
        """Prometheus' answers.

        :param shown: the info series present, by time.
        :param moved: (labels, points present) of the first pass.
        :param times: (kind, labels, value) of the changes' times.
        """
        self.answer('series', series)

        def query(request, context):
            asked = form(request)
            promql, when = asked['query'][0], float(asked['time'][0])
            if promql.startswith('count_over_time('):
                result = [{'metric': labels, 'value': [when, str(n)]}
                          for labels, n in moved]
            elif ' or ' in promql:
                result = [{'metric': dict(labels, powervc_osc_edge=kind),
                           'value': [when, str(value)]}
                          for kind, labels, value in times]
            else:
                result = [{'metric': dict(labels, __name__=prometheus.INFO),
                           'value': [when, '1']}
                          for labels in shown.get(when, ())]
            return {'status': 'success',
                    'data': {'resultType': 'vector', 'result': result}}

        self.mock.post(URL + '/api/v1/query', json=query)
        self.answer('query_range', {'resultType': 'matrix',
                                    'result': list(edges)})

    def edges_asked(self):
        return [form(r)['query'][0] for r in self.mock.request_history
                if r.path.endswith('/query_range')]

    def test_a_server_that_changed_is_read_the_unchanged_is_not(self):
        old, new = info('C2001000'), info('C6004031')
        steady = info('00000000', server_id='srv-4', name='lpar-4')
        self.screened([old, new, steady], {self.FIRST: [old, steady]},
                      [(old, 52), (new, 10)],
                      edges=[edge('end', old, (T0 - 600, 1)),
                             edge('start', new, (T0 - 600, 1))])
        self.assertEqual([(T0 - 600, 'C6004031', 'progress')], self.rows())
        asked, = self.edges_asked()
        self.assertIn('powervc_refcode_info{cloud="powervc",server_id=~'
                      '"srv-1"}', asked)
        self.assertNotIn('srv-4', asked)

    def test_the_first_pass_query_is_on_the_grid(self):
        self.screened([info('x')], {}, [])
        self.assertEqual([], self.rows())
        screen = form(self.mock.request_history[2])
        # 62 points from FIRST; the offset puts them on multiples of 60 s.
        self.assertEqual(
            (['count_over_time((powervc_refcode_info{} offset 40000ms)'
              '[3690000ms:60000ms]) < 62'], ['%.3f' % (T0 + 40)]),
            (screen['query'], screen['time']))
        self.assertEqual([], self.edges_asked())

    def test_gaps_inside_and_at_the_end(self):
        stopped = info('00000000', server_id='srv-2', name='lpar-2')
        failed = info('B2008105', category='error', server_id='srv-3',
                      name='lpar-3')
        self.screened(
            [stopped, failed],
            {self.FIRST: [stopped, failed], self.LAST: [failed]},
            [(stopped, self.ALL_BUT_ONE), (failed, self.ALL_BUT_ONE)],
            edges=[edge('end', failed, (T0 - 900, 1)),
                   edge('start', failed, (T0 - 300, 1))])
        changes = self.source.changes(since=at(T0 - 3600))
        self.assertEqual(
            [(T0, 'srv-2', 'gap'), (T0 - 300, 'srv-3', 'error'),
             (T0 - 900, 'srv-3', 'gap')],
            [(c.observed_at.timestamp(), c.server_id, c.category)
             for c in changes])
        # The exporter that stopped needs no edges query; the gap does.
        asked, = self.edges_asked()
        self.assertIn('server_id=~"srv-3"', asked)
        self.assertNotIn('srv-2', asked)

    def test_servers_that_appear(self):
        first = info('00000000', category='running', server_id='srv-5',
                     name='lpar-5')
        later = info('C2001000', server_id='srv-6', name='lpar-6')
        ids = [{'cloud': 'powervc', 'server_id': s}
               for s in ('srv-5', 'srv-6')]
        self.screened(
            [first, later], {}, [(first, self.ALL_BUT_ONE), (later, 20)],
            times=[('changed', ids[0], T0 - 3620),
                   ('queried', ids[0], T0 - 3630),
                   ('changed', ids[1], T0 - 3610)],
            edges=[edge('start', later, (T0 - 1200, 1))])
        changes = self.source.changes(since=at(T0 - 3600))
        self.assertEqual(
            [(T0 - 1200, 'srv-6', 'C2001000'),
             # At the first point of the range: its exporter's time.
             (T0 - 3620, 'srv-5', '00000000')],
            [(c.observed_at.timestamp(), c.server_id, c.refcode)
             for c in changes])
        self.assertEqual(at(T0 - 3630), changes[1].queried_at)
        asked, = self.edges_asked()
        self.assertIn('server_id=~"srv-6"', asked)
        self.assertNotIn('srv-5', asked)

    def test_servers_are_read_in_chunks_of_one_cloud(self):
        self.useFixture(fixtures.MockPatchObject(
            prometheus, 'SERVERS_PER_QUERY', 2))
        moved = [info('x', server_id='a.%d' % n, cloud=cloud)
                 for cloud in ('east', 'west') for n in range(3)]
        self.screened(moved, {}, [(labels, 3) for labels in moved])
        self.rows()
        self.assertEqual(
            ['{cloud="east",server_id=~"a\\\\.0|a\\\\.1"}',
             '{cloud="east",server_id=~"a\\\\.2"}',
             '{cloud="west",server_id=~"a\\\\.0|a\\\\.1"}',
             '{cloud="west",server_id=~"a\\\\.2"}'],
            [q[len(prometheus.INFO):q.index('}') + 1]
             for q in (a[a.index(prometheus.INFO):]
                       for a in self.edges_asked())])


class TestPlan(testtools.TestCase):

    def test_a_week_for_a_fleet_is_windows_within_the_limits(self):
        week = 7 * 86400
        step, windows = prometheus.plan(0, week, 10000, STEP)
        self.assertEqual(STEP, step)
        self.assertEqual((0, week), (windows[0][0], windows[-1][1]))
        for (first, last), (following, _) in zip(windows, windows[1:]):
            self.assertEqual(last + step, following)  # one grid
        for first, last in windows:
            points = (last - first) / step + 1
            self.assertLessEqual(points, prometheus.MAX_POINTS)
            self.assertLessEqual(points * 10000,
                                 prometheus.SAMPLES_PER_QUERY)

    def test_one_server_over_a_year_stays_under_11000_points(self):
        step, windows = prometheus.plan(0, 365 * 86400, 1, 1.0)
        self.assertEqual(1.0, step)
        self.assertEqual(prometheus.MAX_POINTS - 1,
                         windows[0][1] - windows[0][0])

    def test_a_long_range_sends_one_query_per_window(self):
        with requests_mock.Mocker() as mock:
            mock.post(URL + '/api/v1/series', json={
                'status': 'success', 'data': [info('x')]})
            mock.post(URL + '/api/v1/query', json={
                'status': 'success', 'data': {'result': []}})
            mock.post(URL + '/api/v1/query_range', json={
                'status': 'success', 'data': {'result': []}})
            source = prometheus.PrometheusHistory(URL, step=1.0)
            source.changes(since=at(T0 - 30000), until=at(T0))
        self.assertEqual(2 + 3, source.queries)


class TestErrors(PrometheusTestCase):

    def failure(self, **kwargs):
        return str(self.assertRaises(prometheus.PrometheusError,
                                     self.source.changes, **kwargs))

    def test_unreachable(self):
        self.answer('series', exc=requests.exceptions.ConnectionError(
            'Connection refused'))
        self.assertEqual('Prometheus at %s: unreachable: Connection refused'
                         % URL, self.failure())

    def test_tls(self):
        self.answer('series', exc=requests.exceptions.SSLError(
            'certificate verify failed'))
        self.assertEqual('Prometheus at %s: TLS failed: certificate verify '
                         'failed' % URL, self.failure())

    def test_credentials_refused(self):
        for status in (401, 403):
            self.answer('series', status_code=status, text='no')
            self.assertIn('HTTP %d: the credentials were refused' % status,
                          self.failure())

    def test_not_prometheus(self):
        self.answer('series', text='<html>Grafana</html>',
                    headers={'Content-Type': 'text/html'})
        self.assertEqual(
            'Prometheus at %s: HTTP 200, text/html: not an answer of the '
            'Prometheus query API (is the URL its root, with any path prefix '
            'such as /prometheus?)' % URL, self.failure())

    def test_answers_of_the_wrong_shape(self):
        wrong = 'its answer is not a list of series'
        self.answer('series', json={'status': 'success'})
        self.assertIn(wrong, self.failure())
        for before, edges in (
                ({'result': None}, {'result': []}),
                ({'resultType': 'vector', 'result': []}, ['not', 'a dict']),
                ({'resultType': 'vector', 'result': []},
                 {'result': [{'metric': {}, 'values': [['abc', '1']]}]})):
            self.answer('series', [info('x')])
            self.answer('query', before)
            self.answer('query_range', edges)
            self.assertIn(wrong, self.failure())

    def test_a_password_in_the_url_is_never_shown(self):
        source = prometheus.PrometheusHistory(
            'http://reader:s3cret@prometheus.test:9090', clock=lambda: T0)
        self.mock.post('http://reader:s3cret@prometheus.test:9090'
                       '/api/v1/series', status_code=401)
        message = str(self.assertRaises(prometheus.PrometheusError,
                                        source.changes))
        self.assertIn('Prometheus at http://prometheus.test:9090: HTTP 401',
                      message)
        self.assertNotIn('s3cret', message)

    def test_prometheus_own_words(self):
        self.answer('series', status_code=422, json={
            'status': 'error', 'errorType': 'execution',
            'error': 'query processing would load too many samples\ninto '
                     'memory'})
        self.assertEqual(
            'Prometheus at %s: the query was refused: query processing would '
            'load too many samples into memory' % URL, self.failure())

    def test_no_series(self):
        self.answer('series', [])
        self.assertEqual(
            'Prometheus at %s: no powervc_refcode_info{server_id="x"} series '
            'between 2026-09-20T14:13:20+00:00 and 2026-09-21T14:13:20+00:00'
            % URL, self.failure(server_id='x'))

    def test_since_after_until(self):
        self.assertIn('is after --until', self.failure(
            since=at(T0), until=at(T0 - 1)))


class TestCredentials(PrometheusTestCase):

    def sent(self, credentials):
        self.answer('series', [])
        source = prometheus.PrometheusHistory(URL, credentials)
        self.assertRaises(prometheus.PrometheusError, source.changes)
        return self.mock.request_history[-1]

    def test_token_and_headers(self):
        request = self.sent(prometheus.Credentials(
            headers={'X-Scope-OrgID': 'tenant-1'}, token='t0ken'))
        self.assertEqual(('Bearer t0ken', 'tenant-1'), (
            request.headers['Authorization'],
            request.headers['X-Scope-OrgID']))

    def test_basic_auth(self):
        request = self.sent(prometheus.Credentials(username='reader',
                                                   password='pw'))
        self.assertEqual('Basic cmVhZGVyOnB3',
                         request.headers['Authorization'])

    def test_ca_file(self):
        session = prometheus.Credentials(ca_file='/etc/ca.pem').session()
        self.assertEqual('/etc/ca.pem', session.verify)
