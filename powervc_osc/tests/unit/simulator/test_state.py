# Copyright 2026 The powervc_osc Authors
#
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

"""Tests of the simulator's fleet semantics, with an injected clock."""

import re

import testtools

from powervc_osc.simulator import bootseq
from powervc_osc.simulator import records as sim_records
from powervc_osc.simulator import state as sim_state
from powervc_osc.tests.unit.simulator import base

ADMIN = sim_records.Context.for_user('admin')
OPERATOR = sim_records.Context.for_user('operator')
OTHER = sim_records.Context.for_user('other')

REQUIRED = sim_records.REQUIRED
REFCODE = sim_records.REFCODE
LED = sim_records.LED_CODE
TS = sim_records.QUERY_TS


class StateTestCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.clock = base.FakeClock()
        self.wall = base.FakeClock(base.WALL_START)
        self.state = self.make_state()

    def make_state(self, **kwargs):
        kwargs.setdefault('step_seconds', 2.0)
        return sim_state.SimulatorState(clock=self.clock,
                                        wall_clock=self.wall, **kwargs)

    def sid(self, name):
        return self.state.server_id(name)

    def advance(self, seconds):
        self.clock.advance(seconds)
        self.wall.advance(seconds)


class TestFleet(StateTestCase):

    def test_default_fleet(self):
        names = sorted(s.name for s in self.state.servers())
        self.assertEqual(
            ['aix-dev-1', 'aix-prod-1', 'ibmi-dev-1', 'ibmi-hmc-1',
             'ibmi-off-1', 'ibmi-prod-1', 'ibmi-prod-2', 'ibmi-stuck-1',
             'linux-web-1', 'other-proj-vm'], names)
        for server in self.state.servers():
            self.assertEqual(sim_records.server_uuid(server.name), server.id)
            self.assertIn('owner', server.metadata)
            self.assertIn('app', server.metadata)

    def test_stable_ids(self):
        self.assertEqual('b86f3613-437d-5708-beea-71012bec4538',
                         self.sid('ibmi-prod-1'))
        other = self.make_state()
        self.assertEqual([s.id for s in self.state.servers()],
                         [s.id for s in other.servers()])

    def test_refcode_off_has_no_keys(self):
        metadata = self.state.get_metadata(ADMIN, self.sid('ibmi-dev-1'))
        self.assertEqual({'owner': 'dev', 'app': 'erp-test'}, metadata)

    def test_booted_is_steady(self):
        metadata = self.state.get_metadata(ADMIN, self.sid('ibmi-prod-1'))
        self.assertEqual('00000000', metadata[REFCODE])
        self.assertEqual(bootseq.led_text('Running'), metadata[LED])
        self.assertEqual('true', metadata[REQUIRED])
        metadata = self.state.get_metadata(ADMIN, self.sid('aix-prod-1'))
        self.assertEqual('0000', metadata[REFCODE])

    def test_mid_ipl(self):
        metadata = self.state.get_metadata(ADMIN, self.sid('ibmi-prod-2'))
        self.assertRegex(metadata[REFCODE], '^C[269][0-9A-F]{6}$')

    def test_stuck(self):
        self.advance(100000)
        for _ in range(3):
            metadata = self.state.get_metadata(ADMIN,
                                               self.sid('ibmi-stuck-1'))
            self.assertEqual('B2008105', metadata[REFCODE])

    def test_shutoff(self):
        metadata = self.state.get_metadata(ADMIN, self.sid('ibmi-off-1'))
        self.assertEqual('00000000', metadata[REFCODE])
        self.assertEqual(bootseq.led_text('Not activated'), metadata[LED])

    def test_generated_fleet(self):
        state = self.make_state(servers=50, seed=3)
        servers = state.servers()
        self.assertEqual(50, len(servers))
        self.assertEqual(50, len({s.id for s in servers}))
        self.assertIn('ibmi-0001', [s.name for s in servers])
        again = self.make_state(servers=50, seed=3)
        self.assertEqual([(s.id, s.metadata.get(REQUIRED))
                          for s in servers],
                         [(s.id, s.metadata.get(REQUIRED))
                          for s in again.servers()])

    def test_added_servers_and_duplicates(self):
        one = self.state.add_server('dup')
        two = self.state.add_server('dup')
        self.assertNotEqual(one.id, two.id)
        self.assertEqual(2, len(self.state.find('dup')))
        self.assertRaises(LookupError, self.state.server_id, 'dup')

    def test_bad_os_type(self):
        self.assertRaises(ValueError, self.state.add_server, 'x',
                          os_type='windows')


