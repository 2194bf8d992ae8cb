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

"""PowerVC's zone, remembered between ``refcode list --max-age`` runs.

A one-shot command learns PowerVC's UTC offset from one metadata GET
(:mod:`powervc_osc.fleet.freshness`); a warm fleet needs no GET at all, so the
offset learned is kept for :data:`KEEP_DAYS` days per compute endpoint in
``$XDG_CACHE_HOME/powervc-osc/zones.json`` (``~/.cache`` by default). A
remembered zone that proves wrong (a listed query time in the future) is
learned again by the same run. The cache is best effort: a file that
cannot be read or written is ignored.
"""

from __future__ import annotations

import datetime
import json
import os
import tempfile
import time
import typing as ty

#: Days a remembered zone is used.
KEEP_DAYS = 7


def path() -> str:
    base = os.environ.get('XDG_CACHE_HOME') or os.path.join(
        os.path.expanduser('~'), '.cache')
    return os.path.join(base, 'powervc-osc', 'zones.json')


def _read() -> dict:
    try:
        with open(path()) as f:
            zones = json.load(f)
    except (OSError, ValueError):
        return {}
    return zones if isinstance(zones, dict) else {}


def load(endpoint: str | None,
         now: ty.Callable[[], float] = time.time,
         ) -> datetime.timedelta | None:
    """The zone remembered for ``endpoint``, if recent enough."""
    entry: ty.Any = _read().get(endpoint or '')
    try:
        minutes, learned = float(entry['minutes']), float(entry['learned'])
    except (TypeError, KeyError, ValueError):
        return None
    if not 0 <= now() - learned <= KEEP_DAYS * 86400:
        return None
    return datetime.timedelta(minutes=minutes)


def save(endpoint: str | None, offset: datetime.timedelta | None,
         now: ty.Callable[[], float] = time.time) -> None:
    """Remember ``offset`` for ``endpoint`` (nothing when either is None)."""
    if not endpoint or offset is None:
        return
    zones = _read()
    zones[endpoint] = {'minutes': offset.total_seconds() / 60,
                       'learned': now()}
    target = path()
    try:
        os.makedirs(os.path.dirname(target), mode=0o700, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=os.path.dirname(target))
        with os.fdopen(fd, 'w') as f:
            json.dump(zones, f)
        os.replace(temporary, target)
    except OSError:
        pass
