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

"""The refcode commands through ``openstackclient.shell``, in-process."""

import gc
import io
import json
import os
import time
import types

from unittest import mock

import fixtures
from openstackclient import shell
import yaml

from powervc_osc.osc import mixins
from powervc_osc.osc import refcode
from powervc_osc.tests.unit import fakes

DETAIL_URL = fakes.DETAIL_URL
_fleet = fakes.fleet
_uuid = fakes.uuid

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
        self.useFixture(fakes.NoOSEnvironment())
        for name, value in ENV.items():
            self.useFixture(fixtures.EnvironmentVariable(name, value))
        home = self.useFixture(fixtures.TempDir()).path
        self.clouds_yaml = os.path.join(home, 'clouds.yaml')
        self.useFixture(fixtures.EnvironmentVariable(
            'OS_CLIENT_CONFIG_FILE', self.clouds_yaml))
        self.useFixture(fixtures.EnvironmentVariable('HOME', home))
        # waits and watches run on a fake clock: no real pause
        self.time = self.useFixture(fakes.FakeTime()).clock

    def run_osc(self, *argv):
        """Run ``openstack *argv``; return (exit status, stdout, stderr)."""
        out, err = io.StringIO(), io.StringIO()
        self.useFixture(fixtures.MonkeyPatch('sys.stdout', out))
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', err))
        try:
            status = shell.main(list(argv))
        except SystemExit as exc:  # argparse, for usage errors
            status = exc.code
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
            'category': 'progress',
            'meaning': 'Licensed Internal Code IPL status (C6xx)',
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
             'required': False, 'category': 'unknown'},
            {k: v for k, v in json.loads(out).items()
             if k not in ('id', 'name', 'meaning')})

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
        # the requests themselves, so that a failure names any extra one
        self.assertEqual([('GET', '/servers'),
                          ('GET', '/servers/%s/metadata' % fakes.SERVER_ID)],
                         self.compute_methods())

    def test_fake_time_stays_in_the_client(self):
        # Other threads (the deadline's watchdog, the libraries') keep the
        # real clock while the command's waits run on the fake one.
        self.assertIsInstance(time.monotonic, types.BuiltinFunctionType)
        self.assertIsInstance(time.sleep, types.BuiltinFunctionType)
        self.requests.get(METADATA_URL, json={'metadata': {
            'powervc:vm_refcode_required': 'true'}})
        self.requests.get(SERVER_URL, json={'server': fakes.server_body()})
        status, _, _ = self.run_osc(
            'server', 'refcode', 'show', fakes.SERVER_ID, '--wait',
            '--timeout', '30')
        self.assertEqual(1, status)
        self.assertAlmostEqual(30, sum(self.time.sleeps), delta=1)

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
            status, _, err = self.run_osc('server', 'refcode', 'set', *argv)
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


