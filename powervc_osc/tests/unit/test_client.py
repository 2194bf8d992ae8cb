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

"""RefcodeClient: lookup, show, set, list, wait and watch."""

import io
import json
import os
import re
import threading
import urllib.parse

import fixtures
from keystoneauth1 import session as ks_session
from keystoneauth1 import token_endpoint
import requests
import testtools

from powervc_osc import client as client_mod
from powervc_osc import exceptions
from powervc_osc.tests.unit import fakes

SERVER_URL = fakes.SERVER_URL
METADATA_URL = fakes.METADATA_URL


class BarrierAdapter(requests.adapters.BaseAdapter):
    """A transport whose answers are held until two requests are waiting."""

    def __init__(self, bodies):
        super().__init__()
        self.bodies = bodies
        self.barrier = threading.Barrier(2, timeout=10)

    def send(self, request, **kwargs):
        self.barrier.wait()
        response = requests.Response()
        response.status_code = 200
        response.headers['Content-Type'] = 'application/json'
        response.raw = io.BytesIO(
            json.dumps(self.bodies[request.url]).encode())
        response.url = request.url
        response.request = request
        return response

    def close(self):
        pass


class ClientTestCase(fakes.TestCase):

    def setUp(self):
        super().setUp()
        self.clock = fakes.FakeClock()
        self.client = client_mod.RefcodeClient(
            self.powervc.session(), region_name='RegionOne',
            interface='public', retries=0, clock=self.clock.clock,
            sleep=self.clock.sleep)

    def mock_server(self, metadata=None, **kwargs):
        self.requests.get(SERVER_URL,
                          json={'server': fakes.server_body(**kwargs)})
        self.requests.get(METADATA_URL,
                          json={'metadata': metadata or fakes.METADATA})

    def methods(self):
        return [(r.method, r.path) for r in self.powervc.compute_requests()]


class TestShow(ClientTestCase):

    def test_show_by_id_two_requests_no_discovery(self):
        self.mock_server()
        rc = self.client.show(fakes.SERVER_ID)
        self.assertEqual((fakes.SERVER_ID, 'ibmi-prod-1', 'C6004031',
                          'Surr_rebooting', True),
                         (rc.server_id, rc.server_name, rc.refcode,
                          rc.led_code, rc.required))
        self.assertEqual(fakes.HOST, rc.host)
        self.assertEqual(2, len(self.methods()))
        self.assertNotIn(('GET', '/powervc/openstack/compute/'),
                         self.methods())
        self.assertTrue(all(p.startswith('/powervc/openstack/compute/v2.1/')
                            for _, p in self.methods()))

    def test_show_by_name_matches_exactly(self):
        other = fakes.server_body('11111111-2222-3333-4444-555555555555',
                                  'web.11')
        wanted = fakes.server_body(name='web.1+')
        self.requests.get(fakes.COMPUTE_URL + '/servers',
                          json={'servers': [other, wanted]})
        self.requests.get(METADATA_URL, json={'metadata': fakes.METADATA})
        rc = self.client.show('web.1+')
        self.assertEqual((fakes.SERVER_ID, 'web.1+'),
                         (rc.server_id, rc.server_name))
        lookup = self.powervc.compute_requests()[0]
        self.assertEqual(['^web\\.1\\+$'], lookup.qs['name'])
        self.assertEqual(2, len(self.methods()))

    def test_show_ambiguous_name_lists_ids(self):
        one = fakes.server_body('11111111-2222-3333-4444-555555555555', 'dup')
        two = fakes.server_body('66666666-2222-3333-4444-555555555555', 'dup')
        self.requests.get(fakes.COMPUTE_URL + '/servers',
                          json={'servers': [one, two]})
        exc = self.assertRaises(exceptions.AmbiguousServer,
                                self.client.show, 'dup')
        self.assertIn('11111111-2222-3333-4444-555555555555', str(exc))
        self.assertIn('66666666-2222-3333-4444-555555555555', str(exc))

    def test_show_unknown_name(self):
        self.requests.get(fakes.COMPUTE_URL + '/servers',
                          json={'servers': []})
        exc = self.assertRaises(exceptions.ServerNotFound,
                                self.client.show, 'nope')
        self.assertIn("'nope'", str(exc))

    def test_show_unknown_id(self):
        self.requests.get(SERVER_URL, status_code=404, json={
            'itemNotFound': {'code': 404, 'message': 'Instance not found'}})
        self.requests.get(METADATA_URL, status_code=404)
        self.requests.get(fakes.COMPUTE_URL + '/servers',
                          json={'servers': []})
        exc = self.assertRaises(exceptions.ServerNotFound,
                                self.client.show, fakes.SERVER_ID)
        self.assertIn(fakes.SERVER_ID, str(exc))

    def test_bad_json_is_a_clear_error(self):
        self.requests.get(SERVER_URL, text='<html>proxy</html>')
        self.requests.get(METADATA_URL, json={'metadata': fakes.METADATA})
        exc = self.assertRaises(exceptions.BadResponse,
                                self.client.show, fakes.SERVER_ID)
        self.assertIn('not JSON', str(exc))

    def test_wrong_shape_is_a_clear_error(self):
        self.requests.get(SERVER_URL, json={'server': fakes.server_body()})
        self.requests.get(METADATA_URL, json={'metadata': ['x']})
        exc = self.assertRaises(exceptions.BadResponse,
                                self.client.show, fakes.SERVER_ID)
        self.assertIn("'metadata'", str(exc))


