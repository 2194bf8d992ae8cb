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

"""``list``, bulk ``set``, ``--wait`` and ``--watch`` against the simulator."""

import json
import signal
import time

from powervc_osc.tests import cli_runner
from powervc_osc.tests.functional import base

DEFAULT_FLEET = {'ibmi-prod-1', 'ibmi-prod-2', 'ibmi-dev-1', 'ibmi-stuck-1',
                 'ibmi-off-1', 'ibmi-hmc-1', 'aix-prod-1', 'aix-dev-1',
                 'linux-web-1'}


class TestList(base.FunctionalTestCase):

    simulator_kwargs = {'max_limit': 3}

    def test_pages_followed_to_the_end(self):
        self.sim.requests.clear()
        # Every code read fresh (the listing's are seconds old).
        rows = self.openstack('server', 'refcode', 'list', '-f', 'json',
                              '--long', '--max-age', '0').json()
        self.assertEqual(DEFAULT_FLEET, {r['Name'] for r in rows})
        self.assertEqual(['ID', 'Name', 'Refcode', 'LED Code', 'Queried At',
                          'Required', 'Category', 'Host', 'Status',
                          'Meaning'], list(rows[0]))
        listings = [r for r in self.sim.requests
                    if r.path.endswith('/servers/detail')]
        self.assertEqual(4, len(listings))  # 9 servers, 3 a page, last empty
        enabled = {r['Name'] for r in rows if r['Required']}
        metadata = [r for r in self.sim.requests
                    if r.path.endswith('/metadata')]
        # Only servers whose listing says collection is on are asked again.
        self.assertEqual(len(enabled), len(metadata))
        stuck = next(r for r in rows if r['Name'] == 'ibmi-stuck-1')
        self.assertEqual('B2008105', stuck['Refcode'])
        again = self.openstack('server', 'refcode', 'list', '-f', 'value',
                               '-c', 'ID').out
        self.assertEqual([r['ID'] for r in rows], again.split())

    def test_filters(self):
        names = self.openstack('server', 'refcode', 'list', '--name', '^ibmi-',
                               '--enabled-only', '-f', 'value',
                               '-c', 'Name').out.split()
        self.assertEqual({'ibmi-prod-1', 'ibmi-prod-2', 'ibmi-stuck-1',
                          'ibmi-off-1'}, set(names))
        names = self.openstack('server', 'refcode', 'list', '--status',
                               'shutoff', '-f', 'value', '-c', 'Name').out
        self.assertEqual('ibmi-off-1\n', names)
        names = self.openstack('server', 'refcode', 'list', '--host',
                               '9009-42A_HMC01', '-f', 'value',
                               '-c', 'Name').out.split()
        self.assertEqual({'ibmi-hmc-1', 'aix-prod-1'}, set(names))

    def test_all_projects_admin_only(self):
        names = self.openstack('server', 'refcode', 'list', '--all-projects',
                               '-f', 'value', '-c', 'Name').out.split()
        self.assertIn('other-proj-vm', names)
        result = self.openstack('server', 'refcode', 'list',
                                '--all-projects', '-f', 'value', '-c', 'Name',
                                cloud=base.OPERATOR, status=1, stderr=True)
        self.assertEqual('', result.out)
        self.assertIn('--all-projects needs the admin role', result.err)

    def test_named_servers_in_argument_order(self):
        rows = self.openstack('server', 'refcode', 'list', 'aix-prod-1',
                              'ibmi-prod-1', '-f', 'json').json()
        self.assertEqual(['aix-prod-1', 'ibmi-prod-1'],
                         [r['Name'] for r in rows])

    def test_partial_failure_prints_good_rows_and_exits_1(self):
        broken = self.sim.server_id('ibmi-prod-2')
        self.sim.add_fault(path=broken + '/metadata', status=500)
        result = self.openstack('server', 'refcode', 'list', '-f', 'value',
                                '-c', 'Name', '--max-age', '0', status=1,
                                stderr=True)
        self.assertEqual(DEFAULT_FLEET - {'ibmi-prod-2'},
                         set(result.out.split()))
        self.assertEqual(1, len(result.err.splitlines()), result)
        self.assertIn(broken, result.err)
        self.assertIn('HTTP 500', result.err)


class TestWait(base.FunctionalTestCase):

    def test_enable_and_wait(self):
        self.openstack('server', 'refcode', 'set', '--enable', '--wait',
                       'ibmi-dev-1', 'aix-dev-1')
        for name in ('ibmi-dev-1', 'aix-dev-1'):
            rc = self.openstack('server', 'refcode', 'show', name,
                                '-f', 'json').json()
            self.assertIsNotNone(rc['refcode'], name)

    def test_show_wait(self):
        self.sim.state.add_server('fresh', refcode=True, boot_progress=0.0)
        rc = self.openstack('server', 'refcode', 'show', 'fresh', '--wait',
                            '--interval', '1', '-f', 'json').json()
        self.assertIsNotNone(rc['refcode'])
        self.assertIs(True, rc['required'])

    def test_wait_timeout(self):
        # Collection is on but the first code is a long step away.
        self.sim.state.add_server('slow', refcode=True, boot_progress=0.0,
                                  pace=1000)
        result = self.openstack('server', 'refcode', 'show', 'slow',
                                '--wait', '--timeout', '1', '--interval',
                                '1', status=1, stderr=True)
        self.assertIn('no reference code within 1 second\n', result.err)
        self.assertEqual('', result.out)

    def test_wait_with_collection_off_fails_at_once(self):
        self.sim.requests.clear()
        result = self.openstack('server', 'refcode', 'show', 'ibmi-dev-1',
                                '--wait', status=1, stderr=True)
        self.assertIn('collection is off for server ibmi-dev-1', result.err)
        self.assertEqual(1, len([r for r in self.sim.requests
                                 if r.path.endswith('/metadata')]))


