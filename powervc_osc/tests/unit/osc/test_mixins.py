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

"""The ``run()`` mixins of the refcode commands."""

import gc
import io
import types

from cliff import command
from cliff import commandmanager
import fixtures
import testtools

from powervc_osc.osc import mixins


class _Echo(mixins.FreezeGCAtExit, mixins.UsageChecked, command.Command):
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
            mixins.FreezeGCAtExit, '_freeze_registered', False))
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