class TestConcurrency(testtools.TestCase):

    def test_show_by_id_requests_overlap(self):
        # requests-mock serialises every send, so this test uses its own
        # transport: each answer waits until both requests are in flight.
        session = ks_session.Session(auth=token_endpoint.Token(
            fakes.COMPUTE_URL, fakes.TOKEN_ID))
        session.session.mount(fakes.COMPUTE_URL, BarrierAdapter({
            SERVER_URL: {'server': fakes.server_body()},
            METADATA_URL: {'metadata': fakes.METADATA}}))
        client = client_mod.RefcodeClient(session, retries=0)
        self.assertEqual('C6004031', client.show(fakes.SERVER_ID).refcode)


class TestErrors(ClientTestCase):

    def fail_metadata(self, status, **kwargs):
        self.requests.get(SERVER_URL, json={'server': fakes.server_body()})
        self.requests.get(METADATA_URL, status_code=status, **kwargs)
        return self.assertRaises(exceptions.HttpError, self.client.show,
                                 fakes.SERVER_ID)

    def test_400_explains_support_and_adds_powervc_message(self):
        exc = self.fail_metadata(400, json={'badRequest': {
            'code': 400, 'message': 'Linux is not supported'}})
        self.assertIsInstance(exc, exceptions.BadRequest)
        self.assertIn('IBM i and AIX', str(exc))
        self.assertIn('NovaLink', str(exc))
        self.assertIn('Linux is not supported', str(exc))
        self.assertIn(fakes.SERVER_ID, str(exc))

    def test_400_with_a_reason_gets_a_short_hint(self):
        exc = self.fail_metadata(400, json={'badRequest': {
            'code': 400, 'message': 'Linux is not supported'}})
        self.assertNotIn(exceptions.UNSUPPORTED_HINT, str(exc))
        self.assertTrue(str(exc).endswith(
            'PowerVC said: Linux is not supported (ref_code: only for IBM i '
            'and AIX, IBM i only on NovaLink hosts)'), str(exc))
        self.assertLess(len(str(exc)), 230)

    def test_400_without_a_reason_explains_in_full(self):
        exc = self.fail_metadata(400, text='')
        self.assertIn(exceptions.UNSUPPORTED_HINT, str(exc))
        self.assertNotIn('PowerVC said', str(exc))

    def test_403(self):
        exc = self.fail_metadata(403, json={'forbidden': {
            'code': 403, 'message': 'Policy does not allow'}})
        self.assertIsInstance(exc, exceptions.Forbidden)
        self.assertIn('HTTP 403', str(exc))
        self.assertIn('Policy does not allow', str(exc))

    def test_500_with_html_body(self):
        exc = self.fail_metadata(500, text='<html><body>oops</body></html>',
                                 reason='Internal Server Error')
        self.assertIsInstance(exc, exceptions.ServerError)
        self.assertIn('HTTP 500', str(exc))
        self.assertNotIn('<html>', str(exc))
        self.assertEqual(1, len(str(exc).splitlines()))

    def test_connection_error(self):
        self.requests.get(SERVER_URL, exc=requests.exceptions.ConnectionError)
        self.requests.get(METADATA_URL,
                          exc=requests.exceptions.ConnectionError)
        exc = self.assertRaises(exceptions.CommunicationError,
                                self.client.show, fakes.SERVER_ID)
        self.assertIn('connect', str(exc))

    def test_retries_503_then_succeeds(self):
        client = client_mod.RefcodeClient(
            self.powervc.session(), retries=2, clock=self.clock.clock,
            sleep=self.clock.sleep)
        self.requests.get(SERVER_URL, json={'server': fakes.server_body()})
        self.requests.get(METADATA_URL, [
            {'status_code': 503}, {'json': {'metadata': fakes.METADATA}}])
        self.assertEqual('C6004031', client.show(fakes.SERVER_ID).refcode)
        self.assertEqual(3, len(self.methods()))
        # one back-off pause, on the injected sleep (no real wait)
        self.assertEqual(1, len(self.clock.sleeps))