class TestWatch(base.FunctionalTestCase):

    simulator_kwargs = {'step_seconds': 0.1}

    def test_watch_until_code_json_lines(self):
        self.sim.state.add_server('ipl-1', pace=10)
        self.openstack('server', 'refcode', 'set', '--enable', 'ipl-1')
        out = self.openstack('server', 'refcode', 'show', 'ipl-1',
                             '--watch', '--until', '00000000', '--interval',
                             '1', '--timeout', '60', '-f', 'json').out
        rows = [json.loads(line) for line in out.splitlines()]
        codes = [r['refcode'] for r in rows if r['refcode']]
        # The pace depends on how fast the machine starts ``openstack``;
        # whatever part of the IPL was seen must end at the steady code.
        self.assertEqual('00000000', codes[-1])
        self.assertGreater(len(set(codes)), 1, codes)
        stamps = [r['queried_at'] for r in rows if r['queried_at']]
        self.assertEqual(sorted(set(stamps)), stamps)

    def test_watch_survives_token_revocation(self):
        self.sim.state.add_server('slow', refcode=True, boot_progress=0.0,
                                  pace=5)
        proc = self._start_watch('slow', '--until', '00000000',
                                 '--timeout', '120')
        first = proc.stdout.readline()
        self.assertTrue(first.startswith('{'), first)
        self.sim.revoke_tokens()
        out = self.finish(proc).out
        self.assertEqual('00000000', json.loads(out.splitlines()[-1])[
            'refcode'])
        revoked = [r for r in self.sim.requests if r.status == 401]
        self.assertTrue(revoked)

    def test_ctrl_c_is_a_clean_exit(self):
        proc = self._start_watch('ibmi-stuck-1')
        self.assertIn('B2008105', proc.stdout.readline())
        proc.send_signal(signal.SIGINT)
        self.finish(proc)

    def _start_watch(self, server, *args):
        return self.start_openstack(
            'server', 'refcode', 'show', server, '--watch', '--interval',
            '1', '-f', 'json', *args)


class TestInterrupt(base.FunctionalTestCase):
    """Ctrl-C stops bulk work: requests not yet sent are never sent."""

    simulator_kwargs = {'servers': 80, 'latency_ms': 250}

    def _interrupt(self, args, method, suffix):
        proc = self.start_openstack('server', 'refcode', *args)
        deadline = time.monotonic() + cli_runner.COMMAND_TIMEOUT
        while not self._sent(method, suffix):
            self.assertLess(time.monotonic(), deadline)
            self.assertIsNone(proc.poll())
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        result = self.finish(proc, status=130, stderr=True)
        self.assertRegex(result.err.splitlines()[-1],
                         r'^Interrupted after \d+ of \d+ servers\.$')
        time.sleep(1)   # anything still queued would show up by now
        return len(self._sent(method, suffix))

    def _sent(self, method, suffix):
        return [r for r in self.sim.requests
                if r.method == method and r.path.endswith(suffix)]

    def test_bulk_set(self):
        ids = [s.id for s in self.sim.state.servers()]
        sent = self._interrupt(['set', '--disable'] + ids, 'POST',
                               '/metadata')
        self.assertLess(sent, len(ids) / 2)

    def test_list(self):
        sent = self._interrupt(['list', '--max-workers', '2'], 'GET',
                               '/metadata')
        self.assertLess(sent, 20)


class TestInterruptWait(base.FunctionalTestCase):
    """Ctrl-C ends ``set --enable --wait`` at once, not at its timeout."""

    simulator_kwargs = {'step_seconds': 1000}

    def test_set_wait(self):
        proc = self.start_openstack(
            'server', 'refcode', 'set', '--enable', '--wait', '--timeout',
            '120', 'ibmi-dev-1', 'aix-dev-1')
        deadline = time.monotonic() + cli_runner.COMMAND_TIMEOUT
        while len([r for r in self.sim.requests
                   if r.method == 'GET' and r.path.endswith('/metadata')]) < 2:
            self.assertLess(time.monotonic(), deadline)
            self.assertIsNone(proc.poll())
            time.sleep(0.05)
        interrupted = time.monotonic()
        proc.send_signal(signal.SIGINT)
        result = self.finish(proc, status=130, stderr=True)
        # Far less than the 120 s the waits had left (generous for load).
        self.assertLess(time.monotonic() - interrupted, 30)
        self.assertEqual('', result.out)
