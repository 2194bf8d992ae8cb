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

"""Which package may import which: the exporter stays apart from OSC."""

import ast
import os

import testtools

import powervc_osc

PACKAGE = os.path.dirname(powervc_osc.__file__)


def _imports(directory):
    """(file, module) for every import under ``directory``, lazy ones too."""
    for root, _dirs, files in os.walk(directory):
        for name in files:
            if not name.endswith('.py'):
                continue
            path = os.path.join(root, name)
            with open(path) as stream:
                tree = ast.parse(stream.read(), path)
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    for alias in node.names:
                        yield path, alias.name
                elif isinstance(node, ast.ImportFrom) and node.module:
                    yield path, node.module
                    for alias in node.names:
                        yield path, node.module + '.' + alias.name


def _offending(directory, forbidden):
    return sorted({'%s imports %s' % (os.path.relpath(path, PACKAGE), module)
                   for path, module in _imports(directory)
                   if module == forbidden or
                   module.startswith(forbidden + '.')})


class TestLayering(testtools.TestCase):

    def test_exporter_does_not_import_the_command_layer(self):
        self.assertEqual([], _offending(os.path.join(PACKAGE, 'exporter'),
                                        'powervc_osc.osc'))

    def test_commands_do_not_import_the_exporter(self):
        self.assertEqual([], _offending(os.path.join(PACKAGE, 'osc'),
                                        'powervc_osc.exporter'))

    def test_the_check_sees_a_lazy_import(self):
        here = os.path.dirname(__file__)
        self.assertIn('powervc_osc.osc.mixins',
                      [m for _p, m in _imports(os.path.join(here, 'osc'))])
