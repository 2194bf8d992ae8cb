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

"""list, wait and watch: the commands over a fake PowerVC."""

import gc
import io
import json
from unittest import mock

import fixtures

from powervc_osc import model
from powervc_osc.osc import refcode
from powervc_osc.tests.unit import fakes
from powervc_osc.tests.unit import test_commands

DETAIL_URL = fakes.DETAIL_URL
_uuid = fakes.uuid
_fleet = fakes.fleet
FleetMixin = fakes.FleetMixin


class TestListCommand(FleetMixin, test_commands.CommandTestCase):

    def test_columns_and_long(self):
        self.mock_fleet(_fleet(2))
        status, out, err = self.run_osc('server', 'refcode', 'list',
                                        '-f', 'json', '--long')
        self.assertEqual((0, ''), (status, err))
        rows = json.loads(out)
        self.assertEqual(['ID', 'Name', 'Refcode', 'LED Code', 'Queried At',
                          'Required', 'Host', 'Status'], list(rows[0]))
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
        try:
            status, _, _ = self.run_osc('server', 'refcode', 'list',
                                        '--max-workers', '0')
        except SystemExit as exc:
            status = exc.code
        self.assertEqual(2, status)


class TestWatchCommand(test_commands.CommandTestCase):

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
            'C9002960', '--interval', '1', '-f', 'json')
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
        self.requests.get(self.url, [
            {'json': {'metadata': {'powervc:vm_refcode': 'C6004031'}}},
            {'json': {'metadata': {'powervc:vm_refcode': 'C9002960'}}}])
        status, out, err = self.run_osc(
            'server', 'refcode', 'show', fakes.SERVER_ID, '--until',
            'C9002960', '-f', 'value', '-c', 'refcode', '-c', 'required')
        self.assertEqual((0, ''), (status, err))
        self.assertEqual('C6004031 False\nC9002960 False\n', out)

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
            {'json': {'metadata': {'powervc:vm_refcode': 'C6004031'}}},
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

    def test_wait_shows_progress_on_a_terminal_only(self):
        self.requests.get(self.url, [
            {'json': {'metadata': {'powervc:vm_refcode_required': 'true'}}},
            {'json': {'metadata': {'powervc:vm_refcode_required': 'true',
                                   'powervc:vm_refcode': 'C2001000'}}}])
        status, out, err = self.run_osc(
            'server', 'refcode', 'show', fakes.SERVER_ID, '--wait')
        self.assertEqual((0, ''), (status, err))
        stream = io.StringIO()
        stream.isatty = lambda: True
        progress = refcode._Progress(stream)
        progress(model.Refcode.from_metadata('id', 'vm-1', {
            'powervc:vm_refcode_required': 'true'}))
        progress.done()
        self.assertEqual('\r\033[KWaiting for vm-1 to report a reference '
                         'code...\n', stream.getvalue())

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
            refcode._OneShot, '_freeze_registered', False))
        register = self.useFixture(fixtures.MockPatch('atexit.register')).mock
        self.run_osc('server', 'refcode', 'show', fakes.SERVER_ID)
        self.run_osc('server', 'refcode', 'show', fakes.SERVER_ID)
        register.assert_called_once_with(gc.freeze)

    def test_interactive_shell_keeps_collecting(self):
        self.useFixture(fixtures.MockPatchObject(
            refcode._OneShot, '_freeze_registered', False))
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
        self.useFixture(fixtures.MockPatch(
            'time.monotonic', side_effect=range(0, 10000, 100)))
        status, out, err = self.run_osc(
            'server', 'refcode', 'show', fakes.SERVER_ID, '--wait',
            '--timeout', '150')
        self.assertEqual((1, ''), (status, out))
        self.assertIn('no reference code within 150 seconds', err)
