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

"""The Refcode value and the decoding of PowerVC metadata (no I/O here)."""

from __future__ import annotations

import dataclasses
import datetime
import re
import typing as ty

from powervc_osc import text

if ty.TYPE_CHECKING:
    from powervc_osc import codes

REFCODE_KEY = 'powervc:vm_refcode'
LED_CODE_KEY = 'powervc:vm_led_code'
QUERY_TS_KEY = 'powervc:vm_refcode_query_ts'
REQUIRED_KEY = 'powervc:vm_refcode_required'

_TIMESTAMP = re.compile(r'^([0-9]{14})([0-9]{6})?$')
_TRUE_WORDS = frozenset(('true',))


def decode_refcode(value: ty.Any) -> str | None:
    """Return the reference code (``000e``, ``C6004031``); empty is None."""
    shown = text.decode_text(value)
    if shown is None:
        return None
    shown = shown.strip()
    return shown or None


def decode_led_code(value: ty.Any) -> str | None:
    """Return the operator-panel text without its trailing ``_`` padding."""
    shown = text.decode_text(value)
    if shown is None:
        return None
    shown = shown.rstrip('_').rstrip()
    return shown or None


def parse_query_ts(value: ty.Any) -> datetime.datetime | None:
    """Parse ``YYYYMMDDhhmmss`` plus optional microseconds, else None.

    The zone is not documented by PowerVC, so the result is naive.
    """
    shown = text.decode_text(value)
    if not shown:
        return None
    match = _TIMESTAMP.match(shown.strip())
    if not match:
        return None
    whole, micro = match.group(1), match.group(2) or '0'
    try:
        # Fourteen digits split only one way: what strptime('%Y%m%d%H%M%S')
        # reads, at a tenth of its cost (a fleet read parses thousands).
        return datetime.datetime(
            int(whole[:4]), int(whole[4:6]), int(whole[6:8]),
            int(whole[8:10]), int(whole[10:12]), int(whole[12:]),
            int(micro))
    except ValueError:
        return None


def decode_required(value: ty.Any) -> bool:
    """Return whether collection is on: ``"true"`` in any case; absent off."""
    if isinstance(value, bool):
        return value
    shown = text.decode_text(value)
    return shown is not None and shown.strip().lower() in _TRUE_WORDS


@dataclasses.dataclass(frozen=True)
class Refcode:
    """A virtual machine's reference code as PowerVC reported it."""

    server_id: str
    server_name: str | None
    refcode: str | None
    led_code: str | None
    queried_at: datetime.datetime | None
    required: bool
    raw: ty.Mapping[str, ty.Any] = dataclasses.field(
        default_factory=dict, compare=False, repr=False)
    host: str | None = None
    status: str | None = None
    #: The server's project ID (Nova's ``tenant_id``), when listed.
    project_id: str | None = None

    @classmethod
    def from_metadata(
        cls,
        server_id: str,
        server_name: str | None,
        metadata: ty.Mapping[str, ty.Any] | None,
        host: str | None = None,
        status: str | None = None,
        project_id: str | None = None,
    ) -> Refcode:
        """Decode a server's metadata dictionary into a Refcode."""
        metadata = metadata if isinstance(metadata, dict) else {}
        return cls(
            server_id=server_id,
            server_name=server_name,
            refcode=decode_refcode(metadata.get(REFCODE_KEY)),
            led_code=decode_led_code(metadata.get(LED_CODE_KEY)),
            queried_at=parse_query_ts(metadata.get(QUERY_TS_KEY)),
            required=decode_required(metadata.get(REQUIRED_KEY)),
            raw=dict(metadata),
            host=host,
            status=status,
            project_id=project_id,
        )

    @property
    def queried_at_text(self) -> str | None:
        """``queried_at`` in ISO 8601, or PowerVC's own text if unparseable."""
        if self.queried_at is not None:
            return self.queried_at.isoformat()
        return text.decode_text(self.raw.get(QUERY_TS_KEY)) or None

    @property
    def observation(self) -> tuple[ty.Any, ...]:
        """What a watcher compares to tell that something changed.

        The code and the LED text: ``queried_at`` moves each time PowerVC
        asks the hypervisor, which is not a change of the machine's state.
        """
        return (self.refcode, self.led_code)

    @property
    def explanation(self) -> codes.Explanation:
        """What the code means (:func:`powervc_osc.codes.explain`).

        The category is ``stale`` when collection is off but a code is
        still there: the last one, no longer updated.
        """
        # Imported here: OSC imports this module on every command, and
        # needs no explanation table for most of them.
        from powervc_osc import codes

        return codes.explain(self.refcode, self.led_code,
                             collecting=self.required)

    @property
    def category(self) -> str:
        """``explanation.category``: ``progress``, ``error``, ``stale``..."""
        return self.explanation.category
