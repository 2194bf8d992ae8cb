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

"""``refcode history`` without <server>, with --until, $OS_REFCODE_HISTORY,
and from Prometheus (its HTTP API mocked)."""

import json
import os

import fixtures

from powervc_osc.tests.unit.osc import test_history as th

PROM = 'http://prometheus.example:9090/prometheus'
SERVER_COLUMNS = ['Cloud', 'Server ID', 'Server Name']


def labels(code, server_id=th.ID_1, name='ibmi-prod-1'):
    return {'cloud': 'powervc', 'server_id': server_id, 'server_name': name,
            'host': 'h', 'refcode': code, 'led_code': 'LED',
            'category': 'progress'}


class TestEveryServerAndUntil(th.HistoryCommandTestCase):

    def setUp(self):
        super().setUp()
        self.fleet_history()

    def test_every_server_has_its_cloud_id_and_name(self):
        _, out, err = self.history('-f', 'json')
        rows = json.loads(out)
        self.assertEqual(SERVER_COLUMNS + th.COLUMNS, list(rows[0]))
        # Newest first, both servers (the last two at one time).
        self.assertEqual(
            [('ibmi-prod-1', 'C9002960'), ('ibmi-prod-1', 'C6004031'),
             ('ibmi-prod-2', 'C6004031'), ('ibmi-prod-1', 'B2008105')],
            [(r['Server Name'], r['Refcode']) for r in rows])
        self.assertEqual({'powervc'}, {r['Cloud'] for r in rows})

    def test_until(self):
        _, out, _ = self.history('ibmi-prod-1', '--until', '1h', '-f',
                                 'value', '-c', 'Refcode')
        self.assertEqual('C6004031\nB2008105\n', out)
        result = self.history('ibmi-prod-1', '--since', '1h', '--until',
                              '2h', status=2)
        self.assertIn('--since is after --until', result[2])

    def test_the_store_from_the_environment(self):
        other = os.path.join(self.state, 'elsewhere.sqlite3')
        self.record(th.NOW, 'powervc', th.refcode(th.ID_1, 'ibmi-prod-1',
                                                  'A6005001'), path=other)
        self.useFixture(fixtures.EnvironmentVariable('OS_REFCODE_HISTORY',
                                                     other))
        _, out, _ = self.history('ibmi-prod-1', '-f', 'value',
                                 '-c', 'Refcode')
        self.assertEqual('A6005001\n', out)
        # --history still wins.
        _, out, _ = self.history('ibmi-prod-1', '--history', self.path,
                                 '-f', 'value', '-c', 'Refcode')
        self.assertEqual('C9002960\nC6004031\nB2008105\n', out)


class TestFromPrometheus(th.HistoryCommandTestCase):

    def setUp(self):
        super().setUp()
        start = th.NOW - 3600
        self.requests.post(PROM + '/api/v1/series', json={
            'status': 'success', 'data': [labels('C2001000')]})
        self.requests.post(PROM + '/api/v1/query', json={
            'status': 'success', 'data': {'result': [
                {'metric': labels('C2001000'), 'value': [start, '1']}]}})
        self.requests.post(PROM + '/api/v1/query_range', json={
            'status': 'success', 'data': {'result': [
                {'metric': dict(labels('C2001000'),
                                powervc_osc_edge='end'),
                 'values': [[start + 600, '1']]},
                {'metric': dict(labels('C6004031'),
                                powervc_osc_edge='start'),
                 'values': [[start + 600, '1']]}]}})

    def prometheus_requests(self):
        return [r for r in self.requests.request_history
                if r.url.startswith(PROM)]

    def test_the_columns_of_today_and_no_store(self):
        _, out, err = self.history('--prometheus', PROM, 'ibmi-prod-1',
                                   '--since', '1h', '-f', 'json')
        rows = json.loads(out)
        self.assertEqual('', err)
        self.assertEqual([[th.iso(th.NOW - 3000), 'C6004031', 'LED',
                           'progress', None]],
                         [list(r.values()) for r in rows])
        self.assertFalse(os.path.exists(self.path))
        # Only Prometheus was asked: no login, no PowerVC request.
        self.assertEqual(len(self.requests.request_history),
                         len(self.prometheus_requests()))

    def test_every_server_and_the_url_from_the_environment(self):
        self.useFixture(fixtures.EnvironmentVariable(
            'OS_REFCODE_PROMETHEUS', PROM))
        _, out, _ = self.history('--since', '1h', '-f', 'json')
        rows = json.loads(out)
        self.assertEqual(SERVER_COLUMNS + th.COLUMNS, list(rows[0]))
        self.assertEqual(('powervc', th.ID_1, 'ibmi-prod-1'),
                         tuple(rows[0].values())[:3])

    def test_secrets_from_a_file_or_the_environment(self):
        token = os.path.join(self.state, 'token')
        with open(token, 'w') as f:
            f.write('s3cret-token\n')
        self.history('--prometheus', PROM, '--prometheus-token-file', token,
                     '--prometheus-header', 'X-Scope-OrgID: fleet')
        sent = self.prometheus_requests()[-1].headers
        self.assertEqual(('Bearer s3cret-token', 'fleet'),
                         (sent['Authorization'], sent['X-Scope-OrgID']))
        self.useFixture(fixtures.EnvironmentVariable(
            'OS_REFCODE_PROMETHEUS_PASSWORD', 'pw'))
        self.history('--prometheus', PROM, '--prometheus-user', 'reader')
        self.assertEqual('Basic cmVhZGVyOnB3', self.prometheus_requests()[
            -1].headers['Authorization'])
        missing = os.path.join(self.state, 'nothing')
        _, out, err = self.history('--prometheus', PROM,
                                   '--prometheus-token-file', missing,
                                   status=1)
        self.assertEqual('Cannot read the token file %s: No such file or '
                         'directory\n' % missing, err)

    def test_usage_errors(self):
        for argv, culprit in (
                (['--prometheus', PROM, '--history', self.path],
                 'give --prometheus or --history, not both'),
                (['--prometheus-user', 'reader'],
                 '--prometheus-user needs --prometheus'),
                (['--prometheus', PROM, '--prometheus-password-file', 'x'],
                 '--prometheus-password-file needs --prometheus-user'),
                (['--prometheus', PROM, '--prometheus-header', 'no colon'],
                 "expected \"Name: value\", got 'no colon'"),
                (['--prometheus', PROM, '--prometheus-header',
                  'Authorization: Bearer x'],
                 'Authorization would put a secret on the command line'),
                (['--prometheus', PROM, '--step', '0.5'], '0.5')):
            status, _, err = self.history(*argv, status=2)
            self.assertIn(culprit, err.splitlines()[-1], argv)
        self.assertEqual([], self.prometheus_requests())
