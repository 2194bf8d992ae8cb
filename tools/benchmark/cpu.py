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

"""Benchmark section 9: the client's CPU per metadata GET, beside its floor.

Issue 29. :mod:`.client_cpu` (the fleet's read path, with the bare
``http.client`` loop timed in the same run as the floor) and
:mod:`.keepalive_cpu` (the same GETs through each layer), each beside a
simulator of its own process that keeps connections open.
"""

from __future__ import annotations

import typing as ty

from tools.benchmark import client_cpu
from tools.benchmark import keepalive_cpu

TARGET_US = 500.0
PROFILES = {'full': {'reads': 400, 'rounds': 7, 'layer_reads': 2000},
            'quick': {'reads': 100, 'rounds': 3, 'layer_reads': 300}}


def section_cpu(quick: bool, log: ty.Callable[[str], None]) -> dict:
    profile = PROFILES['quick' if quick else 'full']
    log('9. client CPU per metadata GET: the fleet read path, %d GETs x %d '
        'rounds, and the floor' % (profile['reads'], profile['rounds']))
    fleet = client_cpu.beside_simulator(
        max(1000, profile['reads'] * 2),
        lambda: client_cpu.measure(profile['reads'], profile['rounds']))
    log('9. client CPU per metadata GET, layer by layer (%d GETs each)'
        % profile['layer_reads'])
    layers = client_cpu.beside_simulator(
        100, lambda: keepalive_cpu.measure(profile['layer_reads']))
    return {'profile': profile, 'fleet_read_path': fleet, 'layers': layers}


def evaluate(section: dict, add: ty.Callable[..., None]) -> None:
    """Add this section's target row (``add(name, value, limit, ok)``)."""
    after = section['fleet_read_path']['after']['cpu_us_median']
    add('client CPU per metadata GET, fleet read path (us)', round(after),
        '<= %g' % TARGET_US, after <= TARGET_US)


def render(section: dict) -> list[str]:
    fleet = section['fleet_read_path']
    floor = fleet['floor']['cpu_us_median']
    lines = ['\n9. client CPU per metadata GET, kept-alive connection, one '
             'GET after another (process_time; load %s)' % (
                 ' '.join('%.2f' % x for x in fleet['load']))]
    for label, us in (
            ('fleet read path (read_listed)', fleet['after']['cpu_us_median']),
            ('  the same, issue 21 cuts undone',
             fleet['before']['cpu_us_median']),
            ('bare http.client loop (the floor)', floor)):
        lines.append('   %-42s %6.0f us  x%.2f the floor'
                     % (label, us, us / floor))
    for label, us in section['layers'].items():
        if isinstance(us, (int, float)) and not isinstance(us, bool):
            lines.append('   layer: %-35s %6.0f us' % (label, us))
    return lines