class TestMetadata(StateTestCase):

    def test_merge_keeps_other_keys(self):
        server_id = self.sid('ibmi-dev-1')
        answer = self.state.update_metadata(ADMIN, server_id, {'a': 'b'})
        self.assertEqual({'owner': 'dev', 'app': 'erp-test', 'a': 'b'},
                         answer)
        self.assertNotIn(sim_records.ORIGINAL_HOST, answer)

    def test_replace(self):
        server_id = self.sid('ibmi-dev-1')
        answer = self.state.replace_metadata(ADMIN, server_id, {'a': 'b'})
        self.assertEqual({'a': 'b'}, answer)
        self.assertEqual({'a': 'b'},
                         self.state.get_metadata(ADMIN, server_id))

    def test_enable_answers_original_host(self):
        server_id = self.sid('ibmi-dev-1')
        answer = self.state.update_metadata(ADMIN, server_id,
                                            {REQUIRED: 'true'})
        self.assertEqual({'owner': 'dev', 'app': 'erp-test',
                          REQUIRED: 'true',
                          'original_host': sim_records.HOST_NL2}, answer)
        self.assertNotIn('original_host',
                         self.state.raw_metadata(server_id))

    def test_required_case_insensitive(self):
        server_id = self.sid('aix-dev-1')
        self.state.update_metadata(ADMIN, server_id, {REQUIRED: 'TRUE'})
        self.advance(2)
        self.assertIn(REFCODE, self.state.get_metadata(ADMIN, server_id))

    def test_required_bad_value(self):
        server_id = self.sid('ibmi-dev-1')
        before = self.state.raw_metadata(server_id)
        error = self.assertRaises(
            sim_records.BadRequest, self.state.update_metadata, ADMIN,
            server_id, {REQUIRED: 'yes', 'x': 'y'})
        self.assertEqual(400, error.code)
        self.assertEqual(before, self.state.raw_metadata(server_id))

    def test_values_must_be_strings(self):
        server_id = self.sid('ibmi-dev-1')
        for body in ({REQUIRED: True}, {'a': 1}, {'a': None}, ['a'],
                     {'': 'x'}, {'a': 'x' * 256}):
            self.assertRaises(sim_records.BadRequest,
                              self.state.update_metadata, ADMIN,
                              server_id, body)

    def test_linux_rejected_without_partial_write(self):
        server_id = self.sid('linux-web-1')
        before = self.state.raw_metadata(server_id)
        for method in (self.state.update_metadata,
                       self.state.replace_metadata):
            error = self.assertRaises(
                sim_records.BadRequest, method, ADMIN, server_id,
                {REQUIRED: 'true', 'owner': 'changed'})
            self.assertIn('only for IBM i and AIX', error.message)
        self.assertRaises(sim_records.BadRequest,
                          self.state.set_metadata_item, ADMIN, server_id,
                          REQUIRED, 'false')
        self.assertEqual(before, self.state.raw_metadata(server_id))
        self.assertEqual(before, self.state.get_metadata(ADMIN, server_id))

    def test_ibmi_on_hmc_rejected_without_partial_write(self):
        server_id = self.sid('ibmi-hmc-1')
        before = self.state.raw_metadata(server_id)
        error = self.assertRaises(
            sim_records.BadRequest, self.state.update_metadata, ADMIN,
            server_id, {REQUIRED: 'true', 'owner': 'changed'})
        self.assertIn('NovaLink', error.message)
        self.assertEqual(before, self.state.raw_metadata(server_id))

    def test_aix_on_hmc_allowed(self):
        server_id = self.sid('aix-prod-1')
        answer = self.state.update_metadata(ADMIN, server_id,
                                            {REQUIRED: 'false'})
        self.assertEqual(sim_records.HOST_HMC, answer['original_host'])

    def test_other_project_forbidden(self):
        server_id = self.sid('other-proj-vm')
        self.assertRaises(sim_records.Forbidden, self.state.get_server,
                          OPERATOR, server_id)
        self.assertRaises(sim_records.Forbidden, self.state.get_metadata,
                          OPERATOR, server_id)
        self.assertRaises(sim_records.Forbidden, self.state.update_metadata,
                          OPERATOR, server_id, {REQUIRED: 'true'})
        self.assertEqual(server_id,
                         self.state.get_server(ADMIN, server_id).id)
        self.assertIn(REFCODE, self.state.get_metadata(OTHER, server_id))
        self.assertRaises(sim_records.Forbidden, self.state.get_metadata,
                          OTHER, self.sid('ibmi-prod-1'))

    def test_not_found(self):
        error = self.assertRaises(sim_records.NotFound,
                                  self.state.get_metadata, ADMIN, 'nope')
        self.assertEqual('Instance nope could not be found.',
                         error.message)
        self.assertEqual('itemNotFound', error.kind)

    def test_items(self):
        server_id = self.sid('ibmi-dev-1')
        self.state.set_metadata_item(ADMIN, server_id, 'k', 'v')
        self.assertEqual('v', self.state.get_metadata_item(ADMIN,
                                                           server_id, 'k'))
        self.state.delete_metadata_item(ADMIN, server_id, 'k')
        self.assertRaises(sim_records.NotFound, self.state.get_metadata_item,
                          ADMIN, server_id, 'k')
        self.assertRaises(sim_records.NotFound,
                          self.state.delete_metadata_item, ADMIN,
                          server_id, 'k')

    def test_quota(self):
        server_id = self.sid('ibmi-dev-1')
        body = {'k%d' % i: 'v' for i in range(200)}
        self.assertRaises(sim_records.Forbidden, self.state.update_metadata,
                          ADMIN, server_id, body)


