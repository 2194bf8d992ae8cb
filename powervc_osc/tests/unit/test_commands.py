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

"""The commands through ``openstackclient.shell``, in-process."""

import io
import json
import os

import fixtures
from openstackclient import shell
import yaml

from powervc_osc.tests.unit import fakes

SERVER_URL = fakes.COMPUTE_URL + '/servers/' + fakes.SERVER_ID
METADATA_URL = SERVER_URL + '/metadata'
ENV = {
    'OS_AUTH_URL': fakes.AUTH_URL, 'OS_USERNAME': 'admin',
    'OS_PASSWORD': fakes.PASSWORD, 'OS_PROJECT_ID': fakes.PROJECT_ID,
    'OS_USER_DOMAIN_ID': 'default', 'OS_IDENTITY_API_VERSION': '3',
    'OS_REGION_NAME': 'RegionOne',
}


class CommandTestCase(fakes.TestCase):

    def setUp(self):
        super().setUp()
        for name in list(os.environ):
            if name.startswith('OS_'):
                self.useFixture(fixtures.EnvironmentVariable(name))
        for name, value in ENV.items():
            self.useFixture(fixtures.EnvironmentVariable(name, value))
        home = self.useFixture(fixtures.TempDir()).path
        self.clouds_yaml = os.path.join(home, 'clouds.yaml')
        self.useFixture(fixtures.EnvironmentVariable(
            'OS_CLIENT_CONFIG_FILE', self.clouds_yaml))
        self.useFixture(fixtures.EnvironmentVariable('HOME', home))
        self.useFixture(fixtures.MockPatch('time.sleep'))

    def run_osc(self, *argv):
        """Run ``openstack *argv``; return (exit status, stdout, stderr)."""
        out, err = io.StringIO(), io.StringIO()
        self.useFixture(fixtures.MonkeyPatch('sys.stdout', out))
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', err))
        status = shell.main(list(argv))
        self.assertNotIn('Traceback', err.getvalue())
        return status, out.getvalue(), err.getvalue()

    def mock_server(self, metadata=None, url=fakes.COMPUTE_URL):
        server = url + '/servers/' + fakes.SERVER_ID
        self.requests.get(server, json={'server': fakes.server_body()})
        self.requests.get(server + '/metadata', json={
            'metadata': fakes.METADATA if metadata is None else metadata})

    def compute_methods(self):
        return [(r.method, r.path.split('/v2.1/' + fakes.PROJECT_ID)[-1])
                for r in self.powervc.compute_requests()]


