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

"""list, wait and watch: the client over a fake PowerVC."""

from powervc_osc import client as client_mod
from powervc_osc import exceptions
from powervc_osc.tests.unit import fakes

DETAIL_URL = fakes.COMPUTE_URL + '/servers/detail'


def _uuid(n):
    return '00000000-0000-4000-8000-%012d' % n


def _fleet(count, required_every=1):
    servers = []
    for n in range(count):
        meta = {'owner': 'x'}
        if n % required_every == 0:
            meta['powervc:vm_refcode_required'] = 'true'
        servers.append(fakes.server_body(_uuid(n), 'vm-%03d' % n, meta))
    return servers


class FleetMixin:

    def mock_fleet(self, servers, page_size=3):
        pages = [servers[i:i + page_size]
                 for i in range(0, len(servers), page_size)] or [[]]
        responses = []
        for number, page in enumerate(pages):
            body = {'servers': page}
            if number + 1 < len(pages):
                body['servers_links'] = [{'rel': 'next', 'href': (
                    'https://elsewhere.example/v2.1/servers/detail'
                    '?limit=3&marker=%s' % page[-1]['id'])}]
            responses.append({'json': body})
        self.requests.get(DETAIL_URL, responses)
        for server in servers:
            meta = dict(server['metadata'])
            meta['powervc:vm_refcode'] = 'C900' + server['id'][-4:]
            self.requests.get(
                fakes.COMPUTE_URL + '/servers/%s/metadata' % server['id'],
                json={'metadata': meta})

    def listing_requests(self):
        return [r for r in self.powervc.compute_requests()
                if r.path.endswith('/servers/detail')]

    def metadata_requests(self):
        return [r for r in self.powervc.compute_requests()
                if r.path.endswith('/metadata')]


class TestClientList(FleetMixin, fakes.TestCase):

    def setUp(self):
        super().setUp()
        self.client = client_mod.RefcodeClient(self.powervc.session(),
                                               retries=0, max_workers=4)

    def test_walks_every_page_and_keeps_order(self):
        servers = _fleet(8, required_every=2)
        self.mock_fleet(servers)
        rows = list(self.client.list(host='h1', status='active'))
        self.assertEqual([s['id'] for s in servers],
                         [r.server_id for r in rows])
        listings = self.listing_requests()
        self.assertEqual(3, len(listings))
        self.assertEqual([None, [_uuid(2)], [_uuid(5)]],
                         [r.qs.get('marker') for r in listings])
        self.assertTrue(all(r.qs['host'] == ['h1'] and
                            r.qs['status'] == ['active'] for r in listings))
        # Only servers whose listing says collection is on are asked again.
        self.assertEqual(4, len(self.metadata_requests()))
        self.assertEqual('C9000002', rows[2].refcode)
        self.assertIsNone(rows[1].refcode)

    def test_enabled_only_and_all_projects(self):
        self.mock_fleet(_fleet(4, required_every=2))
        rows = list(self.client.list(enabled_only=True, all_projects=True,
                                     project='p1', name='^vm-'))
        self.assertEqual([_uuid(0), _uuid(2)], [r.server_id for r in rows])
        query = self.listing_requests()[0].qs
        self.assertEqual((['true'], ['p1'], ['^vm-']),
                         (query['all_tenants'], query['project_id'],
                          query['name']))

    def test_partial_failure_yields_good_rows_then_raises(self):
        servers = _fleet(3)
        self.mock_fleet(servers)
        self.requests.get(
            fakes.COMPUTE_URL + '/servers/%s/metadata' % _uuid(1),
            status_code=403)
        rows = []
        exc = self.assertRaises(client_mod.PartialFailure,
                                lambda: rows.extend(self.client.list()))
        self.assertEqual([_uuid(0), _uuid(2)], [r.server_id for r in rows])
        self.assertEqual([_uuid(1)], [f.server for f in exc.failures])
        self.assertIsInstance(exc.failures[0].error, exceptions.Forbidden)

    def test_named_servers(self):
        servers = _fleet(2)
        self.mock_fleet(servers)
        for server in servers:
            self.requests.get(fakes.COMPUTE_URL + '/servers/' + server['id'],
                              json={'server': server})
        rows = list(self.client.list([_uuid(1), _uuid(0)]))
        self.assertEqual([_uuid(1), _uuid(0)], [r.server_id for r in rows])
        self.assertEqual([], self.listing_requests())


