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

"""Which module may import which: no circle, the exporter apart from OSC."""

import ast
import os
import tempfile

import testtools

import powervc_osc

PACKAGE = os.path.dirname(powervc_osc.__file__)


def _sources(directory):
    for root, dirs, files in os.walk(directory):
        dirs.sort()
        for name in sorted(files):
            if name.endswith('.py'):
                yield os.path.join(root, name)


def _imports(directory):
    """(file, module) for every import under ``directory``, lazy ones too.

    TYPE_CHECKING and function-level imports count: the AST holds them all.
    ``from a import b`` yields ``a`` and ``a.b`` (``b`` may be a module).
    """
    for path in _sources(directory):
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


def _module_name(path, top):
    """``pkg.sub.mod`` for ``<top>/pkg/sub/mod.py``."""
    parts = os.path.relpath(path, top)[:-len('.py')].split(os.sep)
    if parts[-1] == '__init__':
        parts.pop()
    return '.'.join(parts)


def _graph(package_dir):
    """Module -> the modules of the same package that it imports.

    ``from a import b`` is an edge to ``a.b`` when that is a module, else to
    ``a``; a package's own face is not reached by importing its modules.
    """
    top = os.path.dirname(package_dir)
    modules = {_module_name(p, top): p for p in _sources(package_dir)}
    graph = {name: set() for name in modules}
    by_path = {path: name for name, path in modules.items()}
    found = {}
    for path, module in _imports(package_dir):
        found.setdefault(path, []).append(module)
    for path, imported in found.items():
        targets = set(m for m in imported if m in modules)
        # "from a import b" yields a and a.b: a.b, a module, stands for both.
        targets -= {m.rpartition('.')[0] for m in targets}
        graph[by_path[path]] |= targets - {by_path[path]}
    return graph


def _circles(package_dir):
    """Every import circle (a strongly connected set of modules), sorted."""
    graph = _graph(package_dir)
    index, low, stack, on_stack, circles = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            members = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                members.append(member)
                if member == node:
                    break
            if len(members) > 1:
                circles.append(' <-> '.join(sorted(members)))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(circles)


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

    def test_at_most_eight_loose_modules(self):
        loose = sorted(name for name in os.listdir(PACKAGE)
                       if name.endswith('.py') and name != '__init__.py')
        self.assertLessEqual(len(loose), 8, loose)

    def test_no_import_circle(self):
        self.assertEqual([], _circles(PACKAGE))

    def test_the_circle_check_sees_a_lazy_circle(self):
        with tempfile.TemporaryDirectory() as top:
            package = os.path.join(top, 'pkg')
            os.makedirs(os.path.join(package, 'sub'))
            sources = {
                '__init__.py': 'from pkg import a\n',
                'a.py': 'from pkg.sub import b\n',
                'c.py': 'import pkg.a\n',
                'sub/__init__.py': '',
                'sub/b.py': ('import typing\n'
                             'if typing.TYPE_CHECKING:\n'
                             '    from pkg import a\n'),
            }
            for name, text in sources.items():
                with open(os.path.join(package, name), 'w') as stream:
                    stream.write(text)
            self.assertEqual(['pkg.a <-> pkg.sub.b'], _circles(package))

    def test_the_check_sees_a_lazy_import(self):
        here = os.path.dirname(__file__)
        self.assertIn('powervc_osc.osc.mixins',
                      [m for _p, m in _imports(os.path.join(here, 'osc'))])