class TestShow(CommandTestCase):

    def test_json_is_typed(self):
        self.mock_server()
        status, out, err = self.run_osc(
            'server', 'refcode', 'show', fakes.SERVER_ID, '-f', 'json')
        self.assertEqual((0, ''), (status, err))
        self.assertEqual({
            'id': fakes.SERVER_ID, 'name': 'ibmi-prod-1',
            'refcode': 'C6004031', 'led_code': 'Surr_rebooting',
            'queried_at': '2020-10-14T05:21:53.955450', 'required': True,
        }, json.loads(out))
        self.assertEqual([('GET', '/servers/' + fakes.SERVER_ID),
                          ('GET', '/servers/%s/metadata' % fakes.SERVER_ID)],
                         sorted(self.compute_methods()))

    def test_json_absent_values_are_null(self):
        self.mock_server({'owner': 'x'})
        status, out, _ = self.run_osc(
            'server', 'refcode', 'show', fakes.SERVER_ID, '-f', 'json')
        self.assertEqual(
            {'refcode': None, 'led_code': None, 'queried_at': None,
             'required': False},
            {k: v for k, v in json.loads(out).items()
             if k not in ('id', 'name')})

    def test_table(self):
        self.mock_server()
        status, out, _ = self.run_osc(
            'server', 'refcode', 'show', fakes.SERVER_ID)
        self.assertEqual(0, status)
        for text in ('| refcode    | C6004031',
                     '| led_code   | Surr_rebooting',
                     '| queried_at | 2020-10-14T05:21:53.955450',
                     '| required   | True'):
            self.assertIn(text, out)

    def test_yaml_value_and_shell(self):
        self.mock_server()
        _, out, _ = self.run_osc(
            'server', 'refcode', 'show', fakes.SERVER_ID, '-f', 'yaml')
        self.assertEqual('C6004031', yaml.safe_load(out)['refcode'])
        self.assertIs(True, yaml.safe_load(out)['required'])
        _, out, _ = self.run_osc('server', 'refcode', 'show',
                                 fakes.SERVER_ID, '-f', 'value',
                                 '-c', 'refcode', '-c', 'led_code')
        self.assertEqual('C6004031\nSurr_rebooting\n', out)
        _, out, _ = self.run_osc('server', 'refcode', 'show',
                                 fakes.SERVER_ID, '-f', 'shell',
                                 '--prefix', 'rc_')
        self.assertIn('rc_refcode="C6004031"\n', out)
        self.assertIn('rc_queried_at="2020-10-14T05:21:53.955450"\n', out)

    def test_by_name_two_requests(self):
        self.requests.get(fakes.COMPUTE_URL + '/servers',
                          json={'servers': [fakes.server_body()]})
        self.requests.get(METADATA_URL, json={'metadata': fakes.METADATA})
        status, out, _ = self.run_osc(
            'server', 'refcode', 'show', 'ibmi-prod-1', '-f', 'json')
        self.assertEqual(0, status)
        self.assertEqual(fakes.SERVER_ID, json.loads(out)['id'])
        self.assertEqual(2, len(self.compute_methods()))

    def test_unknown_server_names_it(self):
        self.requests.get(fakes.COMPUTE_URL + '/servers',
                          json={'servers': []})
        status, out, err = self.run_osc(
            'server', 'refcode', 'show', 'no-such-vm')
        self.assertEqual((1, ''), (status, out))
        self.assertEqual(
            "No server with a name or ID of 'no-such-vm' exists.\n", err)

    def test_400_one_clear_line(self):
        self.requests.get(SERVER_URL, json={'server': fakes.server_body()})
        self.requests.get(METADATA_URL, status_code=400, json={
            'badRequest': {'code': 400, 'message': 'Not supported for Linux'}})
        status, out, err = self.run_osc(
            'server', 'refcode', 'show', fakes.SERVER_ID)
        self.assertEqual(1, status)
        self.assertEqual(1, len(err.splitlines()), err)
        self.assertIn('only for IBM i and AIX', err)
        self.assertIn('Not supported for Linux', err)

    def test_debug_shows_traceback_without_secrets(self):
        self.requests.get(SERVER_URL, json={'server': fakes.server_body()})
        self.requests.get(METADATA_URL, status_code=500)
        out, err = io.StringIO(), io.StringIO()
        self.useFixture(fixtures.MonkeyPatch('sys.stdout', out))
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', err))
        status = shell.main(['--debug', 'server', 'refcode', 'show',
                             fakes.SERVER_ID])
        self.assertEqual(1, status)
        self.assertIn('Traceback', err.getvalue())
        for secret in (fakes.PASSWORD, fakes.TOKEN_ID):
            self.assertNotIn(secret, err.getvalue() + out.getvalue())

    def test_region_chooses_the_endpoint(self):
        self.mock_server(url=fakes.COMPUTE_URL_TWO)
        self.useFixture(fixtures.EnvironmentVariable('OS_REGION_NAME',
                                                     'RegionTwo'))
        status, _, err = self.run_osc(
            'server', 'refcode', 'show', fakes.SERVER_ID)
        self.assertEqual((0, ''), (status, err))
        sent = self.powervc.compute_requests()
        self.assertEqual(2, len(sent))
        self.assertTrue(all(r.url.startswith(fakes.COMPUTE_URL_TWO)
                            for r in sent))

    def test_interface_chooses_the_endpoint(self):
        self.mock_server(url=fakes.INTERNAL_URL)
        status, _, _ = self.run_osc('--os-interface', 'internal', 'server',
                                    'refcode', 'show', fakes.SERVER_ID)
        self.assertEqual(0, status)
        self.assertTrue(self.powervc.compute_requests()[-1].url.startswith(
            fakes.INTERNAL_URL))

    def test_clouds_yaml_override_tls_and_timeout(self):
        override = 'https://proxy.example.com/compute/v2.1/' + fakes.PROJECT_ID
        with open(self.clouds_yaml, 'w') as f:
            yaml.safe_dump({'clouds': {'pvc': {
                'auth': {'auth_url': fakes.AUTH_URL, 'username': 'admin',
                         'password': fakes.PASSWORD,
                         'project_id': fakes.PROJECT_ID,
                         'user_domain_id': 'default'},
                'region_name': 'RegionOne',
                'compute_endpoint_override': override,
                'cacert': '/etc/pki/powervc-ca.pem',
                'api_timeout': 7}}}, f)
        for name in ENV:
            self.useFixture(fixtures.EnvironmentVariable(name))
        self.mock_server(url=override)
        status, _, err = self.run_osc('--os-cloud', 'pvc', 'server',
                                      'refcode', 'show', fakes.SERVER_ID)
        self.assertEqual((0, ''), (status, err))
        sent = self.powervc.compute_requests()
        self.assertTrue(all(r.url.startswith(override) for r in sent))
        self.assertEqual({'/etc/pki/powervc-ca.pem'}, {r.verify for r in sent})
        self.assertEqual({7.0}, {r.timeout for r in sent})

    def test_insecure(self):
        self.mock_server()
        status, _, _ = self.run_osc('--insecure', 'server', 'refcode', 'show',
                                    fakes.SERVER_ID)
        self.assertEqual(0, status)
        self.assertEqual({False}, {r.verify
                                   for r in self.powervc.compute_requests()})


