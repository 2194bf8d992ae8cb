# Copyright 2026 The powervc_osc Authors
#
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

"""Simulated boot sequences of reference codes.

A boot sequence is a list of ``(refcode, led_code)`` steps.  The simulator
shows step ``i`` once ``(i + 1) * step_seconds`` have elapsed since the
sequence started (so nothing is shown during the first step: PowerVC needs
a moment to collect the first code), and the last step forever after.

* IBM i: 8-character SRCs, ``C2xxxxxx`` (partition IPL by the virtual
  service processor), then ``C6xxxxxx`` (Licensed Internal Code IPL), then
  ``C9xxxxxx`` (operating system IPL), ending steady at ``00000000``.
* AIX: 4-digit LED codes (``0551``, ``0517``, ``0553``, ``0581``,
  ``0538``/``0539`` ...), ending steady at ``0000``.

The codes are plausible, not authoritative: they are picked from the public
IPL progress code lists to look real, not to be looked up.  Which optional
codes a sequence contains is chosen by a :class:`random.Random` seeded from
the simulator seed and the server name, so a given seed always gives the
same sequences.

A sequence may be *stuck*: it then stops at a given code forever (for
example ``B2008105``, a partition IPL failure), to demonstrate stuck
detection.
"""

import random
import typing as ty

LED_WIDTH = 32

#: One step: ``(refcode, led_code)``.
Step = tuple[str, str]

IBMI_STEADY = '00000000'
AIX_STEADY = '0000'
DEFAULT_STUCK_CODE = 'B2008105'

# Operator-panel texts (spaces become '_' and the text is padded to 32).
LED_IPL = 'IPL in progress'
LED_LIC = 'LIC IPL in progress'
LED_OS = 'OS IPL in progress'
LED_RUNNING = 'Running'
LED_REBOOTING = 'Surr rebooting'
LED_FAILED = 'IPL failed attention'
LED_NOT_ACTIVATED = 'Not activated'

_IBMI_C2_REQUIRED = ('C2001000', 'C2008040', 'C20081FF')
_IBMI_C2_OPTIONAL = ('C20011FF', 'C2002100', 'C20025FF', 'C2004100',
                     'C20041FF', 'C2008060', 'C2008080', 'C2008104')
_IBMI_C6_REQUIRED = ('C6004031', 'C6004065', 'C6004500')
_IBMI_C6_OPTIONAL = ('C6004001', 'C6004050', 'C6004051', 'C6004057',
                     'C6004060', 'C6004064', 'C6004068', 'C6004072',
                     'C6004201', 'C6004240', 'C6004330', 'C6004502')
_IBMI_C9_REQUIRED = ('C900290C', 'C9002960', 'C9002965', 'C90029C0')
_IBMI_C9_OPTIONAL = ('C9002810', 'C9002820', 'C9002910', 'C9002924',
                     'C9002930', 'C9002967', 'C9002973', 'C9002980',
                     'C90029B0', 'C9002A85', 'C9002AA5', 'C9002AC0')


def led_text(text: str) -> str:
    """Format an operator-panel text: '_' for blanks, padded to 32."""
    text = text.replace(' ', '_')[:LED_WIDTH]
    return text + '_' * (LED_WIDTH - len(text))


def _pick(rng: random.Random, required: ty.Sequence[str],
          optional: ty.Sequence[str], low: int, high: int) -> list[str]:
    """Required codes plus a seeded sample of optional ones, sorted."""
    count = rng.randint(low, min(high, len(optional)))
    codes = set(required) | set(rng.sample(optional, count))
    return sorted(codes)


def ibmi_sequence(rng: random.Random) -> list[Step]:
    """A normal IBM i IPL: C2 -> C6 -> C9 -> 00000000."""
    steps = [(c, led_text(LED_IPL))
             for c in _pick(rng, _IBMI_C2_REQUIRED, _IBMI_C2_OPTIONAL, 1, 4)]
    steps += [(c, led_text(LED_LIC))
              for c in _pick(rng, _IBMI_C6_REQUIRED, _IBMI_C6_OPTIONAL, 3, 6)]
    steps += [(c, led_text(LED_OS))
              for c in _pick(rng, _IBMI_C9_REQUIRED, _IBMI_C9_OPTIONAL, 3, 6)]
    steps.append((IBMI_STEADY, led_text(LED_RUNNING)))
    return steps


def aix_sequence(rng: random.Random) -> list[Step]:
    """A normal AIX boot: 000e, 0551, 0517, 0553, phase 3 ..., 0000."""
    steps = [('000e', led_text(LED_REBOOTING))]
    if rng.random() < 0.5:
        steps.append(('0511', led_text(LED_IPL)))
    steps += [(c, led_text(LED_IPL)) for c in ('0551', '0517', '0553')]
    if rng.random() < 0.5:
        steps.append(('0521', led_text(LED_IPL)))
    steps.append(('0581', led_text(LED_IPL)))
    for _ in range(rng.randint(1, 3)):
        steps.append(('0538', led_text(LED_IPL)))
        steps.append(('0539', led_text(LED_IPL)))
    steps.append((AIX_STEADY, led_text(LED_RUNNING)))
    return steps


def stuck_sequence(steps: list[Step], code: str) -> list[Step]:
    """Cut ``steps`` so that they end, forever, at ``code``.

    If ``code`` is part of the sequence the sequence stops at its first
    occurrence; otherwise the code is appended after the first phase (the
    steps sharing the first step's 2-character prefix).
    """
    for index, (step_code, _led) in enumerate(steps):
        if step_code == code:
            return steps[:index + 1]
    prefix = steps[0][0][:2]
    head = [s for s in steps if s[0][:2] == prefix] or steps[:1]
    led = LED_FAILED if code[:1] in ('A', 'B') else LED_IPL
    return head + [(code, led_text(led))]


def build_sequence(os_type: str, seed: ty.Any, name: str, run: int = 0,
                   stuck_at: str | None = None) -> list[Step]:
    """The deterministic boot sequence of one server.

    :param os_type: ``'ibmi'`` or ``'aix'`` (anything else: no sequence).
    :param seed: the simulator seed.
    :param name: the server name (so each server gets its own variant).
    :param run: how many boot sequences this server already ran.
    :param stuck_at: a code to hang at, or None.
    :returns: a list of ``(refcode, led_code)`` tuples, or ``[]``.
    """
    key = '%s/%s/%s/%s' % (seed, os_type, name, run)
    # A simulation, not security.
    rng = random.Random(key)  # nosec B311
    if os_type == 'ibmi':
        steps = ibmi_sequence(rng)
    elif os_type == 'aix':
        steps = aix_sequence(rng)
    else:
        return []
    if stuck_at:
        steps = stuck_sequence(steps, stuck_at)
    return steps


def not_activated(os_type: str) -> list[Step]:
    """The steady step of a powered-off partition."""
    code = IBMI_STEADY if os_type == 'ibmi' else AIX_STEADY
    return [(code, led_text(LED_NOT_ACTIVATED))]


def position(steps: ty.Sequence[Step], elapsed: float,
             step_seconds: float) -> Step | None:
    """The ``(refcode, led_code)`` shown ``elapsed`` seconds after start.

    :returns: None during the first step (nothing collected yet).
    """
    if not steps or elapsed < 0:
        return None
    if step_seconds <= 0:
        return steps[-1]
    index = int(elapsed // step_seconds) - 1
    if index < 0:
        return None
    return steps[min(index, len(steps) - 1)]
