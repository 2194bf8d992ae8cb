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

"""``refcode history --prometheus``: the fleet's history from Prometheus.

Two simulators (the second in another time zone), one exporter each, one
real Prometheus scraping both every second. Servers IPL while it watches;
the real ``openstack`` reads the changes back from Prometheus alone, and
they agree with the SQLite history each exporter wrote in the same run.
"""

import datetime
import os

import bcrypt
import fixtures
import requests
import yaml

from powervc_osc import history
from powervc_osc.history import prometheus
from powervc_osc.simulator import fixture as sim_fixture
from powervc_osc.simulator import server as sim_server
from powervc_osc.tests.functional import base
from powervc_osc.tests.functional import exporter_fixtures as ef

EAST = 'powervc-east'
#: Each boot step lasts 2 s: two polls and two scrapes see it.
PACE = 10
IPL = {base.ADMIN: ('ipl-west', dict(stuck_at='C6004031')),
       EAST: ('ipl-east', dict(os_type='aix', stuck_at='0553'))}


def codes(rows):
    return [(r['Refcode'], r['LED Code']) for r in rows]


class TestHistoryFromPrometheus(base.FunctionalTestCase):

    def setUp(self):
        super().setUp()
        binary = ef.require_binary(self, 'prometheus')
        self.east = self.useFixture(sim_fixture.SimulatorFixture(
            write_clouds_yaml=False, step_seconds=0.2,
            zone_offset_minutes=330))
        sim_server.write_clouds_yaml(
            self.clouds_yaml, {EAST: self.east.clouds()[base.ADMIN]})
        stores = self.useFixture(fixtures.TempDir()).path
        self.stores = {}
        ports = {cloud: ef.free_port() for cloud in IPL}
        self.binary = binary
        self.targets = ['127.0.0.1:%d' % port for port in ports.values()]
        # Prometheus first, so that it sees every code from the first.
        self.prometheus = self.useFixture(ef.PrometheusProcess(
            binary, self.targets, {'groups': []}))
        self.exporters = {}
        for cloud, port in ports.items():
            self.stores[cloud] = os.path.join(stores, cloud + '.sqlite3')
            self.exporters[cloud] = self.useFixture(ef.ExporterProcess(
                ['--os-cloud', cloud, '--interval', '1', '--listen',
                 '127.0.0.1:%d' % port, '--history', self.stores[cloud]],
                self.environment()))
        ef.wait_for('both exporters scraped', lambda: len(
            self.prometheus.query('powervc_up == 1')) == 2)
        # No store where the command would look by default.
        self.assertFalse(os.path.exists(os.path.join(
            self.home, '.local', 'state')))

    def history(self, *args, status=0, env=None):
        return self.openstack('server', 'refcode', 'history', *args,
                              '-f', 'json', status=status,
                              stderr=status != 0, env=env)

    def prometheus_history(self, *args, **kwargs):
        return self.history('--prometheus', self.prometheus.url,
                            '--since', '10m', '--step', '1s', *args,
                            **kwargs)

    def ipl(self):
        """Boot both IPL servers; wait until Prometheus saw them stop."""
        sims = {base.ADMIN: self.sim, EAST: self.east}
        for cloud, (name, kwargs) in IPL.items():
            sims[cloud].state.add_server(name, refcode=True,
                                         boot_progress=0.0, pace=PACE,
                                         **kwargs)
        for cloud, (name, kwargs) in IPL.items():
            ef.wait_for('%s at its last code in Prometheus' % name,
                        lambda: self.prometheus.query(
                            'powervc_refcode_info{cloud="%s",server_name='
                            '"%s",refcode="%s"}'
                            % (cloud, name, kwargs['stuck_at'])),
                        timeout=120)

    def test_each_change_in_order_and_as_the_store_has_it(self):
        self.ipl()
        for cloud, (name, kwargs) in IPL.items():
            from_prometheus = self.prometheus_history(
                name, '--cloud-label', cloud).json()
            from_store = self.history(name, '--history',
                                      self.stores[cloud]).json()
            self.assertEqual(codes(from_store), codes(from_prometheus))
            # The exporter's own time of each change, as in its store.
            self.assertEqual([r['Observed At'] for r in from_store],
                             [r['Observed At'] for r in from_prometheus])
            self.assertGreater(len(from_prometheus), 3)
            self.assertEqual(kwargs['stuck_at'],
                             from_prometheus[0]['Refcode'])
            self.assertEqual(
                ['Observed At', 'Refcode', 'LED Code', 'Category',
                 'Queried At'], list(from_prometheus[0]))
            stamps = [r['Observed At'] for r in from_prometheus]
            self.assertEqual(sorted(stamps, reverse=True), stamps)
        # Without a server: every server of both clouds, with its cloud.
        every = self.prometheus_history().json()
        self.assertEqual(['Cloud', 'Server ID', 'Server Name'],
                         list(every[0])[:3])
        for cloud, (name, kwargs) in IPL.items():
            mine = [r for r in every if r['Cloud'] == cloud
                    and r['Server Name'] == name]
            with history.HistoryStore(self.stores[cloud],
                                      readonly=True) as store:
                recorded = [(c.refcode, c.led_code)
                            for c in store.changes(name)]
            self.assertEqual(recorded, codes(mine))
        # The default URL from the environment.
        by_env = self.history('ipl-west', '--step', '1s', '--since', '10m',
                              env={'OS_REFCODE_PROMETHEUS':
                                   self.prometheus.url}).json()
        self.assertEqual(codes(self.prometheus_history(
            'ipl-west').json()), codes(by_env))

    def ipl_and_a_gap(self):
        """IPL; stop one exporter until Prometheus sees it down; restart."""
        self.ipl()
        exporter = self.exporters[base.ADMIN]
        self.assertEqual(0, exporter.stop())
        ef.wait_for('Prometheus to see the exporter down', lambda:
                    self.prometheus.query('up == 0'))
        self.useFixture(ef.ExporterProcess(exporter.args,
                                           self.environment()))
        ef.wait_for('the series again', lambda: self.prometheus.query(
            'powervc_refcode_info{server_name="ipl-west"}'))

    def test_an_exporter_down_is_a_gap(self):
        self.ipl_and_a_gap()
        rows = self.prometheus_history('ipl-west').json()
        stuck = IPL[base.ADMIN][1]['stuck_at']
        self.assertEqual([(stuck, 'progress'), (None, 'gap'),
                          (stuck, 'progress')],
                         [(r['Refcode'], r['Category']) for r in rows[:3]])

    def test_the_first_pass_answers_as_reading_every_edge(self):
        self.ipl_and_a_gap()
        # Small pieces, so that changes fall on either side of their ends.
        self.useFixture(fixtures.MockPatchObject(
            prometheus, 'SAMPLES_PER_QUERY', 200))
        until = datetime.datetime.now(datetime.timezone.utc)
        since = until - datetime.timedelta(minutes=10)
        # Both read the same scrapes: every one until then is in.
        ef.wait_for('scrapes after until', lambda: self.prometheus.query(
            'count(timestamp(powervc_up) > %f) == 2' % until.timestamp()))
        answers = []
        for screen_above in (0, 10 ** 12):
            with prometheus.PrometheusHistory(
                    self.prometheus.url, step=1.0,
                    screen_above=screen_above) as source:
                answers.append([(
                    c.cloud, c.server_name, c.refcode, c.category,
                    c.observed_at.isoformat(), c.queried_at)
                    for c in source.changes(since=since, until=until)])
        self.assertEqual(answers[1], answers[0])
        self.assertIn(prometheus.GAP, [c[3] for c in answers[0]])

    def one_line(self, *args):
        result = self.history(*args, status=1)
        self.assertEqual('', result.out)
        self.assertEqual(1, len(result.err.splitlines()), result.err)
        return result.err.strip()

    def test_failures_are_one_line(self):
        url = self.prometheus.url
        err = self.one_line('--prometheus', url, 'no-such-server')
        self.assertEqual("Prometheus at %s: has no recorded changes for "
                         "server 'no-such-server'" % url, err)
        err = self.one_line('--prometheus', url, '--step', '1s',
                            '--since', '2000-01-01T00:00',
                            '--until', '2000-01-08T00:00')
        self.assertIn('no powervc_refcode_info{} series between '
                      '2000-01-01T00:00:00+00:00 and', err)
        # A URL that is not the query API's root (no /prometheus prefix).
        err = self.one_line('--prometheus', url + '/graph', 'ipl-west')
        self.assertIn('not an answer of the Prometheus query API', err)
        closed = 'http://127.0.0.1:%d' % ef.free_port()
        err = self.one_line('--prometheus', closed, 'ipl-west')
        self.assertTrue(err.startswith('Prometheus at %s: unreachable: '
                                       % closed), err)
        self.assertIn('refused', err.lower())

    def test_basic_auth_and_a_refused_query(self):
        folder = self.useFixture(fixtures.TempDir()).path
        web = os.path.join(folder, 'web.yml')
        with open(web, 'w') as f:
            yaml.safe_dump({'basic_auth_users': {'reader': bcrypt.hashpw(
                b'secret pass', bcrypt.gensalt(4)).decode()}}, f)
        password = os.path.join(folder, 'password')
        with open(password, 'w') as f:
            f.write('secret pass\n')
        # Too small a sample limit: Prometheus refuses every query.
        guarded = self.useFixture(ef.PrometheusProcess(
            self.binary, self.targets, {'groups': []}, args=[
                '--web.config.file', web, '--query.max-samples', '1']))
        ef.wait_for('the guarded Prometheus to scrape', lambda: requests.get(
            guarded.url + '/api/v1/series', auth=('reader', 'secret pass'),
            params={'match[]': 'powervc_refcode_info'},
            timeout=10).json()['data'])
        err = self.one_line('--prometheus', guarded.url, '--step', '1s')
        self.assertEqual('Prometheus at %s: HTTP 401: the credentials were '
                         'refused (see --prometheus-token-file, '
                         '--prometheus-user and --prometheus-header)'
                         % guarded.url, err)
        result = self.history('--prometheus', guarded.url,
                              '--prometheus-user', 'reader', status=1,
                              env={'OS_REFCODE_PROMETHEUS_PASSWORD': 'wrong'})
        self.assertIn('HTTP 401', result.err)
        err = self.one_line('--prometheus', guarded.url, '--step', '1s',
                            '--prometheus-user', 'reader',
                            '--prometheus-password-file', password)
        self.assertEqual(
            'Prometheus at %s: the query was refused: query processing '
            'would load too many samples into memory in query execution'
            % guarded.url, err)
        self.assertNotIn('secret', err)