class TestListCommand(fakes.FleetMixin, CommandTestCase):

    def test_columns_and_long(self):
        self.mock_fleet(_fleet(2))
        status, out, err = self.run_osc('server', 'refcode', 'list',
                                        '-f', 'json', '--long')
        self.assertEqual((0, ''), (status, err))
        rows = json.loads(out)
        self.assertEqual(['ID', 'Name', 'Refcode', 'LED Code', 'Queried At',
                          'Required', 'Category', 'Host', 'Status',
                          'Meaning'], list(rows[0]))
        self.assertEqual((_uuid(0), 'C9000000', True, fakes.HOST, 'ACTIVE'),
                         (rows[0]['ID'], rows[0]['Refcode'],
                          rows[0]['Required'], rows[0]['Host'],
                          rows[0]['Status']))

    def test_partial_failure_exit_1_good_rows_printed(self):
        self.mock_fleet(_fleet(3))
        self.requests.get(
            fakes.COMPUTE_URL + '/servers/%s/metadata' % _uuid(2),
            status_code=500, text='oops')
        status, out, err = self.run_osc('server', 'refcode', 'list',
                                        '-f', 'value', '-c', 'ID')
        self.assertEqual(1, status)
        self.assertEqual([_uuid(0), _uuid(1)], out.split())
        self.assertIn(_uuid(2), err)
        self.assertIn('HTTP 500', err)

    def test_filters_with_servers_is_an_error(self):
        status, _, err = self.run_osc('server', 'refcode', 'list', 'vm-1',
                                      '--host', 'h')
        self.assertEqual(2, status)
        self.assertIn('cannot be combined', err)
        self.assertEqual([], self.powervc.compute_requests())

    def test_bad_listing_request_names_the_listing(self):
        self.requests.get(DETAIL_URL, status_code=400, json={
            'badRequest': {'code': 400, 'message': 'Invalid regex'}})
        status, out, err = self.run_osc('server', 'refcode', 'list',
                                        '--name', '(')
        self.assertEqual((1, ''), (status, out))
        self.assertIn('the server listing (HTTP 400)', err)
        self.assertIn('Invalid regex', err)
        self.assertNotIn('IBM i', err)

    def test_bad_max_workers_is_usage_error(self):
        status, _, _ = self.run_osc('server', 'refcode', 'list',
                                    '--max-workers', '0')
        self.assertEqual(2, status)


