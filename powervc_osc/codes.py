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

"""What a reference code means: the sourced table and its matching.

The table is data (``powervc_osc/data/refcodes.yaml``), read on the first
call of :func:`explain` and then kept: importing this module reads nothing.

::

    >>> explain('C6004031').category
    'progress'
    >>> explain('00000000', 'Not_activated__________________').category
    'off'
"""

from __future__ import annotations

import functools
import re
import typing as ty

from powervc_osc import text

#: Every category an :class:`Explanation` can carry.
CATEGORIES = ('progress', 'attention', 'error', 'informational', 'running',
              'off', 'stale', 'unknown')
#: The categories a table entry may give (the others come from the LED
#: text, the collection state or the absence of a match).
CODE_CATEGORIES = ('progress', 'attention', 'error', 'informational')
OS_SCOPES = ('ibmi', 'aix', 'firmware')
DATA_FILE = 'refcodes.yaml'
#: Why nothing matched: an IBM i SRC, an AIX code, all zeros, no code,
#: free text.
UNKNOWN_KINDS = ('ibmi', 'aix', 'zeros', 'empty', 'text')

_PATTERN = re.compile(r'^[0-9A-Fx]+$')
_HEX = re.compile(r'^[0-9A-F]+$')
#: Pattern width of each scope: 8-character SRCs, 3-character AIX LED
#: codes, 4-character firmware checkpoints.
_WIDTHS = {'ibmi': (8,), 'aix': (3,), 'firmware': (8, 4)}


class Explanation(ty.NamedTuple):
    """What a reference code means, and where that is written."""

    code: str
    category: str
    meaning: str
    source_title: str | None = None
    source_url: str | None = None
    #: The table pattern that matched (``C6xxxxxx``), or None.
    pattern: str | None = None

    @property
    def source(self) -> str:
        """``title: url`` for display, or an empty string."""
        if not self.source_url:
            return ''
        return '%s: %s' % (self.source_title, self.source_url)


#: The positions and characters a pattern fixes.
_Fixed = tuple[tuple[int, str], ...]


class Entry(ty.NamedTuple):
    """One row of the code table."""

    pattern: str
    os: str
    category: str
    meaning: str
    source_title: str
    source_url: str

    @property
    def fixed(self) -> _Fixed:
        """The positions and characters the pattern fixes."""
        return tuple((i, c) for i, c in enumerate(self.pattern) if c != 'x')

    def overlaps(self, other: Entry) -> bool:
        """Whether some code matches both patterns."""
        return len(self.pattern) == len(other.pattern) and all(
            'x' in (a, b) or a == b
            for a, b in zip(self.pattern, other.pattern))


class Table(ty.NamedTuple):
    """The loaded data file."""

    entries: tuple[Entry, ...]
    #: Code width -> (fixed characters, entry), most specific first.
    by_width: ty.Mapping[int, tuple[tuple[_Fixed, Entry], ...]]
    #: Upper-cased LED text -> (category, meaning, title, url).
    led_texts: ty.Mapping[str, tuple[str, str, str, str]]
    #: One of :data:`UNKNOWN_KINDS` -> (meaning, title, url).
    unknown: ty.Mapping[str, tuple[str, str | None, str | None]]


class TableError(ValueError):
    """The data file is malformed (a packaging or review mistake)."""


def explain(code: ty.Any, led_code: ty.Any = None, *,
            collecting: bool = True) -> Explanation:
    """Explain a reference code, best effort, never raising.

    :param code: the code as PowerVC sends it (``C6004031``, ``0553``,
        ``B200F005 LP=00022``, free text, None).
    :param led_code: the operator-panel text (``Running___...``), used when
        the code alone says nothing.
    :param collecting: False when collection is off: a code is then the
        last one, no longer updated, and the category is ``stale``.
    :returns: the most specific match (most fixed characters), else the
        LED text's meaning, else category ``unknown`` with a pointer to
        IBM's own look-up.
    """
    shown = text.decode_text(code) or ''
    result = _explain(_normalise(shown), _led_key(led_code))._replace(
        code=shown)
    if collecting or not shown.strip():
        return result
    return result._replace(
        category='stale',
        meaning='Collection is off: last code, no longer updated. It meant: '
                + result.meaning)


def parse_categories(text: str) -> frozenset[str]:
    """The categories in ``'attention,error'`` (any case, spaces allowed).

    :raises ValueError: naming an unknown category, or for no category.
    """
    names = [n.strip().lower() for n in text.split(',')]
    wanted = frozenset(n for n in names if n)
    if not wanted:
        raise ValueError('no category given (choose from %s)'
                         % ', '.join(CATEGORIES))
    unknown = sorted(wanted.difference(CATEGORIES))
    if unknown:
        raise ValueError('unknown category %s (choose from %s)' % (
            ', '.join(repr(n) for n in unknown), ', '.join(CATEGORIES)))
    return wanted


@functools.lru_cache(maxsize=4096)
def _explain(code: str, led: str) -> Explanation:
    table = load_table()
    if _HEX.match(code) and set(code) != {'0'}:
        entry = _best(table, code)
        if entry is not None:
            return Explanation(code, entry.category, entry.meaning,
                               entry.source_title, entry.source_url,
                               entry.pattern)
    if led in table.led_texts:
        return Explanation(code, *table.led_texts[led])
    return Explanation(code, 'unknown', *table.unknown[_unknown_kind(code)])


