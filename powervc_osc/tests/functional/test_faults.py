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

"""The fault matrix: the real ``openstack`` against a misbehaving simulator.

Each test is a row of doc/source/reliability.rst.  Timeouts and latencies
are short so that the suite stays fast; bounds on elapsed time are
generous so that it stays reliable on a loaded CI node.
"""

import concurrent.futures
import json
import socket
import threading
import time

from keystoneauth1.identity import v3
from keystoneauth1 import session as ks_session

from powervc_osc import client as client_mod
from powervc_osc import model
from powervc_osc.simulator import records as sim_records
from powervc_osc.tests.functional import base
from powervc_osc import text as text_mod

REQUIRED = model.REQUIRED_KEY
HTML_502 = ('<html><head><title>502 Bad Gateway</title></head>\n'
            '<body><h1>Bad Gateway</h1></body></html>\n')


def closed_port():
    """A loopback port that nothing listens on."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class FaultTestCase(base.FunctionalTestCase):

    def setUp(self):
        super().setUp()
        self.prod = self.sim.server_id('ibmi-prod-1')

    def one_line(self, result):
        """The command failed with exactly one clean line on stderr."""
        self.assertEqual(1, len(result.err.splitlines()), result)
        self.assertNotIn('<', result.err)
        return result.err

    def timed(self, *args, **kwargs):
        started = time.monotonic()
        result = self.openstack(*args, **kwargs)
        return result, time.monotonic() - started

    def faults_answered(self):
        return [r for r in self.sim.requests if r.fault]


class TestRetries(FaultTestCase):

    def test_503_burst_then_recovery(self):
        self.sim.add_fault(path='/metadata$', method='GET', status=503,
                           count=3)
        rc = self.openstack('server', 'refcode', 'show', self.prod,
                            '-f', 'json').json()
        self.assertEqual('00000000', rc['refcode'])
        self.assertEqual(3, len(self.faults_answered()))

    def test_persistent_html_502_on_set(self):
        before = self.sim.state.raw_metadata(self.prod)
        self.sim.add_fault(path='/metadata$', method='POST', status=502,
                           body=HTML_502, content_type='text/html')
        result, elapsed = self.timed('server', 'refcode', 'set',
                                     '--disable', self.prod, status=1,
                                     stderr=True)
        err = self.one_line(result)
        self.assertIn('HTTP 502', err)
        self.assertIn('after 3 retries', err)
        self.assertIn(self.prod, err)
        posts = [r for r in self.sim.requests if r.method == 'POST'
                 and r.path.endswith('/metadata')]
        self.assertEqual(4, len(posts))
        self.assertEqual(before, self.sim.state.raw_metadata(self.prod))
        self.assertLess(elapsed, 60)

    def test_connection_reset_then_recovery(self):
        self.sim.add_fault(path='/metadata$', reset=True, count=1)
        rc = self.openstack('server', 'refcode', 'show', 'ibmi-prod-1',
                            '-f', 'json').json()
        self.assertEqual('00000000', rc['refcode'])
        self.assertIn(0, [r.status for r in self.sim.requests])

    def test_connection_reset_every_time(self):
        self.sim.add_fault(path='/metadata$', reset=True)
        result = self.openstack('server', 'refcode', 'show', 'ibmi-prod-1',
                                status=1, stderr=True)
        err = self.one_line(result)
        # Connected, then closed without an answer: not "could not connect".
        self.assertIn('The connection to PowerVC broke during GET /servers/',
                      err)
        self.assertIn('/metadata for server ibmi-prod-1 (tried 4 times)', err)
        self.assertIn('closed connection', err)

    def test_random_503s_list(self):
        # Whatever the draw, every failure is one line naming the retries
        # and every other row is printed.
        self.sim.simulator.error_rate = 0.3
        result = self.openstack('server', 'refcode', 'list', '-f', 'json',
                                status=(0, 1), stderr=True)
        self.assertEqual(result.status == 1, bool(result.err), result)
        for line in result.err.splitlines():
            self.assertIn('HTTP 503) after 3 retries', line)
        rows = result.json() if result.out.strip() else []
        if rows:    # else the listing itself failed: one line
            self.assertEqual(9, len(rows) + len(result.err.splitlines()))
        self.assertTrue(self.faults_answered())


class TestTimeouts(FaultTestCase):

    def test_silent_compute_api_timeout(self):
        self.set_cloud_option(base.ADMIN, api_timeout=0.5)
        self.sim.add_fault(path='/metadata$', delay_ms=4000)
        result, elapsed = self.timed('server', 'refcode', 'show', self.prod,
                                     status=1, stderr=True)
        err = self.one_line(result)
        self.assertIn('PowerVC did not answer GET', err)
        self.assertIn('within 0.5 seconds (tried 4 times)', err)
        # 4 x 0.5 s plus 3.5 s of back-off, and the CLI's start; never 16 s.
        self.assertLess(elapsed, 15)

    def test_silent_compute_os_api_timeout(self):
        self.sim.add_fault(path='/metadata$', method='POST', delay_ms=4000)
        result = self.openstack('server', 'refcode', 'set', '--enable',
                                'ibmi-dev-1', status=1, stderr=True,
                                env={'OS_API_TIMEOUT': '0.5'})
        self.assertIn('did not answer POST', self.one_line(result))

    def test_unreachable_compute(self):
        self.set_cloud_option(
            base.ADMIN, compute_endpoint_override='http://127.0.0.1:%d/'
            'compute/v2.1' % closed_port())
        result, elapsed = self.timed('server', 'refcode', 'list', status=1,
                                     stderr=True)
        err = self.one_line(result)
        self.assertIn('Could not connect to PowerVC for the server listing '
                      '(tried 4 times)', err)
        self.assertIn('Connection refused', err)
        self.assertLess(elapsed, 30)

    def test_silent_keystone(self):
        self.set_cloud_option(base.ADMIN, api_timeout=0.5)
        self.sim.add_fault(path='/auth/tokens$', method='POST',
                           delay_ms=4000)
        result, elapsed = self.timed('server', 'refcode', 'show', self.prod,
                                     status=1, stderr=True)
        self.assertIn('timed out', self.one_line(result))
        self.assertLess(elapsed, 30)

    def test_unreachable_keystone(self):
        self.set_cloud_option(base.ADMIN, auth={
            'auth_url': 'http://127.0.0.1:%d/identity/v3' % closed_port()})
        result = self.openstack('server', 'refcode', 'show', self.prod,
                                status=1, stderr=True)
        self.assertIn('Connection refused', result.err)
        self.assertEqual([], list(self.sim.requests))

    def test_keystone_answers_502_html(self):
        self.sim.add_fault(path='/auth/tokens$', status=502, body=HTML_502,
                           content_type='text/html')
        result = self.openstack('server', 'refcode', 'list', status=1,
                                stderr=True)
        self.assertIn('HTTP 502', self.one_line(result))


class TestOddAnswers(FaultTestCase):

    def test_html_200_from_a_login_page(self):
        self.sim.add_fault(path='/metadata$', status=200,
                           body='<html>Please log in</html>',
                           content_type='text/html')
        result = self.openstack('server', 'refcode', 'show', self.prod,
                                status=1, stderr=True)
        self.assertIn('not JSON', self.one_line(result))

    def test_wrong_types_control_characters_huge_values(self):
        self.sim.add_fault(path='/metadata$', status=200, body=json.dumps({
            'metadata': {'powervc:vm_refcode': ['C600', 4031],
                         'powervc:vm_led_code':
                             '\x1b]0;pwned\x07' + 'L' * 200000,
                         'powervc:vm_refcode_query_ts':
                             '20201399256199999999',
                         'powervc:vm_refcode_required': None,
                         'junk': '\udcff'}}))
        result = self.openstack('server', 'refcode', 'show', self.prod,
                                '-f', 'json')
        self.assertNotIn('\x1b', result.out)
        self.assertNotIn('\x07', result.out)
        rc = result.json()
        self.assertEqual(("['C600', 4031]", '20201399256199999999', False),
                         (rc['refcode'], rc['queried_at'], rc['required']))
        self.assertEqual(text_mod.MAX_TEXT + 1, len(rc['led_code']))
        self.assertTrue(rc['led_code'].endswith('LLL\u2026'))

    def test_garbage_listing_entries(self):
        good = self.sim.state.raw_metadata(self.prod)
        self.sim.add_fault(path='/servers/detail$', status=200,
                           body=json.dumps({
                               'servers': [1, None, 'x', {'id': 5},
                                           {'name': 'no-id'},
                                           {'id': self.prod,
                                            'name': 'ibmi-prod-1',
                                            'metadata': good}],
                               'servers_links': 'garbage'}))
        result = self.openstack('server', 'refcode', 'list', '-f', 'json',
                                status=1, stderr=True)
        self.assertEqual(['ibmi-prod-1'], [r['Name'] for r in result.json()])
        errors = result.err.splitlines()
        self.assertEqual(5, len(errors), result)
        for line in errors:
            self.assertTrue(line.startswith('PowerVC listed a server entry')
                            or line.startswith('PowerVC answered with a '
                                               'server entry'), line)

    def test_listing_that_loops(self):
        self.sim.add_fault(path='/servers/detail$', status=200,
                           body=json.dumps({
                               'servers': [{'id': self.prod}],
                               'servers_links': [{
                                   'rel': 'next',
                                   'href': 'http://x/servers/detail?'
                                           'marker=again'}]}))
        result = self.openstack('server', 'refcode', 'list', status=1,
                                stderr=True)
        self.assertIn('marker again', self.one_line(result))
        listings = [r for r in self.sim.requests
                    if r.path.endswith('/servers/detail')]
        self.assertEqual(2, len(listings))

    def test_token_rejected_once_mid_list(self):
        self.sim.add_fault(path='/metadata$', status=401, count=1)
        self.sim.requests.clear()
        rows = self.openstack('server', 'refcode', 'list', '-f',
                              'json').json()
        self.assertEqual(9, len(rows))
        logins = [r for r in self.sim.requests
                  if r.path.endswith('/auth/tokens')]
        self.assertEqual(2, len(logins))


def admin_session(sim):
    user = sim_records.USERS['admin']
    return ks_session.Session(auth=v3.Password(
        auth_url=sim.auth_url, username=user.name, password=user.password,
        project_name=user.project, user_domain_name='Default',
        project_domain_name='Default'))


def admin_client(sim):
    return client_mod.RefcodeClient(admin_session(sim), timeout=30)


class TestNothingLost(FaultTestCase):

    def test_no_put_or_delete_from_any_command(self):
        ids = [self.sim.server_id(n) for n in ('ibmi-prod-1', 'aix-dev-1')]
        commands = [
            ('show', '--wait', '--timeout', '10', 'ibmi-prod-2'),
            ('show', '--until', '00000000', '--interval', '1',
             '--timeout', '10', ids[0]),
            ('set', '--enable', '--wait', '--timeout', '10', 'ibmi-dev-1',
             ids[1], 'linux-web-1'),
            ('set', '--disable', 'ibmi-off-1'),
            ('list', '--long', '--all-projects'),
            ('list', 'ibmi-prod-1', ids[1], 'no-such-server'),
        ]
        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            list(pool.map(lambda c: self.openstack(
                'server', 'refcode', *c, status=(0, 1), stderr=True),
                commands))
        # The Python API's other paths: by name, bulk, watch, filters.
        client = admin_client(self.sim)
        client.show('ibmi-dev-1')
        client.set_required_many(['aix-prod-1', 'ibmi-stuck-1'], True)
        client.wait_many(['aix-prod-1'], timeout=10)
        next(client.watch('ibmi-prod-1', interval=0.2, timeout=5))
        list(client.list(enabled_only=True, name='ibmi', status='ACTIVE'))
        compute = [r for r in self.sim.requests if '/compute/' in r.path]
        self.assertEqual({'GET', 'POST'}, {r.method for r in compute})
        self.assertEqual([], [r for r in compute
                              if '/metadata/' in r.path])
        posts = {r.path.split('/')[-2] for r in compute
                 if r.method == 'POST'}
        self.assertGreaterEqual(len(posts), 5)

    def test_concurrent_set_keeps_every_key(self):
        server = self.sim.server_id('ibmi-dev-1')
        before = self.sim.state.raw_metadata(server)

        def toggler(index):
            client = admin_client(self.sim)
            for turn in range(5):
                client.set_required(server, (index + turn) % 2 == 0)

        def writer():
            own = admin_session(self.sim)
            url = self.sim.compute_url + '/servers/%s/metadata' % server
            for index in range(30):
                response = own.post(url, json={'metadata': {
                    'writer-%d' % index: 'v%d' % index}}, timeout=30)
                self.assertEqual(200, response.status_code)

        with concurrent.futures.ThreadPoolExecutor(24) as pool:
            jobs = [pool.submit(toggler, i) for i in range(20)]
            jobs.append(pool.submit(writer))
            jobs += [pool.submit(self.openstack, 'server', 'refcode', 'set',
                                 flag, 'ibmi-dev-1')
                     for flag in ('--enable', '--disable')]
            for job in jobs:
                job.result()
        after = self.sim.state.raw_metadata(server)
        for key, value in before.items():
            if key != REQUIRED:
                self.assertEqual(value, after.get(key), key)
        for index in range(30):
            self.assertEqual('v%d' % index, after.get('writer-%d' % index))
        self.assertIn(after[REQUIRED], ('true', 'false'))
        self.assertEqual({'GET', 'POST'},
                         {r.method for r in self.sim.requests
                          if '/compute/' in r.path})


class TestNothingLeaked(FaultTestCase):

    def setUp(self):
        super().setUp()
        self.tokens = []
        authenticate = self.sim.tokens.authenticate

        def recording(*args, **kwargs):
            info = authenticate(*args, **kwargs)
            self.tokens.append(info.id)
            return info

        self.sim.tokens.authenticate = recording

    def secrets(self):
        password = self.sim.clouds()[base.ADMIN]['auth']['password']
        return [password] + self.tokens

    def test_debug_logs_hold_no_password_or_token(self):
        # A 401 forces a second login; the 503 a retry; both are logged.
        self.sim.add_fault(path='/metadata$', method='GET', status=401,
                           count=1)
        self.sim.add_fault(path='/metadata$', method='POST', status=503,
                           count=1)
        commands = [    # (exit status, arguments...)
            (0, 'show', 'ibmi-prod-1'),
            (1, 'set', '--enable', 'aix-dev-1', 'linux-web-1'),
            (1, 'list', '--long', 'ibmi-dev-1', 'no-such-server'),
        ]
        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            results = list(pool.map(lambda c: self.openstack(
                '--debug', 'server', 'refcode', *c[1:], status=c[0],
                stderr=True), commands))
        self.assertGreaterEqual(len(self.tokens), len(commands) + 1)
        text = ''.join(r.out + r.err for r in results)
        self.assertIn('X-Auth-Token: {SHA256}', text)
        for secret in self.secrets():
            self.assertNotIn(secret, text)

    def test_application_credential_secret_not_shown(self):
        secret = 'appcred-Secret-0123456789abcdef'
        self.set_cloud_option(
            'appcred', auth_type='v3applicationcredential',
            region_name='RegionOne',
            auth={'auth_url': self.sim.auth_url,
                  'application_credential_id': 'f' * 32,
                  'application_credential_secret': secret})
        result = self.openstack('--debug', 'server', 'refcode', 'show',
                                self.prod, cloud='appcred', status=1,
                                stderr=True)
        self.assertIn('HTTP 401', result.err)
        self.assertNotIn(secret, result.out + result.err)
        self.assertTrue(any(r.path.endswith('/auth/tokens')
                            for r in self.sim.requests))

    def test_errors_hold_no_secret(self):
        self.sim.add_fault(path='/metadata$', status=401)
        result = self.openstack('server', 'refcode', 'show', self.prod,
                                status=1, stderr=True)
        self.assertIn('HTTP 401', self.one_line(result))
        for secret in self.secrets():
            self.assertNotIn(secret, result.out + result.err)


class TestTokenExpiry(base.FunctionalTestCase):

    simulator_kwargs = {'token_ttl': 1}

    def test_client_outlives_its_token(self):
        session = admin_session(self.sim)
        client = client_mod.RefcodeClient(session, timeout=30)
        server = self.sim.server_id('ibmi-prod-1')
        self.assertTrue(client.show(server).required)
        first = session.get_token()
        threading.Event().wait(1.5)
        self.sim.revoke_tokens()
        self.assertTrue(client.show(server).required)
        self.assertNotEqual(first, session.get_token())