class TestWatchCommand(CommandTestCase):

    url = fakes.COMPUTE_URL + '/servers/%s/metadata' % fakes.SERVER_ID

    def setUp(self):
        super().setUp()
        self.requests.get(fakes.COMPUTE_URL + '/servers/' + fakes.SERVER_ID,
                          json={'server': fakes.server_body()})

    def test_json_lines_until_code(self):
        answers = []
        for n, code in enumerate(('C6004031', 'C6004031', 'C9002960')):
            answers.append({'json': {'metadata': {
                'powervc:vm_refcode_required': 'true',
                'powervc:vm_refcode': code,
                'powervc:vm_refcode_query_ts': '2020101405215%d000000' % (
                    n // 2)}}})
        self.requests.get(self.url, answers)
        status, out, err = self.run_osc(
            'server', 'refcode', 'show', fakes.SERVER_ID, '--until',
            'C9002960', '--timeout', '600', '--interval', '1', '-f', 'json')
        self.assertEqual((0, ''), (status, err))
        lines = out.splitlines()
        self.assertEqual(['C6004031', 'C9002960'],
                         [json.loads(line)['refcode'] for line in lines])

    def test_until_not_reached_exit_1(self):
        self.requests.get(self.url, json={'metadata': {
            'powervc:vm_refcode': 'B2008105'}})
        status, out, err = self.run_osc(
            'server', 'refcode', 'show', fakes.SERVER_ID, '--watch',
            '--until', 'C9002960', '--timeout', '1', '--interval', '1')
        self.assertEqual(1, status)
        self.assertIn('B2008105', out)
        self.assertIn('did not reach C9002960', err)

    def test_value_format_one_line_per_change(self):
        on = {'powervc:vm_refcode_required': 'true'}
        self.requests.get(self.url, [
            {'json': {'metadata': dict(on, **{
                'powervc:vm_refcode': 'C6004031'})}},
            {'json': {'metadata': dict(on, **{
                'powervc:vm_refcode': 'C9002960'})}}])
        status, out, err = self.run_osc(
            'server', 'refcode', 'show', fakes.SERVER_ID, '--until',
            'C9002960', '--timeout', '600', '-f', 'value', '-c', 'refcode',
            '-c', 'required')
        self.assertEqual((0, ''), (status, err))
        self.assertEqual('C6004031 True\nC9002960 True\n', out)

    def test_collection_off_is_said_once(self):
        self.requests.get(self.url, json={'metadata': {
            'powervc:vm_refcode_required': 'false'}})
        status, out, err = self.run_osc(
            'server', 'refcode', 'show', fakes.SERVER_ID, '--watch',
            '--timeout', '3', '--interval', '1')
        self.assertEqual(0, status)
        self.assertEqual(1, len(out.splitlines()) - 1)   # header + 1 row
        self.assertEqual(
            ['Warning: reference-code collection is off for server '
             'ibmi-prod-1: its code will not change until it is turned on '
             '(openstack server refcode set --enable ibmi-prod-1)'],
            err.splitlines())

    def test_table_rows_follow_columns(self):
        self.requests.get(self.url, json={'metadata': {
            'powervc:vm_refcode': 'C9002960'}})
        status, out, _ = self.run_osc(
            'server', 'refcode', 'show', fakes.SERVER_ID, '--until',
            'C9002960', '-c', 'name', '-c', 'refcode')
        self.assertEqual(0, status)
        self.assertEqual(['Name        Refcode', 'ibmi-prod-1  C9002960'],
                         out.splitlines())

    def test_options_without_wait_or_watch_are_usage_errors(self):
        for argv in (['show', fakes.SERVER_ID, '--interval', '3'],
                     ['show', fakes.SERVER_ID, '--timeout', '3'],
                     ['set', '--enable', fakes.SERVER_ID, '--timeout', '3']):
            status, out, err = self.run_osc('server', 'refcode', *argv)
            self.assertEqual((2, ''), (status, out), argv)
            self.assertIn('error:', err)

    def test_ctrl_c_is_a_clean_exit(self):
        self.requests.get(self.url, [
            {'json': {'metadata': {'powervc:vm_refcode': 'C6004031',
                                   'powervc:vm_refcode_required': 'true'}}},
            {'exc': KeyboardInterrupt}])
        status, out, err = self.run_osc(
            'server', 'refcode', 'show', fakes.SERVER_ID, '--watch')
        self.assertEqual((0, ''), (status, err))
        self.assertIn('C6004031', out)

    def test_wait_for_collection_that_is_off_fails_fast(self):
        self.requests.get(self.url, json={'metadata': {}})
        status, out, err = self.run_osc(
            'server', 'refcode', 'show', fakes.SERVER_ID, '--wait')
        self.assertEqual((1, ''), (status, out))
        self.assertIn('collection is off', err)
        self.assertIn('set --enable', err)
        self.assertEqual(1, len([r for r in self.requests.request_history
                                 if r.url == self.url]))

    def test_wait_shows_no_progress_off_a_terminal(self):
        self.requests.get(self.url, [
            {'json': {'metadata': {'powervc:vm_refcode_required': 'true'}}},
            {'json': {'metadata': {'powervc:vm_refcode_required': 'true',
                                   'powervc:vm_refcode': 'C2001000'}}}])
        status, out, err = self.run_osc(
            'server', 'refcode', 'show', fakes.SERVER_ID, '--wait')
        self.assertEqual((0, ''), (status, err))
        self.assertIn('C2001000', out)

    def test_watch_warns_and_goes_on_after_a_failed_poll(self):
        self.requests.get(self.url, [
            {'status_code': 500, 'text': 'oops'},
            {'json': {'metadata': {'powervc:vm_refcode': 'C9002960'}}}])
        status, out, err = self.run_osc(
            'server', 'refcode', 'show', fakes.SERVER_ID, '--until',
            'C9002960', '-f', 'value', '-c', 'refcode')
        self.assertEqual((0, 'C9002960\n'), (status, out))
        self.assertIn('HTTP 500', err)
        self.assertIn('still watching', err)

    def test_bad_api_timeout_is_named(self):
        self.useFixture(fixtures.EnvironmentVariable('OS_API_TIMEOUT', '-1'))
        status, out, err = self.run_osc(
            'server', 'refcode', 'show', fakes.SERVER_ID)
        self.assertEqual((1, ''), (status, out))
        self.assertIn("OS_API_TIMEOUT must be a number of seconds greater "
                      "than 0, not '-1'", err)

    def test_one_shot_commands_freeze_gc_at_exit_once(self):
        self.requests.get(self.url, json={'metadata': {}})
        self.useFixture(fixtures.MockPatchObject(
            mixins.FreezeGCAtExit, '_freeze_registered', False))
        register = self.useFixture(fixtures.MockPatch('atexit.register')).mock
        self.run_osc('server', 'refcode', 'show', fakes.SERVER_ID)
        self.run_osc('server', 'refcode', 'show', fakes.SERVER_ID)
        # (older openstacksdk registers its own Connection.close as well)
        self.assertEqual(
            1, register.call_args_list.count(mock.call(gc.freeze)))

    def test_interactive_shell_keeps_collecting(self):
        self.useFixture(fixtures.MockPatchObject(
            mixins.FreezeGCAtExit, '_freeze_registered', False))
        register = self.useFixture(fixtures.MockPatch('atexit.register')).mock
        app = mock.Mock(interactive_mode=True, stderr=io.StringIO())
        cmd = refcode.SetRefcode(app, None, cmd_name='server refcode set')
        parsed = cmd.get_parser('openstack server refcode set').parse_args(
            ['--disable', '--wait', fakes.SERVER_ID])
        self.assertEqual(2, cmd.run(parsed))
        register.assert_not_called()

    def test_wait_timeout_exit_1(self):
        self.requests.get(self.url, json={'metadata': {
            'powervc:vm_refcode_required': 'true'}})
        status, out, err = self.run_osc(
            'server', 'refcode', 'show', fakes.SERVER_ID, '--wait',
            '--timeout', '150')
        self.assertEqual((1, ''), (status, out))
        self.assertIn('no reference code within 150 seconds', err)
        self.assertAlmostEqual(150, sum(self.time.sleeps), delta=1)


OTHER_PROJECT = 'c34e37caa20c5da5b566aa31120683aa'
IDENTITY_PROJECTS = fakes.AUTH_URL + '/projects'


class _Terminal(io.StringIO):

    def isatty(self):
        return True


class TestListTrust(fakes.FleetMixin, CommandTestCase):
    """What list prints is what the filters asked for, or an error."""

    def own_fleet(self, count, **changes):
        servers = _fleet(count)
        for server in servers:
            server['tenant_id'] = fakes.PROJECT_ID
            server.update(changes)
        return servers

    def test_member_host_filter_fails_in_one_line(self):
        self.powervc.log_in_as_member()
        servers = self.own_fleet(3)
        for server in servers:
            del server['OS-EXT-SRV-ATTR:host']
        self.mock_fleet(servers)
        status, out, err = self.run_osc('server', 'refcode', 'list',
                                        '--host', fakes.HOST)
        self.assertEqual(
            (1, '', '--host needs the admin role: PowerVC does not show '
                    'this user which host a server runs on.\n'),
            (status, out, err))
        self.assertEqual([], self.metadata_requests())

    def test_member_other_projects_fail_in_one_line(self):
        self.powervc.log_in_as_member()
        for option in (['--all-projects'], ['--project', OTHER_PROJECT]):
            self.mock_fleet(self.own_fleet(2))
            self.requests.get(IDENTITY_PROJECTS + '/' + OTHER_PROJECT,
                              status_code=403)
            self.requests.get(IDENTITY_PROJECTS, status_code=403)
            status, out, err = self.run_osc('server', 'refcode', 'list',
                                            *option)
            self.assertEqual((1, ''), (status, out), option)
            self.assertEqual(
                '%s needs the admin role: PowerVC shows this user only the '
                'servers of its own project.\n' % option[0], err)

    def test_contradicting_rows_are_never_printed(self):
        servers = self.own_fleet(4)
        servers[1]['OS-EXT-SRV-ATTR:host'] = '8286-42A_21A7B2V'
        servers[2]['status'] = 'SHUTOFF'
        self.mock_fleet(servers)
        status, out, err = self.run_osc(
            'server', 'refcode', 'list', '--host', fakes.HOST, '--status',
            'active', '-f', 'value', '-c', 'ID')
        self.assertEqual((0, [_uuid(0), _uuid(3)], ''),
                         (status, out.split(), err))

    def test_empty_result_says_so_on_stderr_only(self):
        self.mock_fleet(self.own_fleet(2))
        status, out, err = self.run_osc(
            'server', 'refcode', 'list', '--host', 'NOPE', '--enabled-only',
            '-f', 'json')
        self.assertEqual((0, []), (status, json.loads(out)))
        self.assertEqual('No server matched --host NOPE --enabled-only.\n',
                         err)
        # Without a filter, an empty fleet is not worth a word.
        self.mock_fleet([])
        status, out, err = self.run_osc('server', 'refcode', 'list',
                                        '-f', 'json')
        self.assertEqual((0, [], ''), (status, json.loads(out), err))

    def mock_projects(self, *projects):
        """Keystone's answers for a project name: no such ID, then these."""
        self.requests.get(IDENTITY_PROJECTS + '/other-project',
                          status_code=404)
        self.requests.get(IDENTITY_PROJECTS,
                          json={'projects': list(projects)})

    def test_project_by_name_through_keystone(self):
        self.mock_projects({'id': OTHER_PROJECT, 'name': 'other-project',
                            'domain_id': 'default'})
        self.mock_fleet(self.own_fleet(1, tenant_id=OTHER_PROJECT))
        status, out, err = self.run_osc(
            'server', 'refcode', 'list', '--project', 'other-project',
            '-f', 'value', '-c', 'ID')
        self.assertEqual((0, _uuid(0) + '\n', ''), (status, out, err))
        query = self.listing_requests()[0].qs
        self.assertEqual(([OTHER_PROJECT], ['true']),
                         (query['project_id'], query['all_tenants']))
        asked = [r.qs for r in self.requests.request_history
                 if r.path.endswith('/identity/v3/projects')]
        self.assertEqual(['other-project'], asked[0]['name'])

    def test_unknown_project_is_an_error(self):
        self.mock_projects()
        status, out, err = self.run_osc(
            'server', 'refcode', 'list', '--project', 'other-project')
        self.assertEqual(
            (1, '', "No project with a name or ID of 'other-project' "
                    "exists.\n"), (status, out, err))
        self.assertEqual([], self.listing_requests())

    def test_unknown_project_domain_is_an_error(self):
        self.requests.get(fakes.AUTH_URL + '/domains/nodomain',
                          status_code=404)
        self.requests.get(fakes.AUTH_URL + '/domains',
                          json={'domains': []})
        status, out, err = self.run_osc(
            'server', 'refcode', 'list', '--project', 'other-project',
            '--project-domain', 'nodomain')
        self.assertEqual(
            (1, '', "No domain with a name or ID of 'nodomain' exists.\n"),
            (status, out, err))

    def test_member_own_project_by_name(self):
        # Keystone refuses to list projects to a member; the token says
        # which project is the member's own.
        self.powervc.log_in_as_member()
        self.requests.get(IDENTITY_PROJECTS + '/ibm-default',
                          status_code=403)
        self.requests.get(IDENTITY_PROJECTS, status_code=403)
        self.mock_fleet(self.own_fleet(2))
        status, out, err = self.run_osc(
            'server', 'refcode', 'list', '--project', 'ibm-default',
            '-f', 'value', '-c', 'ID')
        self.assertEqual((0, [_uuid(0), _uuid(1)], ''),
                         (status, out.split(), err))
        # Its own project needs no all_tenants, which Nova's policy
        # refuses to a member.
        query = self.listing_requests()[0].qs
        self.assertNotIn('all_tenants', query)
        self.assertNotIn('project_id', query)

    def test_progress_on_a_terminal_only(self):
        self.mock_fleet(self.own_fleet(3))
        terminal = _Terminal()
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', terminal))
        status = shell.main(['server', 'refcode', 'list'])
        self.assertEqual(0, status)
        self.assertEqual(''.join('\r\033[K%d/3 servers done' % n
                                 for n in (1, 2, 3)) + '\r\033[K',
                         terminal.getvalue())
        # Off a terminal (and so in every other test): nothing.
        status, out, err = self.run_osc('server', 'refcode', 'list')
        self.assertEqual((0, ''), (status, err))
        self.assertNotIn('servers done', out)

    def test_ctrl_c_says_how_many_servers_were_done(self):
        servers = self.own_fleet(3)
        self.mock_fleet(servers)
        self.requests.get(fakes.COMPUTE_URL + '/servers/%s/metadata'
                          % _uuid(1), exc=KeyboardInterrupt)
        status, out, err = self.run_osc('server', 'refcode', 'list')
        self.assertEqual((130, '', 'Interrupted after 1 of 3 servers.\n'),
                         (status, out, err))


class TestSetProgress(CommandTestCase):

    def test_bulk_set_counts_on_a_terminal_and_on_ctrl_c(self):
        ids = [_uuid(n) for n in range(3)]
        for server_id in ids:
            self.requests.post(
                fakes.COMPUTE_URL + '/servers/%s/metadata' % server_id,
                json={'metadata': {}})
        terminal = _Terminal()
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', terminal))
        self.assertEqual(0, shell.main(['server', 'refcode', 'set',
                                        '--disable'] + ids))
        self.assertEqual(''.join('\r\033[K%d/3 servers done' % n
                                 for n in (1, 2, 3)) + '\r\033[K',
                         terminal.getvalue())
        self.requests.post(fakes.COMPUTE_URL + '/servers/%s/metadata'
                           % ids[1], exc=KeyboardInterrupt)
        status, out, err = self.run_osc('server', 'refcode', 'set',
                                        '--disable', *ids)
        self.assertEqual((130, '', 'Interrupted after 1 of 3 servers.\n'),
                         (status, out, err))


class TestCtrlC(CommandTestCase):
    """Every command ends on Ctrl-C with exit 130 and one line."""

    def test_show_and_waits_say_interrupted(self):
        self.requests.get(SERVER_URL, json={'server': fakes.server_body()})
        self.requests.get(METADATA_URL, exc=KeyboardInterrupt)
        self.requests.post(METADATA_URL, json={'metadata': {
            'powervc:vm_refcode_required': 'true'}})
        for argv in (['show', fakes.SERVER_ID],
                     ['show', fakes.SERVER_ID, '--wait'],
                     ['set', '--enable', fakes.SERVER_ID, '--wait']):
            status, out, err = self.run_osc('server', 'refcode', *argv)
            self.assertEqual((130, '', 'Interrupted.\n'), (status, out, err),
                             argv)


class TestAllProjectsLookups(CommandTestCase):

    def test_show_and_set_by_name_in_every_project(self):
        self.requests.get(fakes.COMPUTE_URL + '/servers', json={
            'servers': [fakes.server_body(name='other-proj-vm')]})
        self.requests.get(METADATA_URL, json={'metadata': fakes.METADATA})
        self.requests.post(METADATA_URL, json={'metadata': fakes.METADATA})
        for argv in (['show', 'other-proj-vm', '--all-projects'],
                     ['set', '--enable', 'other-proj-vm', '--all-projects']):
            status, out, err = self.run_osc('server', 'refcode', *argv)
            self.assertEqual((0, ''), (status, err), argv)
        lookups = [r.qs for r in self.powervc.compute_requests()
                   if r.path.endswith('/servers')]
        self.assertEqual([['true'], ['true']],
                         [q['all_tenants'] for q in lookups])

    def test_current_project_by_default(self):
        self.requests.get(fakes.COMPUTE_URL + '/servers',
                          json={'servers': []})
        status, _, err = self.run_osc('server', 'refcode', 'show',
                                      'other-proj-vm')
        self.assertEqual(1, status)
        self.assertIn("No server with a name or ID of 'other-proj-vm'", err)
        self.assertNotIn('all_tenants',
                         self.powervc.compute_requests()[0].qs)


class TestQuietWatch(CommandTestCase):

    url = fakes.COMPUTE_URL + '/servers/%s/metadata' % fakes.SERVER_ID

    def test_a_new_query_time_alone_prints_nothing(self):
        self.requests.get(fakes.COMPUTE_URL + '/servers/' + fakes.SERVER_ID,
                          json={'server': fakes.server_body()})
        answers = []
        for n, code in enumerate(('C6004031',) * 4 + ('C9002960',)):
            answers.append({'json': {'metadata': {
                'powervc:vm_refcode': code,
                'powervc:vm_refcode_required': 'true',
                'powervc:vm_refcode_query_ts': '2020101405215%d000000' % n}}})
        self.requests.get(self.url, answers)
        status, out, err = self.run_osc(
            'server', 'refcode', 'show', fakes.SERVER_ID, '--until',
            'C9002960', '--timeout', '600', '--interval', '1', '-f', 'json')
        self.assertEqual((0, ''), (status, err))
        rows = [json.loads(line) for line in out.splitlines()]
        self.assertEqual([('C6004031', '2020-10-14T05:21:50'),
                          ('C9002960', '2020-10-14T05:21:54')],
                         [(r['refcode'], r['queried_at']) for r in rows])


class TestGentleByDefault(fakes.FleetMixin, CommandTestCase):

    def test_interval_below_a_second_is_a_usage_error(self):
        for mode in ('--wait', '--watch'):
            status, out, err = self.run_osc(
                'server', 'refcode', 'show', fakes.SERVER_ID, mode,
                '--interval', '0.001')
            self.assertEqual((2, ''), (status, out), mode)
            self.assertIn('--interval 0.001 is shorter than 1 second', err)
        self.assertEqual([], self.powervc.compute_requests())

    def test_until_without_timeout_warns_once(self):
        self.requests.get(fakes.SERVER_URL, json={
            'server': fakes.server_body()})
        self.requests.get(fakes.METADATA_URL, json={'metadata': {
            'powervc:vm_refcode': 'C9002960',
            'powervc:vm_refcode_required': 'true'}})
        status, out, err = self.run_osc(
            'server', 'refcode', 'show', fakes.SERVER_ID, '--until',
            'C9002960', '-f', 'value', '-c', 'refcode')
        self.assertEqual((0, 'C9002960\n'), (status, out))
        self.assertEqual(
            'Warning: no --timeout: if the reference code never becomes '
            'C9002960, this watch runs until Ctrl-C\n', err)

    def test_unknown_status_is_a_usage_error(self):
        status, out, err = self.run_osc(
            'server', 'refcode', 'list', '--status', 'bogus')
        self.assertEqual((2, ''), (status, out))
        self.assertIn("'bogus' is not a Nova server status", err)
        self.assertEqual([], self.powervc.compute_requests())

    def test_status_in_any_case_is_sent_as_nova_spells_it(self):
        self.mock_fleet(fakes.fleet(2))
        status, _out, _err = self.run_osc(
            'server', 'refcode', 'list', '--status', 'shutoff')
        listing = [r for r in self.powervc.compute_requests()
                   if '/servers/detail' in r.url]
        self.assertIn('status=SHUTOFF', listing[0].url)

    def test_max_age_and_max_rate_are_checked(self):
        for argv in (['--max-age', '-1'], ['--max-age', 'soon'],
                     ['--max-rate', '-5'], ['--max-rate', 'nan']):
            status, out, err = self.run_osc(
                'server', 'refcode', 'list', *argv)
            self.assertEqual((2, ''), (status, out), argv)
            self.assertIn(argv[0], err)
