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

"""The metrics a scrape returns after polls of a fake PowerVC."""

import logging

import fixtures

from powervc_osc.tests.unit.exporter import base
from powervc_osc.tests.unit import fakes

STUCK = (1, 'ibmi-stuck-1', base.metadata('B2008105', 'IPL_failed_attention'))
BOOTING = (2, 'ibmi-prod-2', base.metadata('C6004031', 'LIC_IPL_in_progress'))
OFF = (3, 'ibmi-dev-1', base.metadata('00000000', 'Running', required=False))


def by_server(samples):
    return {labels['server_id']: (labels, value) for labels, value in samples}


class TestServerMetrics(base.ExporterTestCase):

    def setUp(self):
        super().setUp()
        self.log = self.useFixture(fixtures.FakeLogger(level=logging.INFO))

    def test_one_info_series_per_server_with_its_labels(self):
        self.fleet([STUCK, BOOTING, OFF])
        self.poll(self.poller())
        info = by_server(self.samples('powervc_refcode_info'))
        self.assertEqual(3, len(info))
        labels, value = info[base.server_id(1)]
        self.assertEqual(1, value)
        self.assertEqual({
            'cloud': 'prod', 'server_id': base.server_id(1),
            'server_name': 'ibmi-stuck-1', 'host': fakes.HOST,
            'refcode': 'B2008105', 'led_code': 'IPL_failed_attention',
            'category': 'error'}, labels)
        self.assertEqual('progress', info[base.server_id(2)][0]['category'])
        self.assertEqual('stale', info[base.server_id(3)][0]['category'])

    def test_collecting_query_time_and_change_time(self):
        self.fleet([STUCK, OFF])
        self.poll(self.poller())
        collecting = by_server(self.samples('powervc_refcode_collecting'))
        self.assertEqual(1, collecting[base.server_id(1)][1])
        self.assertEqual(0, collecting[base.server_id(3)][1])
        queried = by_server(
            self.samples('powervc_refcode_query_timestamp_seconds'))
        # 2026-11-27T10:15:00 read as UTC.
        self.assertEqual(1795774500.0, queried[base.server_id(1)][1])
        changed = by_server(
            self.samples('powervc_refcode_last_change_timestamp_seconds'))
        self.assertEqual(self.wall.now, changed[base.server_id(1)][1])

    def test_change_time_moves_only_when_the_code_changes(self):
        p = self.poller()
        self.fleet([BOOTING])
        self.poll(p)
        first = self.wall.now
        self.wall.now += 60
        # A new query time alone is no change.
        self.fleet([(2, 'ibmi-prod-2', base.metadata(
            'C6004031', 'LIC_IPL_in_progress', ts='20261127101600000000'))])
        self.poll(p)
        changed = self.samples(
            'powervc_refcode_last_change_timestamp_seconds')
        self.assertEqual(first, changed[0][1])
        self.wall.now += 60
        self.fleet([(2, 'ibmi-prod-2', base.metadata(
            'C9002960', 'OS_IPL_in_progress'))])
        self.poll(p)
        changed = self.samples(
            'powervc_refcode_last_change_timestamp_seconds')
        self.assertEqual(self.wall.now, changed[0][1])

    def test_series_of_a_gone_code_or_server_disappear(self):
        p = self.poller()
        self.fleet([STUCK, BOOTING])
        self.poll(p)
        self.fleet([(2, 'ibmi-prod-2', base.metadata(
            'C9002960', 'OS_IPL_in_progress'))])
        self.poll(p)
        info = self.samples('powervc_refcode_info')
        self.assertEqual(['C9002960'], [lb['refcode'] for lb, _v in info])
        for name in ('powervc_refcode_collecting',
                     'powervc_refcode_last_change_timestamp_seconds',
                     'powervc_refcode_query_timestamp_seconds'):
            self.assertEqual([base.server_id(2)], [
                lb['server_id'] for lb, _v in self.samples(name)], name)

    def test_odd_label_values_are_escaped(self):
        odd = 'vm "quoted" \\ back\\slash, {brace}=\u00e9\u6f22'
        self.fleet([(4, odd, base.metadata('C6004031', 'a"b\\c'))])
        self.poll(self.poller())
        text = self.exposition()
        self.assertIn(
            'server_name="vm \\"quoted\\" \\\\ back\\\\slash, '
            '{brace}=\u00e9\u6f22"', text)
        self.assertIn('led_code="a\\"b\\\\c"', text)
        # A Prometheus parser reads the original values back.
        labels, _value = self.samples('powervc_refcode_info')[0]
        self.assertEqual(odd, labels['server_name'])
        self.assertEqual('a"b\\c', labels['led_code'])

    def test_control_characters_never_reach_the_exposition(self):
        self.fleet([(5, 'evil\nname', base.metadata('C6004031\n# x 1'))])
        self.poll(self.poller())
        text = self.exposition()
        self.assertNotIn('\n# x 1', text)
        labels, _value = self.samples('powervc_refcode_info')[0]
        self.assertEqual('evil\ufffdname', labels['server_name'])

    def test_no_secret_in_the_exposition(self):
        self.fleet([STUCK])
        self.poll(self.poller())
        text = self.exposition()
        self.assertNotIn(fakes.TOKEN_ID, text)
        self.assertNotIn(fakes.PASSWORD, text)

    def test_a_scrape_never_calls_powervc(self):
        self.fleet([STUCK])
        self.poll(self.poller())
        before = len(self.requests.request_history)
        self.exposition()
        self.exposition()
        self.assertEqual(before, len(self.requests.request_history))

    def test_filters_are_passed_to_the_listing(self):
        self.fleet([STUCK])
        self.poll(self.poller(host='nl2', all_projects=True, status='active'))
        listings = [r for r in self.requests.request_history
                    if r.path.endswith('/servers/detail')]
        query = listings[-1].qs
        self.assertEqual({'host': ['nl2'], 'all_tenants': ['true'],
                          'status': ['active']}, query)