def _best(table: Table, code: str) -> Entry | None:
    """The matching entry with the most fixed characters."""
    for fixed, entry in table.by_width.get(len(code), ()):
        if all(code[i] == c for i, c in fixed):
            return entry
    return None


def _unknown_kind(code: str) -> str:
    if not code:
        return 'empty'
    if set(code) == {'0'}:
        return 'zeros'
    if _HEX.match(code):
        if len(code) == 8:
            return 'ibmi'
        if len(code) in (3, 4):
            return 'aix'
    return 'text'


def _normalise(code: str) -> str:
    """The code to match: first word, upper case, AIX leading 0 dropped.

    ``'B200F005 LP=00022'`` -> ``'B200F005'``; ``'0553'`` -> ``'553'``;
    ``'Linux ppc64'`` -> ``'LINUX'`` (matches nothing).
    """
    words = code.split(None, 1)
    word = words[0].upper()[:16] if words else ''
    if len(word) == 4 and word.startswith('0') and _HEX.match(word):
        # IBM: if the leftmost digit of a 4-digit code is 0, use the
        # three rightmost digits.
        return word[1:]
    return word


def _led_key(led_code: ty.Any) -> str:
    if not isinstance(led_code, str):
        return ''
    return ' '.join(led_code.replace('_', ' ').split()).upper()


@functools.lru_cache(maxsize=1)
def load_table() -> Table:
    """Read and check the data file (once per process).

    :raises TableError: for a malformed file.
    """
    from importlib import resources

    import yaml

    text = resources.files('powervc_osc').joinpath(
        'data').joinpath(DATA_FILE).read_text(encoding='utf-8')
    return parse_table(yaml.safe_load(text))


def parse_table(data: ty.Any) -> Table:
    """Check the loaded YAML document and build a :class:`Table`.

    :raises TableError: naming the first problem found.
    """
    try:
        sources = {}
        for key, row in data['sources'].items():
            row = _keys(row, {'title', 'url'})
            sources[key] = (_text(row['title']), _text(row['url']))
        entries = tuple(_entry(row, sources) for row in data['codes'])
        leds = {}
        for row in data['led_texts']:
            row = _keys(row, {'text', 'category', 'meaning', 'source'})
            category = _text(row['category'])
            if category not in CATEGORIES:
                raise TableError('LED text %r: category %r'
                                 % (row['text'], category))
            leds[_led_key(_text(row['text']))] = (
                category, _text(row['meaning'])) + sources[row['source']]
        unknown = {}
        for kind in UNKNOWN_KINDS:
            row = _keys(data['unknown'][kind], {'meaning'},
                        frozenset({'source'}))
            title, url = (sources[row['source']] if 'source' in row
                          else (None, None))
            unknown[kind] = (_text(row['meaning']), title, url)
    except (KeyError, TypeError, AttributeError) as exc:
        raise TableError('malformed reference-code table: %r' % (exc,))
    return Table(entries, _index(entries), leds, unknown)


def _index(entries: tuple[Entry, ...]) -> dict[int, tuple]:
    """Entries by width, most fixed characters first.

    :raises TableError: when two patterns with as many fixed characters
        can match the same code (the winner would be arbitrary).
    """
    index: dict[int, list] = {}
    for entry in entries:
        index.setdefault(len(entry.pattern), []).append(
            (entry.fixed, entry))
    for rows in index.values():
        rows.sort(key=lambda row: -len(row[0]))
        for n, (fixed, entry) in enumerate(rows):
            for other_fixed, other in rows[n + 1:]:
                if len(other_fixed) == len(fixed) and entry.overlaps(other):
                    raise TableError('patterns %r and %r overlap with the '
                                     'same specificity'
                                     % (entry.pattern, other.pattern))
    return {width: tuple(rows) for width, rows in index.items()}


def _keys(row: ty.Any, required: set[str],
          optional: frozenset[str] = frozenset(),
          ) -> ty.Mapping[str, ty.Any]:
    """``row`` if it is a mapping with exactly the expected keys.

    A stray key is a typo or a flow-style YAML line cut at a comma.
    """
    if not isinstance(row, dict):
        raise TableError('expected a mapping, found %r' % (row,))
    keys = set(row)
    if not required <= keys <= required | optional:
        raise TableError('%r: expected keys %s' % (row, sorted(required)))
    return row


def _entry(row: ty.Any,
           sources: ty.Mapping[str, tuple[str, str]]) -> Entry:
    row = _keys(row, {'pattern', 'os', 'category', 'meaning', 'source'})
    pattern = _text(row['pattern'])
    os_scope = _text(row['os'])
    category = _text(row['category'])
    if not _PATTERN.match(pattern):
        raise TableError('pattern %r: only 0-9, A-F and x' % pattern)
    if os_scope not in OS_SCOPES:
        raise TableError('pattern %r: os %r' % (pattern, os_scope))
    if len(pattern) not in _WIDTHS[os_scope]:
        raise TableError('pattern %r: wrong width for %s'
                         % (pattern, os_scope))
    if category not in CODE_CATEGORIES:
        raise TableError('pattern %r: category %r' % (pattern, category))
    title, url = sources[_text(row['source'])]
    return Entry(pattern, os_scope, category, _text(row['meaning']),
                 title, url)


def _text(value: ty.Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise TableError('expected text, found %r' % (value,))
    return value.strip()