class TestBootSequence(StateTestCase):

    def collect(self, state, name, steps):
        server_id = state.server_id(name)
        seen = []
        for _ in range(steps):
            code = state.get_metadata(ADMIN, server_id).get(REFCODE)
            if not seen or seen[-1] != code:
                seen.append(code)
            self.advance(state.step_seconds)
        return seen

    def test_progression(self):
        server_id = self.sid('ibmi-dev-1')
        self.state.update_metadata(ADMIN, server_id, {REQUIRED: 'true'})
        self.assertNotIn(REFCODE, self.state.get_metadata(ADMIN, server_id))
        seen = self.collect(self.state, 'ibmi-dev-1', 60)
        expected = [code for code, _led in bootseq.build_sequence(
            'ibmi', 0, 'ibmi-dev-1', run=0)]
        self.assertEqual([None] + expected, seen)
        self.assertTrue(expected[0].startswith('C2'))
        self.assertEqual('00000000', expected[-1])
        prefixes = [c[:2] for c in expected[:-1]]
        self.assertEqual(sorted(prefixes), prefixes)   # C2 < C6 < C9
        self.assertIn('C6004031', expected)
        self.assertIn('C9002960', expected)
        self.assertEqual(
            bootseq.led_text('Running'),
            self.state.get_metadata(ADMIN, server_id)[LED])

    def test_aix_progression(self):
        server_id = self.sid('aix-dev-1')
        self.state.update_metadata(ADMIN, server_id, {REQUIRED: 'true'})
        seen = self.collect(self.state, 'aix-dev-1', 40)
        self.assertEqual('000e', seen[1])
        self.assertEqual('0000', seen[-1])
        for code in seen[1:]:
            self.assertRegex(code, '^[0-9a-f]{4}$')
        self.assertEqual(['0551', '0517', '0553'],
                         [c for c in seen if c in ('0551', '0517',
                                                   '0553')])

    def test_led_codes_are_32_chars(self):
        for os_type in ('ibmi', 'aix'):
            for seed in range(5):
                for code, led in bootseq.build_sequence(os_type, seed, 'x'):
                    self.assertEqual(32, len(led))
                    self.assertTrue(led.endswith('_'))
                    self.assertNotIn(' ', led)

    def test_deterministic_with_seed(self):
        def run(seed):
            self.clock = base.FakeClock()
            self.wall = base.FakeClock(base.WALL_START)
            state = self.make_state(seed=seed)
            state.update_metadata(ADMIN, state.server_id('ibmi-dev-1'),
                                  {REQUIRED: 'true'})
            return self.collect(state, 'ibmi-dev-1', 40)

        self.assertEqual(run(7), run(7))
        self.assertTrue(any(run(0) != run(seed) for seed in range(1, 6)))

    def test_query_ts_strictly_increases(self):
        server_id = self.sid('ibmi-prod-1')
        stamps = [self.state.get_metadata(ADMIN, server_id)[TS]
                  for _ in range(5)]           # the wall clock is frozen
        for stamp in stamps:
            self.assertRegex(stamp, r'^\d{20}$')
        self.assertEqual(sorted(set(stamps)), stamps)
        self.advance(1.5)
        later = self.state.get_metadata(ADMIN, server_id)[TS]
        self.assertEqual('20260102030406500000', later)

    def test_disable_freezes_values(self):
        server_id = self.sid('ibmi-prod-2')
        first = self.state.get_metadata(ADMIN, server_id)
        self.state.update_metadata(ADMIN, server_id, {REQUIRED: 'False'})
        self.advance(1000)
        second = self.state.get_metadata(ADMIN, server_id)
        self.assertEqual(first[REFCODE], second[REFCODE])
        self.assertEqual(first[TS], second[TS])
        self.assertEqual('False', second[REQUIRED])

    def test_reenable_restarts(self):
        server_id = self.sid('ibmi-prod-1')
        self.state.update_metadata(ADMIN, server_id, {REQUIRED: 'false'})
        self.state.update_metadata(ADMIN, server_id, {REQUIRED: 'true'})
        metadata = self.state.get_metadata(ADMIN, server_id)
        self.assertNotIn(REFCODE, metadata)
        self.advance(2)
        self.assertTrue(
            self.state.get_metadata(ADMIN, server_id)[REFCODE]
            .startswith('C2'))

    def test_enable_twice_does_not_restart(self):
        server_id = self.sid('ibmi-prod-1')
        self.state.update_metadata(ADMIN, server_id, {REQUIRED: 'true'})
        self.assertEqual('00000000',
                         self.state.get_metadata(ADMIN, server_id)[REFCODE])

    def test_listing_does_not_refresh(self):
        server_id = self.sid('ibmi-prod-2')
        stored = self.state.raw_metadata(server_id)
        self.advance(1000)
        servers, _ = self.state.list_servers(ADMIN)
        listed = [s for s in servers if s.id == server_id][0]
        self.assertEqual(stored, listed.metadata)
        self.assertEqual(stored,
                         self.state.get_server(ADMIN, server_id).metadata)

    def test_stuck_sequence_helper(self):
        steps = bootseq.build_sequence('ibmi', 0, 'x')
        code = steps[5][0]
        self.assertEqual(code, bootseq.stuck_sequence(steps, code)[-1][0])
        stuck = bootseq.stuck_sequence(steps, 'B2008105')
        self.assertEqual('B2008105', stuck[-1][0])
        self.assertTrue(all(c.startswith('C2') for c, _ in stuck[:-1]))


