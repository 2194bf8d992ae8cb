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

"""Text from PowerVC made safe to print: one place, no domain knowledge."""

from __future__ import annotations

import typing as ty

#: Longest text kept from one value; PowerVC's metadata values are 32
#: characters.
MAX_TEXT = 255


def decode_text(value: ty.Any) -> str | None:
    """Return a value from PowerVC as printable text, or None when absent.

    PowerVC sends strings; anything else (numbers, lists, bytes) is shown
    best-effort rather than rejected. Control characters are replaced so a
    hostile value cannot rewrite the operator's terminal, and very long
    values are cut to :data:`MAX_TEXT` characters.
    """
    if value is None:
        return None
    return _printable(_as_str(value))


def one_line(value: ty.Any) -> str | None:
    """:func:`decode_text` for a message: on one line.

    Each run of white space, line breaks included, becomes one space
    (Nova's error bodies span lines).
    """
    if value is None:
        return None
    return _printable(' '.join(_as_str(value).split()))


def _as_str(value: ty.Any) -> str:
    if isinstance(value, bytes):
        return value.decode('utf-8', errors='replace')
    if isinstance(value, str):
        return value
    try:
        return str(value)
    except (ValueError, RecursionError):
        # An integer past Python's digit limit, a nesting too deep.
        return '<%s>' % type(value).__name__


def _printable(value: str) -> str:
    if not value.isprintable():
        value = ''.join(ch if ch.isprintable() else '\ufffd'
                        for ch in value)
    if len(value) > MAX_TEXT:
        value = value[:MAX_TEXT] + '\u2026'
    return value
