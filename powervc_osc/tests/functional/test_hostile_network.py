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

"""Faults only real sockets show: bodies that trickle, Ctrl-C, full pools.

The real ``openstack`` runs against :mod:`faulty_server` on 127.0.0.1.
Time bounds here are generous ceilings that tell a bounded command from a
hang, not speed measurements.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time


from powervc_osc.tests import cli_runner
from powervc_osc.tests.functional import faulty_server

#: Far more than any bounded command here needs, far less than a hang.
CEILING = 30


class HostileNetworkTestCase(cli_runner.CLITestCase):

    cloud = faulty_server.CLOUD

    def faulty(self, **kwargs) -> faulty_server.FaultyCloud:
        faulty = self.useFixture(faulty_server.FaultyCloud(**kwargs))
        self.clouds_yaml = faulty.clouds_yaml
        return faulty

    def timed(self, *args, **kwargs) -> tuple[cli_runner.Result, float]:
        started = time.monotonic()
        result = self.openstack('server', 'refcode', *args, **kwargs)
        return result, time.monotonic() - started


class TestTricklingAnswers(HostileNetworkTestCase):
    """Headers, then one byte at a time: the timeout bounds the answer."""

    def test_show_ends_at_the_api_timeout(self):
        cloud = self.faulty(count=1, api_timeout=2)
        cloud.behaviour['metadata'] = 'trickle'
        server = cloud.servers[0]['id']
        result, elapsed = self.timed('show', server, status=1, stderr=True)
        self.assertEqual(
            ['PowerVC did not send its whole answer to GET /servers/%s/'
             'metadata for server %s within 2 seconds; api_timeout or '
             'OS_API_TIMEOUT sets the limit' % (server, server)],
            result.err.splitlines())
        self.assertLess(elapsed, CEILING)

    def test_list_names_each_server(self):
        cloud = self.faulty(count=3, api_timeout=2)
        cloud.behaviour['metadata'] = 'trickle'
        result, elapsed = self.timed('list', status=1, stderr=True)
        for server in cloud.servers:
            self.assertIn('whole answer to GET /servers/%s/metadata for '
                          'server %s' % (server['id'], server['id']),
                          result.err)
        self.assertLess(elapsed, CEILING)

    def test_wait_timeout_bounds_the_whole_wait(self):
        # The HTTP timeout is 60 s; the wait's 3 s must bound the wait.
        cloud = self.faulty(count=1)
        cloud.behaviour['metadata'] = 'trickle'
        server = cloud.servers[0]['id']
        result, elapsed = self.timed('set', '--enable', '--wait', '--timeout',
                                     '3', server, status=1, stderr=True)
        self.assertIn('no reference code within 3 seconds', result.err)
        self.assertLess(elapsed, CEILING)

    def test_wait_timeout_bounds_the_lookup(self):
        # The lookup that starts the wait gets no answer at all.
        cloud = self.faulty(count=1)
        cloud.behaviour['server'] = 'hang'
        server = cloud.servers[0]['id']
        result, elapsed = self.timed('show', '--wait', '--timeout', '3',
                                     server, status=1, stderr=True)
        self.assertIn('no reference code within 3 seconds', result.err)
        self.assertLess(elapsed, CEILING)


class TestTricklingHeaders(HostileNetworkTestCase):
    """A status line and headers that never end: the timeout bounds them.

    Each attempt is cut at the timeout and retried, so the command ends
    after 4 attempts and their back-off, whatever the peer does.
    """

    def test_show_ends_at_the_api_timeout(self):
        cloud = self.faulty(count=1)
        cloud.behaviour['metadata'] = 'trickle-headers'
        server = cloud.servers[0]['id']
        result, elapsed = self.timed('show', server, status=1, stderr=True,
                                     env={'OS_API_TIMEOUT': '2'})
        self.assertEqual(
            ['PowerVC did not answer GET /servers/%s/metadata for server %s '
             'within 2 seconds (tried 4 times); api_timeout or '
             'OS_API_TIMEOUT sets the limit' % (server, server)],
            result.err.splitlines())
        self.assertLess(elapsed, CEILING)

    def test_set_names_the_server(self):
        cloud = self.faulty(count=1, api_timeout=2)
        cloud.behaviour['post'] = 'trickle-headers'
        server = cloud.servers[0]['id']
        result, elapsed = self.timed('set', '--enable', server, status=1,
                                     stderr=True)
        self.assertIn('PowerVC did not answer POST /servers/%s/metadata for '
                      'server %s within 2 seconds (tried 4 times)'
                      % (server, server), result.err)
        self.assertLess(elapsed, CEILING)


class TestInterrupt(HostileNetworkTestCase):
    """Ctrl-C with requests in flight ends the command, sending no more."""

    def interrupt(self, cloud, in_flight, *args):
        process = self.start_openstack('server', 'refcode', *args)
        self.assertTrue(cloud.wait_for_in_flight(in_flight),
                        cloud.compute_requests())
        sent = len(cloud.compute_requests())
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=CEILING)
        except subprocess.TimeoutExpired:
            self.fail('the command did not end after Ctrl-C')
        result = self.finish(process, status=130, stderr=True)
        time.sleep(1)        # anything sent late would show by now
        self.assertEqual(sent, len(cloud.compute_requests()),
                         cloud.compute_requests())
        self.assertLessEqual(len(result.err.splitlines()), 1, result)
        return result

    def test_list(self):
        cloud = self.faulty(count=6, api_timeout=60)
        cloud.behaviour['metadata'] = 'hang'
        # Every code read at once (no read first to learn PowerVC's zone).
        self.interrupt(cloud, 3, 'list', '--max-workers', '3',
                       '--max-age', '0')

    def test_show(self):
        # The server and its metadata are asked for at once; both hang.
        cloud = self.faulty(count=1, api_timeout=60)
        cloud.behaviour.update(server='hang', metadata='hang')
        self.interrupt(cloud, 2, 'show', cloud.servers[0]['id'])

    def test_set(self):
        # 16 workers: 4 servers are still queued at the interrupt.
        cloud = self.faulty(count=20, api_timeout=60)
        cloud.behaviour['post'] = 'hang'
        self.interrupt(cloud, 16, 'set', '--enable',
                       *[s['id'] for s in cloud.servers])


class TestLogin(HostileNetworkTestCase):
    """A silent Keystone: where OS_API_TIMEOUT can bound the login."""

    def test_os_api_timeout_bounds_a_cloud_made_of_variables(self):
        # osc-lib logs in before the plugin runs; openstacksdk applies
        # OS_API_TIMEOUT to the login of a cloud made of OS_* variables
        # (a clouds.yaml cloud needs its own api_timeout, see
        # test_faults.TestTimeouts.test_silent_keystone).
        cloud = self.faulty(count=1)
        cloud.behaviour['login'] = 'hang'
        variables = {'OS_%s' % key.upper(): value
                     for key, value in cloud.auth().items()}
        env = self.environment(os.devnull, OS_API_TIMEOUT='1',
                               OS_REGION_NAME='RegionOne', **variables)
        started = time.monotonic()
        result = self.run_command(
            [cli_runner.OPENSTACK, 'server', 'refcode', 'list'], env,
            status=1, stderr=True)
        self.assertIn('timed out', result.err)
        self.assertLess(time.monotonic() - started, CEILING)


class TestConnectionPool(HostileNetworkTestCase):
    """The listing walk and the workers never overflow the pool."""

    def test_no_pool_full_warning(self):
        # 16 workers hold their answers until the walk asks for page 2:
        # 17 connections at once, to the same host.
        cloud = self.faulty(count=17, page_size=16)
        cloud.hold = (17, ('metadata', 'next-page'))
        result, _ = self.timed('list', '--max-workers', '16', '-f', 'value',
                               '-c', 'ID', '--max-age', '0', '--max-rate',
                               '0')
        self.assertEqual([s['id'] for s in cloud.servers],
                         result.out.split())