class ClockMixin:

    def install_clock(self, client):
        self.now = 0.0
        self.sleeps = []

        def sleep(seconds):
            self.sleeps.append(seconds)
            self.now += seconds

        client._sleep = sleep
        client._clock = lambda: self.now


class TestClientWaitWatch(ClockMixin, fakes.TestCase):

    url = fakes.COMPUTE_URL + '/servers/%s/metadata' % fakes.SERVER_ID

    def setUp(self):
        super().setUp()
        self.client = client_mod.RefcodeClient(self.powervc.session(),
                                               retries=0)
        self.install_clock(self.client)
        self.requests.get(fakes.COMPUTE_URL + '/servers/' + fakes.SERVER_ID,
                          json={'server': fakes.server_body()})

    def answers(self, *codes):
        bodies = []
        for n, code in enumerate(codes):
            meta = {'powervc:vm_refcode_required': 'true'}
            if code:
                meta['powervc:vm_refcode'] = code
                meta['powervc:vm_refcode_query_ts'] = (
                    '202010140521%02d000000' % n)
            bodies.append({'json': {'metadata': meta}})
        self.requests.get(self.url, bodies)

    def test_wait_polls_until_populated(self):
        self.answers(None, None, 'C2004000')
        seen = []
        rc = self.client.wait(fakes.SERVER_ID, timeout=60, interval=2,
                              progress=seen.append)
        self.assertEqual('C2004000', rc.refcode)
        self.assertEqual([2, 2], self.sleeps)
        self.assertEqual(2, len(seen))

    def test_wait_many_reports_progress(self):
        self.answers(None, None, 'C2004000')
        seen = []
        failed = self.client.wait_many([fakes.SERVER_ID], timeout=60,
                                       progress=seen.append)
        self.assertEqual(set(), failed)
        self.assertEqual([fakes.SERVER_ID] * 2, [r.server_id for r in seen])

    def test_wait_many_shares_one_deadline(self):
        # One worker: the second server starts when the first has used the
        # whole timeout, and gets no fresh one.
        other = _uuid(7)
        self.requests.get(fakes.COMPUTE_URL + '/servers/' + other,
                          json={'server': fakes.server_body(other, 'vm-7')})
        self.answers(None)
        self.requests.get(
            fakes.COMPUTE_URL + '/servers/%s/metadata' % other,
            json={'metadata': {'powervc:vm_refcode_required': 'true'}})
        self.client.max_workers = 1
        failures = []
        failed = self.client.wait_many([fakes.SERVER_ID, other], timeout=5,
                                       interval=2, on_error=failures.append)
        self.assertEqual({fakes.SERVER_ID, other}, failed)
        self.assertEqual(5.0, self.now)
        self.assertIn('within 5 seconds', str(failures[1].error))

    def test_wait_polls_at_the_deadline(self):
        self.answers(None)
        self.assertRaises(exceptions.WaitTimeout, self.client.wait,
                          fakes.SERVER_ID, timeout=10, interval=6)
        self.assertEqual([6, 4], self.sleeps)

    def test_watch_goes_on_after_a_failed_poll(self):
        self.requests.get(self.url, [
            {'status_code': 500, 'text': 'oops'},
            {'json': {'metadata': {'powervc:vm_refcode': 'C9002960'}}}])
        failures = []
        rows = list(self.client.watch(fakes.SERVER_ID, interval=1,
                                      until='C9002960',
                                      on_error=failures.append))
        self.assertEqual(['C9002960'], [r.refcode for r in rows])
        self.assertIsInstance(failures[0].error, exceptions.ServerError)

    def test_wait_times_out(self):
        self.answers(None)
        exc = self.assertRaises(exceptions.WaitTimeout, self.client.wait,
                                fakes.SERVER_ID, timeout=10, interval=3)
        self.assertIn('10 seconds', str(exc))
        self.assertLessEqual(self.now, 10)

    def test_watch_yields_changes_until_code(self):
        self.answers(None, None, 'C6004031', 'C9002960', 'C9002965')
        rows = list(self.client.watch(fakes.SERVER_ID, interval=1,
                                      until='c9002960'))
        self.assertEqual([None, 'C6004031', 'C9002960'],
                         [r.refcode for r in rows])

    def test_watch_timeout(self):
        self.answers('C6004031')
        rows = []
        self.assertRaises(exceptions.WaitTimeout,
                          lambda: rows.extend(self.client.watch(
                              fakes.SERVER_ID, interval=5, timeout=20)))
        self.assertEqual(1, len(rows))
