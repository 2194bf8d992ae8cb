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

"""Every Python example of the README and the docs runs and ends.

The Python blocks of one page run in order as one script (a block may use
what an earlier one defined), against a fresh simulator that also answers
as the cloud ``powervc`` the examples name. A block with placeholder
credentials (``...``) cannot run anywhere and is left out.
"""

from __future__ import annotations

import glob
import os
import re
import sys

import yaml

from powervc_osc.tests.functional import base

ROOT = os.path.join(os.path.dirname(__file__), '..', '..', '..')
PAGES = [os.path.join(ROOT, 'README.rst')] + sorted(
    glob.glob(os.path.join(ROOT, 'doc', 'source', '*.rst')))
_PLACEHOLDER = re.compile(r"""['"]\.\.\.['"]""")


def python_blocks(text: str) -> list[str]:
    """The Python code of an RST page's literal blocks, in order.

    A ``.. code-block:: python`` block, or a ``::`` block that compiles as
    Python and uses powervc_osc.
    """
    lines = text.splitlines()
    blocks = []
    for number, line in enumerate(lines):
        marker = line.strip()
        is_python = marker == '.. code-block:: python'
        if not (is_python or (marker.endswith('::') and
                              not marker.startswith('..'))):
            continue
        indent = len(line) - len(line.lstrip())
        body = []
        for following in lines[number + 1:]:
            if following.strip() and (
                    len(following) - len(following.lstrip()) <= indent):
                break
            body.append(following)
        code = _dedent(body)
        if is_python or ('powervc_osc' in code and _compiles(code)):
            blocks.append(code)
    return blocks


def _dedent(lines: list[str]) -> str:
    used = [line for line in lines if line.strip()]
    if not used:
        return ''
    cut = min(len(line) - len(line.lstrip()) for line in used)
    return '\n'.join(line[cut:] for line in lines).strip() + '\n'


def _compiles(code: str) -> bool:
    try:
        compile(code, '<example>', 'exec')
    except SyntaxError:
        return False
    return True


class TestDocExamples(base.FunctionalTestCase):

    def setUp(self):
        super().setUp()
        with open(self.clouds_yaml) as f:
            clouds = yaml.safe_load(f)['clouds']
        self.set_cloud_option('powervc', **clouds[base.ADMIN])
        # history.rst reads the default store: let the real exporter
        # record one poll there first, as an operator's cron job would.
        exporter = os.path.join(os.path.dirname(sys.executable),
                                'powervc-osc-exporter')
        self.run_command([exporter, '--once', '--os-cloud', 'powervc',
                          '--history'], env=self.environment())

    def run_page(self, page: str) -> int:
        """Run the runnable Python blocks of ``page``; return how many."""
        with open(page) as f:
            blocks = [b for b in python_blocks(f.read())
                      if not _PLACEHOLDER.search(b)]
        if not blocks:
            return 0
        self.run_command([sys.executable, '-c', '\n'.join(blocks)],
                         env=self.environment())
        return len(blocks)

    def test_every_page(self):
        ran = {os.path.basename(page): self.run_page(page) for page in PAGES}
        # The pages with Python examples, so that a parser that finds
        # nothing cannot pass.
        self.assertGreaterEqual(ran['README.rst'], 1, ran)
        self.assertGreaterEqual(ran['api.rst'], 4, ran)
        self.assertGreaterEqual(ran['simulator.rst'], 1, ran)
        self.assertGreaterEqual(ran['history.rst'], 1, ran)

    def test_the_parser(self):
        page = ('Text::\n\n    from powervc_osc import X\n    X()\n\nAfter\n'
                '\n.. code-block:: python\n\n   a = 1\n\n   b = a\n'
                'Shell::\n\n    pip install powervc_osc\n')
        self.assertEqual(['from powervc_osc import X\nX()\n',
                          'a = 1\n\nb = a\n'], python_blocks(page))