class TestSet(CommandTestCase):

    def test_enable_prints_nothing_and_posts_one_key(self):
        self.requests.post(METADATA_URL, json={'metadata': dict(
            fakes.METADATA, original_host=fakes.HOST)})
        status, out, err = self.run_osc(
            'server', 'refcode', 'set', '--enable', fakes.SERVER_ID)
        self.assertEqual((0, '', ''), (status, out, err))
        self.assertEqual([('POST', '/servers/%s/metadata' % fakes.SERVER_ID)],
                         self.compute_methods())
        self.assertEqual(
            {'metadata': {'powervc:vm_refcode_required': 'true'}},
            self.powervc.compute_requests()[0].json())

    def test_disable_by_name(self):
        self.requests.get(fakes.COMPUTE_URL + '/servers',
                          json={'servers': [fakes.server_body()]})
        self.requests.post(METADATA_URL, json={'metadata': {}})
        status, out, _ = self.run_osc(
            'server', 'refcode', 'set', '--disable', 'ibmi-prod-1')
        self.assertEqual((0, ''), (status, out))
        self.assertEqual(['GET', 'POST'],
                         [m for m, _ in self.compute_methods()])
        self.assertEqual(
            {'metadata': {'powervc:vm_refcode_required': 'false'}},
            self.powervc.compute_requests()[1].json())

    def test_usage_errors_exit_2_and_send_nothing(self):
        for argv in ([fakes.SERVER_ID],
                     ['--enable', '--disable', fakes.SERVER_ID],
                     ['--enable'],
                     ['--disable', '--wait', fakes.SERVER_ID],
                     ['--enable', '--wait', '--timeout', '-1',
                      fakes.SERVER_ID]):
            try:
                status, _, err = self.run_osc('server', 'refcode', 'set',
                                              *argv)
            except SystemExit as exc:
                status = exc.code
            self.assertEqual(2, status, argv)
        self.assertEqual([], self.compute_methods())

    def test_403_one_line_exit_1(self):
        self.requests.post(METADATA_URL, status_code=403, json={
            'forbidden': {'code': 403, 'message': 'Not your project'}})
        status, out, err = self.run_osc(
            'server', 'refcode', 'set', '--enable', fakes.SERVER_ID)
        self.assertEqual((1, ''), (status, out))
        self.assertIn('HTTP 403', err)
        self.assertIn(fakes.SERVER_ID, err)
        self.assertIn('Not your project', err)
        self.assertEqual(1, len(err.splitlines()))
