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

"""``.. refcode-table::``: the explanation table, read from the package.

The page shows the very data ``openstack server refcode explain`` uses
(``powervc_osc/data/refcodes.yaml``), so the two cannot drift::

    .. refcode-table:: codes      (patterns, by operating system)
    .. refcode-table:: led        (operator-panel texts)
    .. refcode-table:: unknown    (what an unexplained code gets)
"""

from docutils import nodes
from docutils.parsers.rst import Directive
from docutils.statemachine import StringList

from powervc_osc import codes

_OS_NAMES = {'ibmi': 'IBM i', 'aix': 'AIX', 'firmware': 'firmware'}
_UNKNOWN_CASES = {
    'ibmi': 'an 8-character code not in the table',
    'aix': 'a 3- or 4-character code not in the table',
    'zeros': 'all zeros (``00000000``, ``0000``) and no known LED text',
    'empty': 'no code and no known LED text',
    'text': 'anything else (free text)',
}


def _cell(text):
    return text.replace('*', r'\*').replace('`', r'\`').replace('|', r'\|')


def _link(title, url):
    if not url:
        return '-'
    return '`%s <%s>`__' % (_cell(title).replace('<', r'\<'), url)


def _list_table(header, widths, rows):
    lines = ['.. list-table::', '   :header-rows: 1',
             '   :widths: %s' % ' '.join(str(w) for w in widths), '']
    for row in [header] + rows:
        first = True
        for cell in row:
            lines.append('   %s - %s' % ('*' if first else ' ', cell))
            first = False
    return lines


def codes_rows(table):
    """Rows of the code table: SRCs, then 4- and 3-character codes.

    Each class comes before its prefixes, each prefix before its codes.
    """
    entries = sorted(table.entries, key=lambda e: (
        -len(e.pattern), e.pattern.replace('x', ' ')))
    return [['``%s``' % e.pattern, _OS_NAMES[e.os], e.category,
             _cell(e.meaning), _link(e.source_title, e.source_url)]
            for e in entries]


class RefcodeTable(Directive):
    required_arguments = 1

    def run(self):
        table = codes.load_table()
        which = self.arguments[0]
        if which == 'codes':
            lines = _list_table(
                ['Pattern', 'OS', 'Category', 'Meaning', 'Source'],
                [12, 8, 11, 40, 29], codes_rows(table))
        elif which == 'led':
            lines = _list_table(
                ['LED text', 'Category', 'Meaning', 'Source'],
                [15, 10, 45, 30],
                [[text.capitalize(), cat, _cell(meaning), _link(title, url)]
                 for text, (cat, meaning, title, url)
                 in sorted(table.led_texts.items())])
        elif which == 'unknown':
            lines = _list_table(
                ['Input', 'Meaning given', 'Source'], [30, 40, 30],
                [[_UNKNOWN_CASES[kind], _cell(meaning), _link(title, url)]
                 for kind, (meaning, title, url) in table.unknown.items()])
        else:
            raise self.error('refcode-table: codes, led or unknown, not %r'
                             % which)
        node = nodes.container()
        self.state.nested_parse(StringList(lines, source='refcodes.yaml'),
                                self.content_offset, node)
        return node.children


def setup(app):
    app.add_directive('refcode-table', RefcodeTable)
    return {'parallel_read_safe': True, 'parallel_write_safe': True}