class TestCloudMetrics(base.ExporterTestCase):

    def setUp(self):
        super().setUp()
        self.log = self.useFixture(fixtures.FakeLogger(level=logging.INFO))

    def cloud_sample(self, name, cloud='prod'):
        values = [v for labels, v in self.samples(name)
                  if labels['cloud'] == cloud]
        return values[0] if values else None

    def test_up_duration_and_no_failure(self):
        self.fleet([STUCK])
        self.poll(self.poller())
        self.assertEqual(1, self.cloud_sample('powervc_up'))
        self.assertEqual(0, self.cloud_sample('powervc_poll_failures_total'))
        self.assertEqual(0, self.cloud_sample('powervc_poll_server_errors'))
        self.assertGreaterEqual(
            self.cloud_sample('powervc_poll_duration_seconds'), 0)
        self.assertEqual(self.wall.now, self.cloud_sample(
            'powervc_last_success_timestamp_seconds'))

    def test_down_cloud_keeps_last_values_and_warns_once(self):
        p = self.poller()
        self.fleet([STUCK])
        self.poll(p)
        polled_at = self.wall.now
        self.requests.get(base.DETAIL_URL, status_code=500,
                          json={'computeFault': {'message': 'db down'}})
        for _ in range(3):
            self.wall.now += 60
            self.poll(p)
        self.assertEqual(0, self.cloud_sample('powervc_up'))
        self.assertEqual(3, self.cloud_sample('powervc_poll_failures_total'))
        self.assertEqual(polled_at, self.cloud_sample(
            'powervc_last_success_timestamp_seconds'))
        info = self.samples('powervc_refcode_info')
        self.assertEqual(['B2008105'], [lb['refcode'] for lb, _v in info])
        self.assertEqual(1, self.log.output.count('Cloud prod cannot be'))
        self.assertIn('its last values are kept', self.log.output)
        self.assertIn('db down', self.log.output)
        # It recovers: up again, the counter keeps its failures.
        self.fleet([BOOTING])
        self.poll(p)
        self.assertEqual(1, self.cloud_sample('powervc_up'))
        self.assertEqual(3, self.cloud_sample('powervc_poll_failures_total'))
        self.assertIn('Cloud prod answers again', self.log.output)
        info = self.samples('powervc_refcode_info')
        self.assertEqual(['C6004031'], [lb['refcode'] for lb, _v in info])

    def test_one_cloud_down_does_not_stop_another(self):
        self.fleet([STUCK])
        self.requests.get(base.DETAIL_URL_TWO, status_code=503)
        self.poll(self.poller('prod'))
        self.poll(self.poller('backup', region='RegionTwo'))
        self.assertEqual(1, self.cloud_sample('powervc_up', 'prod'))
        self.assertEqual(0, self.cloud_sample('powervc_up', 'backup'))
        self.assertEqual(1, self.cloud_sample('powervc_poll_failures_total',
                                              'backup'))
        clouds = {lb['cloud']
                  for lb, _v in self.samples('powervc_refcode_info')}
        self.assertEqual({'prod'}, clouds)

    def test_a_server_that_fails_keeps_its_last_row(self):
        p = self.poller()
        self.fleet([STUCK, BOOTING])
        self.poll(p)
        self.requests.get(
            '%s/servers/%s/metadata' % (fakes.COMPUTE_URL, base.server_id(2)),
            status_code=500, json={'computeFault': {'message': 'HMC busy'}})
        self.poll(p)
        self.poll(p)
        self.assertEqual(1, self.cloud_sample('powervc_up'))
        self.assertEqual(1, self.cloud_sample('powervc_poll_server_errors'))
        info = by_server(self.samples('powervc_refcode_info'))
        self.assertEqual('C6004031', info[base.server_id(2)][0]['refcode'])
        self.assertEqual(1, self.log.output.count('HMC busy'))
        self.assertIn('Cloud prod: the code of 1 server(s) could not be '
                      'read, e.g. ', self.log.output)
        # Another server failing too adds no line; all read again, one.
        self.requests.get(
            '%s/servers/%s/metadata' % (fakes.COMPUTE_URL, base.server_id(1)),
            status_code=500, json={'computeFault': {'message': 'HMC busy'}})
        self.poll(p)
        self.assertEqual(2, self.cloud_sample('powervc_poll_server_errors'))
        self.assertEqual(1, self.log.output.count('could not be read'))
        self.fleet([STUCK, BOOTING])
        self.poll(p)
        self.assertEqual(0, self.cloud_sample('powervc_poll_server_errors'))
        self.assertIn("Cloud prod: every server's code is read again",
                      self.log.output)
        self.assertEqual(2, len(self.log.output.splitlines()))