class TestSet(ClientTestCase):

    def test_collection_off_says_where_it_can_be_turned_on(self):
        self.requests.get(SERVER_URL, json={'server': fakes.server_body()})
        self.requests.get(METADATA_URL, json={'metadata': {}})
        exc = self.assertRaises(exceptions.CollectionOff, self.client.wait,
                                fakes.SERVER_ID)
        self.assertIn('set --enable %s' % fakes.SERVER_ID, str(exc))
        self.assertIn('only for AIX, and for IBM i on NovaLink-managed hosts',
                      str(exc))

    def test_set_by_id_posts_only_the_key(self):
        self.requests.post(METADATA_URL, json={'metadata': dict(
            fakes.METADATA, original_host=fakes.HOST)})
        rc = self.client.set_required(fakes.SERVER_ID, False)
        self.assertEqual([('POST', METADATA_URL.split('.com')[1])],
                         self.methods())
        self.assertEqual(
            {'metadata': {'powervc:vm_refcode_required': 'false'}},
            self.powervc.compute_requests()[0].json())
        self.assertEqual(fakes.HOST, rc.host)

    def test_set_by_name_two_requests(self):
        self.requests.get(fakes.COMPUTE_URL + '/servers',
                          json={'servers': [fakes.server_body()]})
        self.requests.post(METADATA_URL, json={'metadata': {
            'powervc:vm_refcode_required': 'true',
            'orginal_host': 'misspelt-host'}})
        rc = self.client.set_required('ibmi-prod-1', True)
        self.assertEqual(['GET', 'POST'], [m for m, _ in self.methods()])
        self.assertEqual(
            {'metadata': {'powervc:vm_refcode_required': 'true'}},
            self.powervc.compute_requests()[1].json())
        self.assertEqual('misspelt-host', rc.host)

    def test_set_unknown_id(self):
        self.requests.post(METADATA_URL, status_code=404)
        self.requests.get(fakes.COMPUTE_URL + '/servers',
                          json={'servers': []})
        self.assertRaises(exceptions.ServerNotFound, self.client.set_required,
                          fakes.SERVER_ID, True)

    def test_bulk_set_attempts_every_server(self):
        other = '11111111-2222-3333-4444-555555555555'
        self.requests.post(METADATA_URL, status_code=403)
        self.requests.post(fakes.COMPUTE_URL + '/servers/%s/metadata' % other,
                           json={'metadata': {}})
        seen = []
        failed = self.client.set_required_many(
            [fakes.SERVER_ID, other], True, on_error=seen.append)
        self.assertEqual({fakes.SERVER_ID}, failed)
        self.assertIsInstance(seen[0].error, exceptions.Forbidden)
        self.assertEqual(2, len(self.methods()))


