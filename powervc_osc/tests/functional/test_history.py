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

"""``openstack server refcode history`` on a store written from real polls.

The simulator's fleet is polled with :meth:`RefcodeClient.list`, as the
exporter does, and each poll is recorded with :class:`HistoryStore`; the
installed ``openstack`` then reads the store back.
"""

import datetime
import os

import fixtures

import powervc_osc
from powervc_osc import history
from powervc_osc.tests import cli_runner
from powervc_osc.tests.functional import base

STEP = 1000.0   # simulator seconds per boot step; moved by hand
CYCLE = 60.0    # the poll interval the store's clock pretends
T0 = 1_790_000_000.0


def category(rc):
    """What the exporter stores: the explanation table's category."""
    return rc.category


class TestHistory(base.FunctionalTestCase):

    simulator_kwargs = {'step_seconds': STEP}

    def setUp(self):
        super().setUp()
        # The client in this process reads the clouds.yaml the commands
        # read.
        self.useFixture(fixtures.EnvironmentVariable(
            'OS_CLIENT_CONFIG_FILE', self.clouds_yaml))
        self.useFixture(fixtures.EnvironmentVariable('OS_CLOUD'))
        self.path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                                 'history.sqlite3')
        self.now = T0

    def poll(self, store, client, cloud):
        """One exporter-like cycle: list the fleet, record the changes."""
        self.now += CYCLE
        rows = list(client.list(all_projects=True) if cloud == base.ADMIN
                    else client.list())
        return rows, store.record(cloud, rows, category)

    def history_cli(self, *args, cloud=base.ADMIN, status=0, stderr=False):
        return self.openstack('server', 'refcode', 'history',
                              '--history', self.path, *args, cloud=cloud,
                              status=status, stderr=stderr)

    def test_an_ipl_recorded_and_read_back(self):
        self.sim.state.add_server('ipl-1', refcode=True, boot_progress=0.0)
        client = powervc_osc.RefcodeClient.from_cloud(base.ADMIN)
        seen = []
        with history.HistoryStore(self.path, clock=lambda: self.now) as store:
            for _ in range(6):
                rows, written = self.poll(store, client, base.ADMIN)
                code = next((r.refcode, r.led_code) for r in rows
                            if r.server_name == 'ipl-1')
                if code[0] and (not seen or seen[-1] != code):
                    seen.append(code)
                self.sim.state.advance(STEP)
            # A fleet that did not change writes nothing.
            self.assertEqual(0, store.record(base.ADMIN, rows, category))
        self.assertGreater(len(seen), 3)

        out = self.history_cli('ipl-1', '-f', 'json').json()
        self.assertEqual(['Observed At', 'Refcode', 'LED Code', 'Category',
                          'Queried At'], list(out[0]))
        self.assertEqual(seen[::-1], [(r['Refcode'], r['LED Code'])
                                      for r in out])
        stamps = [datetime.datetime.fromisoformat(r['Observed At'])
                  for r in out]
        self.assertEqual(sorted(stamps, reverse=True), stamps)
        self.assertEqual(datetime.timezone.utc, stamps[0].tzinfo)
        self.assertTrue(all(r['Queried At'] for r in out))

        self.assertEqual({'progress'}, {r['Category'] for r in out})
        # The stuck server changed once: when it was first seen.
        stuck = self.history_cli('ibmi-stuck-1', '-f', 'json').json()
        self.assertEqual([('B2008105', 'error')],
                         [(r['Refcode'], r['Category']) for r in stuck])

        value = self.history_cli('ipl-1', '--limit', '2', '-f', 'value',
                                 '-c', 'Refcode').out
        self.assertEqual([c for c, _ in seen[::-1][:2]], value.split())

    def test_local_only_no_cloud_needed(self):
        client = powervc_osc.RefcodeClient.from_cloud(base.ADMIN)
        with history.HistoryStore(self.path, clock=lambda: self.now) as store:
            self.poll(store, client, base.ADMIN)
        server_id = client.show('ibmi-stuck-1').server_id
        self.sim.requests.clear()
        by_id = self.history_cli(server_id, '-f', 'json').json()
        self.assertEqual('B2008105', by_id[0]['Refcode'])
        self.assertEqual([], list(self.sim.requests))
        # No clouds.yaml and no OS_* variables at all.
        env = {k: v for k, v in self.environment().items()
               if not k.startswith('OS_')}
        result = self.run_command(
            [cli_runner.OPENSTACK, 'server', 'refcode', 'history',
             'ibmi-stuck-1', '--history', self.path, '-f', 'value',
             '-c', 'Refcode'], env=env)
        self.assertEqual('B2008105\n', result.out)
        self.assertEqual([], list(self.sim.requests))

    def test_non_admin_history_and_errors(self):
        client = powervc_osc.RefcodeClient.from_cloud(base.OPERATOR)
        with history.HistoryStore(self.path, clock=lambda: self.now) as store:
            rows, written = self.poll(store, client, base.OPERATOR)
        self.assertEqual(len([r for r in rows if r.refcode or r.led_code]),
                         written)
        self.assertGreater(written, 0)
        name = next(r.server_name for r in rows if r.refcode)
        out = self.history_cli(name, '--cloud-label', base.OPERATOR,
                               '--since', '2000-01-01T00:00',
                               '-f', 'json', cloud=base.OPERATOR).json()
        self.assertEqual(1, len(out))
        result = self.history_cli('no-such-server', cloud=base.OPERATOR,
                                  status=1, stderr=True)
        self.assertEqual(
            "History store %s: has no recorded changes for server "
            "'no-such-server'\n" % self.path, result.err)
        self.assertEqual('', result.out)
        result = self.history_cli(name, '--since', 'last tuesday',
                                  status=2, stderr=True)
        self.assertIn("'last tuesday' is neither a duration",
                      result.err.splitlines()[-1])
        missing = self.path + '.missing'
        result = self.openstack('server', 'refcode', 'history', name,
                                '--history', missing, status=1, stderr=True)
        self.assertEqual('History store %s: does not exist; nothing has been '
                         'recorded there (powervc-osc-exporter records it)\n'
                         % missing, result.err)
        self.assertFalse(os.path.exists(missing))

    def test_renamed_disabled_and_lookalike_servers(self):
        self.sim.state.add_server('db-1', refcode=True)
        client = powervc_osc.RefcodeClient.from_cloud(base.ADMIN)
        server_id = self.sim.state.server_id('db-1')
        with history.HistoryStore(self.path, clock=lambda: self.now) as store:
            self.poll(store, client, base.ADMIN)
            with self.sim.state.lock:
                self.sim.state._servers[server_id].name = 'db-renamed'
            # A server named like the first one's ID.
            self.sim.state.add_server(server_id, refcode=True)
            self.poll(store, client, base.ADMIN)
            self.openstack('server', 'refcode', 'set', 'db-renamed',
                           '--disable')
            self.poll(store, client, base.ADMIN)
        by_new_name = self.history_cli('db-renamed', '-f', 'json').json()
        self.assertEqual(by_new_name,
                         self.history_cli(server_id, '-f', 'json').json())
        self.assertEqual(by_new_name,
                         self.history_cli('db-1', '-f', 'json').json())
        # Disabled, renamed, first seen: newest first.
        self.assertEqual(3, len(by_new_name))
        self.assertEqual('stale', by_new_name[0]['Category'])
        self.assertNotEqual('stale', by_new_name[2]['Category'])