class TestFailureReasons(base.ExporterTestCase):
    """An outage and a configuration to fix are told apart."""

    def setUp(self):
        super().setUp()
        self.log = self.useFixture(fixtures.FakeLogger(level=logging.INFO))

    def reasons(self, cloud='prod'):
        return {labels['reason']: value
                for labels, value in self.samples('powervc_poll_failure')
                if labels['cloud'] == cloud}

    def refuse_login(self):
        self.requests.post(
            fakes.AUTH_URL + '/auth/tokens', status_code=401,
            json={'error': {'code': 401, 'message': 'The request you have '
                            'made requires authentication.'}})

    def test_every_reason_is_zero_while_the_cloud_answers(self):
        self.fleet([STUCK])
        self.poll(self.poller())
        self.assertEqual({'unreachable': 0, 'authentication': 0,
                          'permission': 0, 'usage': 0}, self.reasons())

    def test_a_refused_login_is_authentication_not_unreachable(self):
        self.refuse_login()
        p = self.poller()
        self.poll(p)
        self.poll(p)
        self.assertEqual(0, self.cloud_sample('powervc_up'))
        self.assertEqual({'unreachable': 0, 'authentication': 1,
                          'permission': 0, 'usage': 0}, self.reasons())
        self.assertEqual(1, self.log.output.count(
            'Cloud prod refused the login (check user and password in '
            'clouds.yaml)'))
        self.assertNotIn('cannot be reached', self.log.output)
        self.assertNotIn(fakes.PASSWORD, self.log.output)

    def test_a_filter_that_needs_admin_is_permission(self):
        self.requests.get(base.DETAIL_URL, status_code=403, json={
            'forbidden': {'message': 'Policy does not allow it'}})
        self.poll(self.poller(all_projects=True))
        self.assertEqual(1, self.reasons()['permission'])
        self.assertIn('Cloud prod: the user lacks a role the filters need',
                      self.log.output)

    def test_a_rejected_filter_is_usage(self):
        self.requests.get(base.DETAIL_URL, status_code=400, json={
            'badRequest': {'message': 'Invalid regular expression'}})
        self.poll(self.poller(name='('))
        self.assertEqual(1, self.reasons()['usage'])
        self.assertIn('Cloud prod rejected the request (check the filters)',
                      self.log.output)

    def test_an_outage_is_unreachable_and_logged_once_each_way(self):
        p = self.poller()
        self.fleet([STUCK])
        self.poll(p)
        self.requests.get(base.DETAIL_URL, status_code=503)
        for _ in range(3):
            self.poll(p)
        self.assertEqual(1, self.reasons()['unreachable'])
        self.fleet([STUCK])
        self.poll(p)
        self.poll(p)
        self.assertEqual(0, self.reasons()['unreachable'])
        lines = self.log.output.splitlines()
        self.assertEqual(['Cloud prod cannot be reached: PowerVC failed '
                          'while handling the server listing (HTTP 503); '
                          'its last values are kept until it answers again',
                          'Cloud prod answers again'], lines)

    def test_a_new_reason_is_logged_when_it_replaces_another(self):
        p = self.poller()
        self.requests.get(base.DETAIL_URL, status_code=503)
        self.poll(p)
        self.refuse_login()
        # A new client logs in again (this one keeps its token).
        p._client = self.client()
        self.poll(p)
        self.assertIn('cannot be reached', self.log.output)
        self.assertIn('refused the login', self.log.output)

    def test_a_filter_naming_nothing_is_logged_once(self):
        self.fleet([])
        p = self.poller(host=fakes.HOST)
        for _ in range(3):
            self.poll(p)
        self.assertEqual(1, self.log.output.count(
            'Cloud prod: no server matches --host ' + fakes.HOST))
        self.fleet([STUCK])
        self.poll(p)
        self.fleet([])
        self.poll(p)
        self.assertEqual(2, self.log.output.count('no server matches'))

    def test_no_filter_and_no_server_is_not_reported(self):
        self.fleet([])
        self.poll(self.poller())
        self.assertNotIn('no server matches', self.log.output)

    def cloud_sample(self, name, cloud='prod'):
        values = [v for labels, v in self.samples(name)
                  if labels['cloud'] == cloud]
        return values[0] if values else None