class TestNamesLikeIDs(ClientTestCase):
    """A name shaped like an ID that no server has: looked up as a name."""

    def mock_named(self, name):
        other = fakes.uuid(9)
        self.requests.get(fakes.COMPUTE_URL + '/servers/' + name,
                          status_code=404)
        self.requests.get(fakes.COMPUTE_URL + '/servers/%s/metadata' % name,
                          status_code=404)
        self.requests.get(fakes.COMPUTE_URL + '/servers', json={
            'servers': [fakes.server_body(other, name)]})
        self.requests.get(fakes.COMPUTE_URL + '/servers/%s/metadata' % other,
                          json={'metadata': fakes.METADATA})
        self.requests.post(fakes.COMPUTE_URL + '/servers/%s/metadata'
                           % other, json={'metadata': fakes.METADATA})
        self.requests.post(fakes.COMPUTE_URL + '/servers/%s/metadata'
                           % name, status_code=404)
        return other

    def test_show_set_wait_find_the_name(self):
        for name in ('11111111-2222-3333-4444-555555555555',
                     'abcdef0123456789abcdef0123456789'):
            other = self.mock_named(name)
            rc = self.client.show(name)
            self.assertEqual((other, name, 'C6004031'),
                             (rc.server_id, rc.server_name, rc.refcode))
            self.assertEqual(other, self.client.set_required(
                name, True).server_id)
            self.assertEqual(other, self.client.wait(name).server_id)
            lookup = [r for r in self.powervc.compute_requests()
                      if r.path.endswith('/servers')][-1]
            self.assertEqual(['^%s$' % re.escape(name)], lookup.qs['name'])

    def test_all_projects_looks_the_name_up_everywhere(self):
        name = '11111111-2222-3333-4444-555555555555'
        other = self.mock_named(name)
        calls = (
            lambda: self.client.show(name, all_projects=True),
            lambda: self.client.set_required(name, True, all_projects=True),
            lambda: self.client.wait(name, all_projects=True),
        )
        for call in calls:
            self.assertEqual(other, call().server_id)
        lookups = [r.qs for r in self.powervc.compute_requests()
                   if r.path.endswith('/servers')]
        self.assertEqual([['true']] * len(calls),
                         [q.get('all_tenants') for q in lookups])

    def test_all_projects_refused_by_policy_needs_admin(self):
        # Nova 34 answers a member's all_tenants with 403.
        self.requests.get(fakes.COMPUTE_URL + '/servers', status_code=403,
                          json={'forbidden': {'code': 403, 'message': (
                              "Policy doesn't allow os_compute_api:servers:"
                              "index:get_all_tenants to be performed.")}})
        for call in (self.client.show, self.client.wait,
                     lambda name, **kw: self.client.set_required(
                         name, True, **kw)):
            exc = self.assertRaises(exceptions.AdminRequired, call,
                                    'ibmi-prod-1', all_projects=True)
            self.assertEqual('all_projects', exc.option)
        # Without all_projects, a 403 stays what it is.
        self.assertRaises(exceptions.Forbidden, self.client.show,
                          'ibmi-prod-1')

    def test_no_server_by_id_or_name(self):
        self.requests.get(SERVER_URL, status_code=404)
        self.requests.get(METADATA_URL, status_code=404)
        self.requests.get(fakes.COMPUTE_URL + '/servers',
                          json={'servers': []})
        exc = self.assertRaises(exceptions.ServerNotFound, self.client.show,
                                fakes.SERVER_ID)
        self.assertIn(fakes.SERVER_ID, str(exc))


