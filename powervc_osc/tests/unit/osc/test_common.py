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

"""The helpers the refcode commands share."""

import argparse
import gc
import io
import os
import types

from cliff import command
from cliff import commandmanager
import fixtures
from openstack import config as os_config
from osc_lib import exceptions as osc_exceptions
import testtools
import yaml

from powervc_osc import client as client_mod
from powervc_osc import exceptions
from powervc_osc import model
from powervc_osc.osc import common


class TestArgumentTypes(testtools.TestCase):

    def test_positive_seconds(self):
        self.assertEqual(2.5, common.positive_seconds('2.5'))
        self.assertEqual(1e-3, common.positive_seconds('1e-3'))
        for text in ('0', '-1', 'inf', 'nan', 'x', ''):
            self.assertRaises(argparse.ArgumentTypeError,
                              common.positive_seconds, text)

    def test_positive_seconds_names_the_value(self):
        exc = self.assertRaises(argparse.ArgumentTypeError,
                                common.positive_seconds, '-1')
        self.assertEqual("'-1' must be greater than 0", str(exc))

    def test_absurd_seconds_are_refused(self):
        self.assertEqual(common.MAX_SECONDS,
                         common.positive_seconds('604800'))
        for text in ('1e10', '604801', '1e308'):
            exc = self.assertRaises(argparse.ArgumentTypeError,
                                    common.positive_seconds, text)
            self.assertEqual('%r is more than a week (604800 seconds)' % text,
                             str(exc))

    def test_worker_count(self):
        self.assertEqual([1, 256], [common.worker_count('1'),
                                    common.worker_count('256')])
        for text in ('0', '257', '1.5', 'many'):
            self.assertRaises(argparse.ArgumentTypeError,
                              common.worker_count, text)


class TestApiTimeout(testtools.TestCase):
    """OS_API_TIMEOUT first, then the cloud's api_timeout, validated."""

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.EnvironmentVariable('OS_API_TIMEOUT'))
        home = self.useFixture(fixtures.TempDir()).path
        self.clouds_yaml = os.path.join(home, 'clouds.yaml')

    def app(self, api_timeout=None):
        """An app with OSC's cloud config over a real clouds.yaml."""
        cloud = {'auth': {'auth_url': 'https://pvc.example.com/v3'}}
        if api_timeout is not None:
            cloud['api_timeout'] = api_timeout
        with open(self.clouds_yaml, 'w') as f:
            yaml.safe_dump({'clouds': {'pvc': cloud}}, f)
        loader = os_config.OpenStackConfig(config_files=[self.clouds_yaml],
                                           vendor_files=[])
        return types.SimpleNamespace(
            cloud_config=loader, options=argparse.Namespace(cloud='pvc'))

    def test_unset_keeps_the_client_default(self):
        self.assertIsNone(common.api_timeout(self.app()))
        self.assertIsNone(common.api_timeout(types.SimpleNamespace()))

    def test_cloud_api_timeout(self):
        self.assertEqual(7.0, common.api_timeout(self.app(7)))

    def test_environment_wins(self):
        self.useFixture(fixtures.EnvironmentVariable('OS_API_TIMEOUT', '3'))
        self.assertEqual(3.0, common.api_timeout(self.app(7)))

    def test_bad_values_name_their_source(self):
        exc = self.assertRaises(osc_exceptions.CommandError,
                                common.api_timeout, self.app('soon'))
        self.assertEqual("api_timeout must be a number of seconds greater "
                         "than 0, not 'soon'", str(exc))
        for value in ('0', '-1', 'inf', 'nan'):
            self.useFixture(fixtures.EnvironmentVariable('OS_API_TIMEOUT',
                                                         value))
            exc = self.assertRaises(osc_exceptions.CommandError,
                                    common.api_timeout, self.app())
            self.assertIn('OS_API_TIMEOUT must be a number', str(exc))


