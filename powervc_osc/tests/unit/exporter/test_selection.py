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

import datetime

import testtools

from powervc_osc.exporter import selection
from powervc_osc.exporter import state
from powervc_osc import model

NOW = 1_800_000_000.0
INTERVAL = 60.0


def row(n: int, code: str = '00000000', age_minutes: int = 0,
        required: bool = True) -> model.Refcode:
    stamp = (datetime.datetime(2027, 1, 1) -
             datetime.timedelta(minutes=age_minutes)).strftime(
                 '%Y%m%d%H%M%S000000')
    return model.Refcode.from_metadata('id-%03d' % n, 'vm-%03d' % n, {
        model.REFCODE_KEY: code, model.QUERY_TS_KEY: stamp,
        model.LED_CODE_KEY: 'Running_______' if code == '00000000' else '',
        model.REQUIRED_KEY: 'true' if required else 'false'})


def steady_fleet(count: int) -> list:
    """Running servers, the n-th stamped n minutes ago, none changed."""
    return [state.ServerState(row(n, age_minutes=n), 'running', None)
            for n in range(count)]


class TestSelection(testtools.TestCase):

    def test_hot_servers_are_read_every_cycle(self):
        previous = steady_fleet(5) + [
            state.ServerState(row(90, 'C6004031'), 'progress', None),
            state.ServerState(row(91, 'B2008105'), 'error', None),
            state.ServerState(row(92), 'running', NOW - 2 * INTERVAL)]
        chosen = selection.Selection(previous, NOW, INTERVAL, max_rate=0.01)
        self.assertEqual({'id-090', 'id-091', 'id-092'}, chosen.hot)
        for server in previous[5:]:
            self.assertTrue(chosen.refresh(server.row))
        # Hot by the listing itself: the code is no longer running.
        self.assertTrue(chosen.refresh(row(0, 'C2004100')))

    def test_a_change_long_ago_is_steady(self):
        previous = [state.ServerState(row(1), 'running', NOW - 3600)]
        chosen = selection.Selection(previous, NOW, INTERVAL, max_rate=0.01)
        self.assertEqual(set(), chosen.hot)

    def test_steady_servers_round_robin_oldest_first(self):
        previous = steady_fleet(100)
        # A budget of 0.1/s: 3 requests a cycle, less than 100 / 10.
        chosen = selection.Selection(previous, NOW, INTERVAL, max_rate=0.1)
        self.assertEqual(10, chosen.slots)
        read = {s.row.server_id for s in previous
                if chosen.refresh(s.row)}
        self.assertEqual({'id-%03d' % n for n in range(90, 100)}, read)

    def test_every_steady_server_within_refresh_cycles(self):
        servers = {n: 1000 - n for n in range(100)}   # minutes old
        last_read: dict = {}
        for cycle in range(selection.REFRESH_CYCLES):
            previous = [state.ServerState(row(n, age_minutes=age),
                                          'running', None)
                        for n, age in servers.items()]
            chosen = selection.Selection(previous, NOW, INTERVAL, 0.1)
            for n in list(servers):
                if chosen.refresh(previous[n].row):
                    servers[n] = -cycle        # stamped now
                    last_read[n] = cycle
        self.assertEqual(set(range(100)), set(last_read))

    def test_budget_reads_more_when_it_allows(self):
        chosen = selection.Selection(steady_fleet(100), NOW, INTERVAL,
                                     max_rate=1.0)
        self.assertEqual(30, chosen.slots)       # 60 s x 1/s x 1/2

    def test_no_budget_reads_every_steady_server(self):
        chosen = selection.Selection(steady_fleet(50), NOW, INTERVAL, None)
        self.assertEqual(50, chosen.slots)

    def test_first_cycle_reads_new_servers_within_the_budget(self):
        chosen = selection.Selection([], NOW, INTERVAL, max_rate=0.1)
        read = [n for n in range(10) if chosen.refresh(row(n))]
        self.assertEqual([0, 1, 2], read)       # 60 x 0.1 / 2

    def test_first_sighting_is_no_change(self):
        # The first cycle "saw" every code change at its own time.
        first = NOW - INTERVAL
        previous = [state.ServerState(row(n), 'running', first)
                    for n in range(5)]
        chosen = selection.Selection(previous, NOW, INTERVAL, 0.1,
                                     seen_since=first)
        self.assertEqual(set(), chosen.hot)
        previous.append(state.ServerState(row(9), 'running', NOW - 1))
        chosen = selection.Selection(previous, NOW, INTERVAL, 0.1,
                                     seen_since=first)
        self.assertEqual({'id-009'}, chosen.hot)