class TestClientList(fakes.FleetMixin, fakes.TestCase):

    def setUp(self):
        super().setUp()
        self.client = client_mod.RefcodeClient(self.powervc.session(),
                                               retries=0, max_workers=4)

    def test_walks_every_page_and_keeps_order(self):
        servers = fakes.fleet(8, required_every=2)
        self.mock_fleet(servers)
        rows = list(self.client.list(host=fakes.HOST, status='active'))
        self.assertEqual([s['id'] for s in servers],
                         [r.server_id for r in rows])
        listings = self.listing_requests()
        self.assertEqual(3, len(listings))
        self.assertEqual([None, [fakes.uuid(2)], [fakes.uuid(5)]],
                         [r.qs.get('marker') for r in listings])
        self.assertTrue(all(r.qs['host'] == [fakes.HOST.lower()] and
                            r.qs['status'] == ['active'] for r in listings))
        # Only servers whose listing says collection is on are asked again.
        self.assertEqual(4, len(self.metadata_requests()))
        self.assertEqual('C9000002', rows[2].refcode)
        self.assertIsNone(rows[1].refcode)

    def test_enabled_only_and_all_projects(self):
        self.mock_fleet(fakes.fleet(4, required_every=2))
        rows = list(self.client.list(enabled_only=True, all_projects=True,
                                     project='p1', name='^vm-'))
        self.assertEqual([fakes.uuid(0), fakes.uuid(2)],
                         [r.server_id for r in rows])
        query = self.listing_requests()[0].qs
        self.assertEqual((['true'], ['p1'], ['^vm-']),
                         (query['all_tenants'], query['project_id'],
                          query['name']))

    def test_partial_failure_yields_good_rows_then_raises(self):
        servers = fakes.fleet(3)
        self.mock_fleet(servers)
        self.requests.get(
            fakes.COMPUTE_URL + '/servers/%s/metadata' % fakes.uuid(1),
            status_code=403)
        rows = []
        exc = self.assertRaises(client_mod.PartialFailure,
                                lambda: rows.extend(self.client.list()))
        self.assertEqual([fakes.uuid(0), fakes.uuid(2)],
                         [r.server_id for r in rows])
        self.assertEqual([fakes.uuid(1)], [f.server for f in exc.failures])
        self.assertIsInstance(exc.failures[0].error, exceptions.Forbidden)

    def test_named_servers(self):
        servers = fakes.fleet(2)
        self.mock_fleet(servers)
        for server in servers:
            self.requests.get(fakes.COMPUTE_URL + '/servers/' + server['id'],
                              json={'server': server})
        rows = list(self.client.list([fakes.uuid(1), fakes.uuid(0)]))
        self.assertEqual([fakes.uuid(1), fakes.uuid(0)],
                         [r.server_id for r in rows])
        self.assertEqual([], self.listing_requests())


class TestListingFaults(fakes.TestCase):
    """A listing that never ends, or lists IDs that would change the URL."""

    def setUp(self):
        super().setUp()
        self.client = client_mod.RefcodeClient(self.powervc.session(),
                                               retries=0)

    def test_pages_with_no_new_server_stop_the_listing(self):
        pages = []

        def page(request, context):
            pages.append(request)
            if len(pages) > 50:     # the old client never stopped
                raise AssertionError('endless paging was not detected')
            return {'servers': [fakes.server_body(metadata={})],
                    'servers_links': [{'rel': 'next', 'href': (
                        fakes.DETAIL_URL + '?marker=fresh-%d' % len(pages))}]}

        self.requests.get(fakes.DETAIL_URL, json=page)
        rows = []
        exc = self.assertRaises(exceptions.BadResponse,
                                lambda: rows.extend(self.client.list()))
        self.assertIn('no server it had not already sent', str(exc))
        self.assertEqual(2, len(pages))

    def test_ids_that_are_path_segments_are_refused(self):
        bad = ['.', '..', 'a/b', '../x', '%2e%2e', '%2E.', 'a%2Fb',
               'a%252Fb', '..%2f..%2fmetadata', 'a\\b']
        self.requests.get(fakes.DETAIL_URL, json={'servers': [
            {'id': value, 'name': 'vm-%d' % n,
             'metadata': {'powervc:vm_refcode_required': 'true'}}
            for n, value in enumerate(bad)]})
        failures = []
        rows = list(self.client.list(on_error=failures.append))
        self.assertEqual([], rows)
        self.assertEqual(len(bad), len(failures))
        self.assertTrue(all(isinstance(f.error, exceptions.BadResponse)
                            for f in failures))
        self.assertEqual(['/servers/detail'],
                         [r.path.split('v2.1/%s' % fakes.PROJECT_ID)[1]
                          for r in self.powervc.compute_requests()])

    def test_name_lookup_refuses_a_path_segment_id(self):
        self.requests.get(fakes.COMPUTE_URL + '/servers', json={
            'servers': [fakes.server_body('..', 'vm-dots')]})
        self.assertRaises(exceptions.BadResponse, self.client.set_required,
                          'vm-dots', True)
        self.assertEqual(['GET'], [r.method for r in
                                   self.powervc.compute_requests()])