class _Echo(common.FreezeGCAtExit, common.UsageChecked, command.Command):
    """A command that refuses --bad and otherwise exits 0."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--bad', action='store_true')
        return parser

    def usage_problem(self, parsed_args):
        return '--bad is not allowed' if parsed_args.bad else None

    def take_action(self, parsed_args):
        self.ran = True
        return 0


class TestCommandMixins(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.MockPatchObject(
            common.FreezeGCAtExit, '_freeze_registered', False))
        self.register = self.useFixture(
            fixtures.MockPatch('atexit.register')).mock

    def run_echo(self, *argv, interactive=False):
        app = types.SimpleNamespace(
            stderr=io.StringIO(), interactive_mode=interactive,
            command_manager=commandmanager.CommandManager('powervc_osc.t'))
        cmd = _Echo(app, None, cmd_name='echo')
        cmd.ran = False
        status = cmd.run(cmd.get_parser('openstack echo').parse_args(argv))
        return status, cmd.ran, app.stderr.getvalue()

    def test_usage_problem_exits_2_before_the_action(self):
        self.assertEqual(
            (2, False, 'openstack echo: error: --bad is not allowed\n'),
            self.run_echo('--bad'))
        self.assertEqual((0, True, ''), self.run_echo())

    def test_gc_freeze_registered_once_at_exit(self):
        self.run_echo()
        self.run_echo('--bad')
        self.register.assert_called_once_with(gc.freeze)

    def test_interactive_shell_keeps_collecting(self):
        self.run_echo(interactive=True)
        self.register.assert_not_called()


class _Terminal(io.StringIO):

    def isatty(self):
        return True


def _refcode(**metadata):
    return model.Refcode.from_metadata(
        'id-1', 'vm-1', {'powervc:' + k: v for k, v in metadata.items()})


class TestProgressLine(testtools.TestCase):

    def test_on_a_terminal(self):
        stream = _Terminal()
        progress = common.ProgressLine(stream)
        progress(_refcode(vm_refcode_required='true'))
        progress.done()
        self.assertEqual('\r\033[KWaiting for vm-1 to report a reference '
                         'code...\n', stream.getvalue())

    def test_nothing_off_a_terminal_but_messages(self):
        stream = io.StringIO()
        progress = common.ProgressLine(stream)
        progress(_refcode(vm_refcode_required='true'))
        progress.report_failure(client_mod.Failure(
            'vm-2', exceptions.ServerNotFound('vm-2')))
        progress.done()
        self.assertEqual(
            "No server with a name or ID of 'vm-2' exists.\n",
            stream.getvalue())

    def test_admin_role_said_once_naming_the_option(self):
        stream = io.StringIO()
        progress = common.ProgressLine(stream)
        for server in ('vm-1', 'vm-2'):
            progress.report_failure(client_mod.Failure(
                server, exceptions.AdminRequired('all_projects', 'why')))
        self.assertEqual('--all-projects needs the admin role: why.\n',
                         stream.getvalue())

    def test_a_message_clears_the_line_first(self):
        stream = _Terminal()
        progress = common.ProgressLine(stream)
        progress(_refcode())
        progress.message('vm-2 failed')
        self.assertTrue(stream.getvalue().endswith('\r\033[Kvm-2 failed\n'))


class TestProgressCount(testtools.TestCase):

    def test_counts_on_a_terminal_then_erases_the_line(self):
        stream = _Terminal()
        progress = common.ProgressLine(stream)
        with progress.counting() as count:
            count(1, 2)
            count(2, 2)
        self.assertEqual('\r\033[K1/2 servers done\r\033[K2/2 servers done'
                         '\r\033[K', stream.getvalue())

    def test_ctrl_c_says_how_far_on_any_stream(self):
        for stream, shown in ((io.StringIO(), ''),
                              (_Terminal(), '\r\033[K3/7 servers done')):
            progress = common.ProgressLine(stream)

            def interrupted():
                with progress.counting() as count:
                    count(3, 7)
                    raise KeyboardInterrupt

            self.assertRaises(KeyboardInterrupt, interrupted)
            end = '\r\033[K' if shown else ''
            self.assertEqual(shown + end + 'Interrupted after 3 of 7 '
                             'servers.\n', stream.getvalue())


class TestWatchLines(testtools.TestCase):

    booting = _refcode(vm_refcode='C6004031',
                       vm_led_code='Surr_rebooting____',
                       vm_refcode_query_ts='20201014052153955450',
                       vm_refcode_required='true')

    def test_table_header_once_then_aligned_rows(self):
        lines = common.WatchLines('table', [])
        text = lines.lines(self.booting) + lines.lines(_refcode())
        self.assertEqual([
            'Queried At                  Refcode     Required    LED Code'
            '              Category',
            '2020-10-14T05:21:53.955450  C6004031    True        '
            'Surr_rebooting        progress',
            '-                           -           False       -'
            '                     unknown',
        ], text.splitlines())

    def test_table_follows_columns_in_order_ignoring_unknown_ones(self):
        lines = common.WatchLines('table', ['refcode', 'Name', 'id'])
        self.assertEqual(['Refcode     ID', 'C6004031    id-1'],
                         lines.lines(self.booting).splitlines())

    def test_value_one_line_per_change(self):
        lines = common.WatchLines('value', [])
        self.assertEqual(
            'id-1 vm-1 C6004031 Surr_rebooting 2020-10-14T05:21:53.955450 '
            'True progress Licensed Internal Code IPL status (C6xx)\n',
            lines.lines(self.booting))
        lines = common.WatchLines('value', ['led_code', 'refcode'])
        self.assertEqual('- -\n', lines.lines(_refcode()))


class TestFindProjectWithoutKeystone(testtools.TestCase):
    """A token given with its endpoint (admin_token) has no auth_ref."""

    app = types.SimpleNamespace(
        client_manager=types.SimpleNamespace(auth_ref=None))

    def test_an_id_is_kept(self):
        for project in ('c34e37caa20c5da5b566aa31120683aa',
                        '6B5F1F52-4A3C-4B3E-9D1A-3C0E5E1F0C11'):
            self.assertEqual(project,
                             common.find_project_id(self.app, project))

    def test_a_name_says_what_it_needs(self):
        for project, domain in (('other-project', None),
                                ('c34e37caa20c5da5b566aa31120683aa',
                                 'Default')):
            exc = self.assertRaises(osc_exceptions.CommandError,
                                    common.find_project_id, self.app,
                                    project, domain)
            self.assertIn("give --project the project's ID", str(exc))
            self.assertIn(repr(project), str(exc))