class TestListing(StateTestCase):

    def test_order_is_stable_newest_first(self):
        servers, marker = self.state.list_servers(ADMIN)
        self.assertIsNone(marker)
        keys = [(s.created, s.id) for s in servers]
        self.assertEqual(sorted(keys, reverse=True), keys)
        self.assertEqual('linux-web-1', servers[0].name)

    def test_pagination(self):
        state = self.make_state(servers=23)
        seen, marker = [], None
        pages = 0
        while True:
            page, marker = state.list_servers(ADMIN, all_tenants=True,
                                              limit=5, marker=marker)
            pages += 1
            seen.extend(s.id for s in page)
            if marker is None:
                break
        self.assertEqual(5, pages)
        self.assertEqual([s.id for s in state.servers()], seen)

    def test_full_last_page_has_marker(self):
        state = self.make_state(servers=10)
        page, marker = state.list_servers(ADMIN, all_tenants=True, limit=5,
                                          marker=None)
        page, marker = state.list_servers(ADMIN, all_tenants=True, limit=5,
                                          marker=marker)
        self.assertEqual(5, len(page))
        self.assertIsNotNone(marker)     # like Nova: a page was full
        page, marker = state.list_servers(ADMIN, all_tenants=True, limit=5,
                                          marker=marker)
        self.assertEqual(([], None), (page, marker))

    def test_max_limit(self):
        state = self.make_state(servers=12, max_limit=5)
        for limit in (None, 0, 100):
            page, marker = state.list_servers(ADMIN, all_tenants=True,
                                              limit=limit)
            self.assertEqual(5, len(page))
            self.assertEqual(page[-1].id, marker)

    def test_bad_marker_and_limit(self):
        self.assertRaises(sim_records.BadRequest, self.state.list_servers,
                          ADMIN, marker='nope')
        self.assertRaises(sim_records.BadRequest, self.state.list_servers,
                          OPERATOR, marker=self.sid('other-proj-vm'))
        self.assertRaises(sim_records.BadRequest, self.state.list_servers,
                          ADMIN, limit=-1)

    def test_name_regex(self):
        for name in ('web.1', 'web.11', 'webx1'):
            self.state.add_server(name, os_type='linux')
        names = lambda regex: sorted(  # noqa: E731
            s.name for s in self.state.list_servers(ADMIN, name=regex)[0])
        self.assertEqual(['linux-web-1', 'web.1', 'web.11', 'webx1'],
                         names('web.1'))
        self.assertEqual(['web.1'], names('^' + re.escape('web.1') + '$'))
        self.assertEqual(['ibmi-prod-1', 'ibmi-prod-2'],
                         names('^ibmi-prod-[12]$'))
        self.assertRaises(sim_records.BadRequest, self.state.list_servers,
                          ADMIN, name='(')

    def test_all_tenants(self):
        def names(ctx, **kwargs):
            return {s.name for s in self.state.list_servers(ctx,
                                                            **kwargs)[0]}
        self.assertNotIn('other-proj-vm', names(ADMIN))
        self.assertIn('other-proj-vm', names(ADMIN, all_tenants=True))
        self.assertEqual({'other-proj-vm'}, names(
            ADMIN, all_tenants=True,
            project_id=sim_records.PROJECTS['other-project']))
        self.assertEqual(names(OPERATOR), names(OPERATOR, all_tenants=True))
        self.assertNotIn('other-proj-vm',
                         names(OPERATOR, all_tenants=True))
        self.assertEqual({'other-proj-vm'}, names(OTHER, all_tenants=True))

    def test_host_and_status(self):
        servers, _ = self.state.list_servers(ADMIN,
                                             host=sim_records.HOST_HMC)
        self.assertEqual({'ibmi-hmc-1', 'aix-prod-1'},
                         {s.name for s in servers})
        # Nova's default policy: host is an admin-only filter
        servers, _ = self.state.list_servers(OPERATOR,
                                             host=sim_records.HOST_HMC)
        self.assertEqual(9, len(servers))
        servers, _ = self.state.list_servers(ADMIN, status='shutoff')
        self.assertEqual(['ibmi-off-1'], [s.name for s in servers])