class TestClientWaitWatch(fakes.TestCase):

    url = fakes.COMPUTE_URL + '/servers/%s/metadata' % fakes.SERVER_ID

    def setUp(self):
        super().setUp()
        self.clock = fakes.FakeClock()
        self.client = client_mod.RefcodeClient(
            self.powervc.session(), retries=0, clock=self.clock.clock,
            sleep=self.clock.sleep)
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
        self.assertEqual([2, 2], self.clock.sleeps)
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
        other = fakes.uuid(7)
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
        self.assertEqual(5.0, self.clock.now)
        self.assertIn('within 5 seconds', str(failures[1].error))

    def test_wait_polls_at_the_deadline(self):
        self.answers(None)
        self.assertRaises(exceptions.WaitTimeout, self.client.wait,
                          fakes.SERVER_ID, timeout=10, interval=6)
        self.assertEqual([6, 4], self.clock.sleeps)

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
        self.assertLessEqual(self.clock.now, 10)

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

    def test_wait_gives_each_poll_only_the_time_left(self):
        self.answers(None, None, None)
        self.assertRaises(exceptions.WaitTimeout, self.client.wait,
                          fakes.SERVER_ID, timeout=5, interval=2)
        polls = [r for r in self.powervc.compute_requests()
                 if r.path.endswith('/metadata')]
        self.assertEqual([5, 3, 1, 1], [round(r.timeout, 3) for r in polls])

    def test_a_poll_past_the_deadline_ends_the_wait(self):
        self.requests.get(self.url, exc=requests.exceptions.ReadTimeout)
        exc = self.assertRaises(exceptions.WaitTimeout, self.client.wait,
                                fakes.SERVER_ID, timeout=5, interval=2)
        self.assertIn('within 5 seconds', str(exc))

    def test_the_lookup_is_bounded_by_the_wait(self):
        # A silent PowerVC at the lookup: the wait's 5 s bound it, not
        # the 60 s HTTP timeout and its retries.
        client = client_mod.RefcodeClient(
            self.powervc.session(), timeout=60, retries=3,
            clock=self.clock.clock, sleep=self.clock.sleep)
        for server, url in ((fakes.SERVER_ID, SERVER_URL),
                            ('ibmi-prod-1', fakes.COMPUTE_URL + '/servers')):
            self.requests.get(url, exc=requests.exceptions.ConnectTimeout)
            exc = self.assertRaises(exceptions.WaitTimeout, client.wait,
                                    server, timeout=5)
            self.assertIn('within 5 seconds', str(exc))
            self.assertRaises(exceptions.WaitTimeout, list,
                              client.watch(server, timeout=5))
            lookups = [r for r in self.powervc.compute_requests()
                       if r.path == urllib.parse.urlsplit(url).path]
            self.assertEqual(2, len(lookups))
            self.assertLessEqual(max(r.timeout for r in lookups), 5)

    def test_long_pauses_are_slept_in_pieces(self):
        self.answers('C6004031', 'C9002960')
        rows = list(self.client.watch(fakes.SERVER_ID, interval=7200,
                                      until='C9002960'))
        self.assertEqual(2, len(rows))
        self.assertEqual([3600, 3600], self.clock.sleeps)

    def test_watch_ignores_a_new_query_time_alone(self):
        answers = []
        for n, (code, led) in enumerate((
                ('C6004031', 'LIC'), ('C6004031', 'LIC'), ('C6004031', 'IPL'),
                ('C6004031', 'IPL'), ('C9002960', 'IPL'))):
            answers.append({'json': {'metadata': {
                'powervc:vm_refcode': code, 'powervc:vm_led_code': led,
                'powervc:vm_refcode_query_ts': '202010140521%02d000000' % n}}})
        self.requests.get(self.url, answers)
        rows = list(self.client.watch(fakes.SERVER_ID, interval=1,
                                      until='C9002960'))
        self.assertEqual(
            [('C6004031', 'LIC', '2020-10-14T05:21:00'),
             ('C6004031', 'IPL', '2020-10-14T05:21:02'),
             ('C9002960', 'IPL', '2020-10-14T05:21:04')],
            [(r.refcode, r.led_code, r.queried_at_text) for r in rows])


class TestAllProjects(ClientTestCase):
    """Names of other projects' servers: looked up with all_tenants."""

    def mock_lookup(self, *servers):
        self.requests.get(fakes.COMPUTE_URL + '/servers',
                          json={'servers': list(servers)})
        self.requests.get(METADATA_URL, json={'metadata': fakes.METADATA})
        self.requests.post(METADATA_URL, json={'metadata': fakes.METADATA})

    def lookups(self):
        return [r.qs for r in self.powervc.compute_requests()
                if r.path.endswith('/servers')]

    def test_show_set_wait_watch_look_in_every_project(self):
        self.mock_lookup(fakes.server_body())
        calls = (
            lambda: self.client.show('ibmi-prod-1', all_projects=True),
            lambda: self.client.set_required('ibmi-prod-1', True,
                                             all_projects=True),
            lambda: self.client.wait('ibmi-prod-1', all_projects=True),
            lambda: next(self.client.watch('ibmi-prod-1', all_projects=True)),
            lambda: self.client.set_required_many(
                ['ibmi-prod-1'], True, all_projects=True),
            lambda: self.client.wait_many(['ibmi-prod-1'], all_projects=True),
            lambda: list(self.client.list(['ibmi-prod-1'],
                                          all_projects=True)),
        )
        for call in calls:
            call()
        self.assertEqual(len(calls), len(self.lookups()))
        for query in self.lookups():
            self.assertEqual((['true'], ['^ibmi\\-prod\\-1$']),
                             (query['all_tenants'], query['name']))

    def test_own_project_by_default(self):
        self.mock_lookup(fakes.server_body())
        self.client.show('ibmi-prod-1')
        self.assertNotIn('all_tenants', self.lookups()[0])

    def test_same_exact_matching_and_ambiguity(self):
        self.mock_lookup(fakes.server_body(name='ibmi-prod-10'),
                         fakes.server_body(name='ibmi-prod-1'),
                         fakes.server_body(fakes.uuid(1), 'ibmi-prod-1'))
        exc = self.assertRaises(exceptions.AmbiguousServer, self.client.show,
                                'ibmi-prod-1', all_projects=True)
        self.assertEqual([fakes.SERVER_ID, fakes.uuid(1)], exc.ids)
        self.assertRaises(exceptions.ServerNotFound, self.client.show,
                          'ibmi-prod', all_projects=True)


class TestFromCloud(testtools.TestCase):

    def test_unknown_cloud_is_a_refcode_error(self):
        home = self.useFixture(fixtures.TempDir()).path
        path = os.path.join(home, 'clouds.yaml')
        with open(path, 'w') as f:
            f.write('clouds: {}\n')
        self.useFixture(fixtures.EnvironmentVariable(
            'OS_CLIENT_CONFIG_FILE', path))
        exc = self.assertRaises(exceptions.ConfigurationError,
                                client_mod.RefcodeClient.from_cloud,
                                'no-such-cloud')
        self.assertIsInstance(exc, exceptions.RefcodeError)
        self.assertIn('no-such-cloud', str(exc))

    def test_budget_of_a_cloud(self):
        client = client_mod.RefcodeClient.from_cloud(
            load_yaml_config=False, load_envvars=False,
            auth_type='password', region_name='RegionOne', auth={
                'auth_url': fakes.AUTH_URL, 'username': 'admin',
                'password': fakes.PASSWORD, 'project_id': fakes.PROJECT_ID,
                'user_domain_id': 'default'}, max_workers=8, max_rate=25)
        self.assertEqual((8, 25), (client.max_workers, client.budget.rate))
