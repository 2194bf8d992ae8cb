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

"""Benchmark section 7: 10,011 servers at 50 ms, side by side with OSC.

Issues 21 and 29. One simulator (pages of 1000, connections kept open)
with 10,011 IBM i and AIX servers that all collect codes, in the
benchmark's process:

* OSC's ``openstack server list --long --all-projects`` (the reference);
* ``openstack --version`` (the start-up that every floor includes);
* a *fresh* ``refcode list`` with default options: every code stamped an
  hour ago (the simulator's clocks are moved on), so every one is read;
* the same with ``--max-rate 0 --max-workers 64``;
* a *warm* ``refcode list`` right after it, default options: every code
  was just stamped, so only the listing pages are asked for;
* ``powervc-osc-exporter``: two cycles over a fleet whose codes are an
  hour old with default options, then two with ``--max-rate 0
  --max-workers 64 --max-age 0`` (every code read each cycle); the
  exporter probe, in its own process.

Each run has a floor, what the request budget allows (issue 29): the
metadata GETs at the pace of ``--max-rate``, or without a rate at that of
the workers (Little's law: GETs x latency / workers), plus the listing
pages one after another (pages x latency), plus the start-up measured in
the same run (none for an exporter cycle, timed inside the process).

``--quick`` uses 2,011 servers.
"""

from __future__ import annotations

import os
import typing as ty

from powervc_osc import defaults
from powervc_osc.exporter import options as exporter_options
from tools.benchmark import stats

PROFILES = {'full': {'servers': 10011, 'cycles': 2},
            'quick': {'servers': 2011, 'cycles': 2}}
TARGETS = {'fresh_s': 15.0, 'fresh_rss_mib': 300.0, 'fresh_ratio': 0.3,
           'warm_ratio': 0.15, 'to_floor': 1.3}
PAGE = 1000
MIB = 1024.0
#: The default rates the floors assume.
LIST_RATE = defaults.LIST_MAX_RATE
EXPORTER_RATE = exporter_options.DEFAULT_MAX_RATE
#: What the runs without a rate use: the most workers a default allows.
WORKERS = defaults.MAX_WORKERS_CAP
UNLIMITED = ('--max-rate', '0', '--max-workers', str(WORKERS))


def fleet(count: int) -> list[dict]:
    """``count`` steady servers that collect codes, one project."""
    hosts = ('9109RMD_1031CAT', '9105-42A_78ABCDX', 'S924_78ABCDX')
    return [dict(name='%s-%05d' % ('ibmi' if n % 3 else 'aix', n),
                 os_type='ibmi' if n % 3 else 'aix', host=hosts[n % 3],
                 refcode=True, boot_progress=1.0, created=1.7e9 + n)
            for n in range(count)]


def floor_s(gets: int, pages: int, latency_s: float, startup_s: float,
            rate: float | None, workers: int = WORKERS) -> float:
    """What the budget allows: GETs at its pace, pages, start-up."""
    pace = gets / rate if rate else gets * latency_s / workers
    return pace + pages * latency_s + startup_s


def _summary(sample: dict) -> dict:
    return {'wall_s': sample['wall'], 'cpu_s': sample['cpu'],
            'rss_mib': sample['rss_kib'] / MIB,
            'compute': sample['compute'], 'identity': sample['identity'],
            'discovery': sample['discovery']}


def section_fleet10k(runner: ty.Any, prefix: str, quick: bool, cloud: str,
                     latency_ms: float, log: ty.Callable[[str], None],
                     probe: ty.Callable[..., tuple[dict, dict]]) -> dict:
    from powervc_osc.simulator import server as sim_server

    profile = PROFILES['quick' if quick else 'full']
    count = profile['servers']
    out: dict = {'servers': count, 'pages': count // PAGE + 1,
                 'latency_ms': latency_ms}
    log('7. fleet of %d servers at %g ms: building it' % (count, latency_ms))
    sim = sim_server.Simulator(servers=fleet(count), latency_ms=latency_ms,
                               step_seconds=0.01, host='127.0.0.1').start()
    openstack = os.path.join(prefix, 'bin', 'openstack')
    latency_s = latency_ms / 1000.0
    try:
        clouds = sim.write_clouds_yaml()
        log('7. OSC: server list --long --all-projects')
        osc = runner.run([openstack, '--os-cloud', cloud, 'server', 'list',
                          '--long', '--all-projects', '-f', 'value', '-c',
                          'ID'], sim=sim, clouds_yaml=clouds)
        out['osc'] = _summary(osc)
        startup = [runner.run([openstack, '--version'])['wall']
                   for _ in range(3)]
        out['startup_s'] = stats.median(startup)
        refcode_list = [openstack, '--os-cloud', cloud, 'server', 'refcode',
                        'list', '-f', 'value', '-c', 'ID']
        for run, extra, rate in (('fresh', (), LIST_RATE),
                                 ('fresh_unlimited', UNLIMITED, None)):
            sim.advance(3600)               # every code an hour old
            log('7. refcode list, fresh %s' % (' '.join(extra) or
                                               '(default options)'))
            sample = runner.run(refcode_list + list(extra), sim=sim,
                                clouds_yaml=clouds)
            out[run] = _summary(sample)
            out[run]['floor_s'] = floor_s(
                count, out['pages'], latency_s, out['startup_s'], rate)
        log('7. refcode list, warm (default options)')
        warm = runner.run(refcode_list, sim=sim, clouds_yaml=clouds)
        out['warm'] = _summary(warm)
        out['warm']['floor_s'] = floor_s(0, out['pages'], latency_s,
                                         out['startup_s'], LIST_RATE)
        for run, extra, rate in (
                ('exporter', (), EXPORTER_RATE),
                ('exporter_unlimited', UNLIMITED + ('--max-age', '0'),
                 None)):
            sim.advance(3600)
            log('7. exporter: %d cycles %s' % (
                profile['cycles'], ' '.join(extra) or '(default options)'))
            sample, result = probe(runner, prefix, sim, clouds, cloud,
                                   '--cycles', str(profile['cycles']),
                                   *extra)
            gets = (sample['compute'] - out['pages'] * profile['cycles']) \
                / float(profile['cycles'])
            out[run] = {
                'cycle_s': result['cycle_s'],
                'compute': sample['compute'], 'rss_mib': result['rss_mib'],
                'servers': result['servers'],
                'floor_s': floor_s(int(gets), out['pages'], latency_s, 0.0,
                                   rate)}
    finally:
        sim.stop()
    for run in ('fresh', 'fresh_unlimited', 'warm'):
        out[run]['ratio_to_osc'] = stats.ratio(out[run]['wall_s'],
                                               out['osc']['wall_s'])
        out[run]['ratio_to_floor'] = stats.ratio(out[run]['wall_s'],
                                                 out[run]['floor_s'])
    for run in ('exporter', 'exporter_unlimited'):
        cycles = out[run]['cycle_s']
        out[run]['ratio_to_floor'] = stats.ratio(sum(cycles) / len(cycles),
                                                 out[run]['floor_s'])
    return out


def evaluate(section: dict, add: ty.Callable[..., None]) -> None:
    """Add this section's target rows (``add(name, value, limit, ok)``)."""
    fresh, warm, count = section['fresh'], section['warm'], section['servers']
    add('fresh refcode list of %d servers (s)' % count,
        round(fresh['wall_s'], 1), '< %g' % TARGETS['fresh_s'],
        fresh['wall_s'] < TARGETS['fresh_s'])
    add('fresh refcode list: peak RSS (MiB)', round(fresh['rss_mib'], 1),
        '< %g' % TARGETS['fresh_rss_mib'],
        fresh['rss_mib'] < TARGETS['fresh_rss_mib'])
    add('fresh refcode list / OSC server list --long',
        round(fresh['ratio_to_osc'], 3), '<= %g' % TARGETS['fresh_ratio'],
        fresh['ratio_to_osc'] <= TARGETS['fresh_ratio'])
    for run, label in (('fresh', 'default options'),
                       ('fresh_unlimited', ' '.join(UNLIMITED))):
        ratio = section[run]['ratio_to_floor']
        add('fresh refcode list, %s / its floor' % label, round(ratio, 3),
            '<= %g' % TARGETS['to_floor'], ratio <= TARGETS['to_floor'])
    ratio = section['exporter_unlimited']['ratio_to_floor']
    add('exporter cycle, %s / its floor' % ' '.join(UNLIMITED),
        round(ratio, 3), '<= %g' % TARGETS['to_floor'],
        ratio <= TARGETS['to_floor'])
    add('warm refcode list: compute requests', warm['compute'],
        '%d (one a page)' % section['pages'],
        warm['compute'] == section['pages'])
    add('warm refcode list / OSC server list --long',
        round(warm['ratio_to_osc'], 3), '< %g' % TARGETS['warm_ratio'],
        warm['ratio_to_osc'] < TARGETS['warm_ratio'])


def render(section: dict) -> list[str]:
    lines = ['\n7. fleet of %d servers at %g ms (pages of %d); start-up '
             '(openstack --version) %.2f s' % (
                 section['servers'], section['latency_ms'], PAGE,
                 section['startup_s'])]
    for name, label in (('osc', 'OSC server list --long --all-projects'),
                        ('fresh', 'refcode list, fresh'),
                        ('fresh_unlimited', 'fresh, ' + ' '.join(UNLIMITED)),
                        ('warm', 'refcode list, warm')):
        run = section[name]
        floor = ('  floor %5.1f s (x%.2f)' % (run['floor_s'],
                                              run['ratio_to_floor'])
                 if 'floor_s' in run else '')
        lines.append('   %-38s %6.1f s  CPU %6.1f s  %6d compute requests'
                     '  RSS %5.1f MiB%s' % (label, run['wall_s'],
                                            run['cpu_s'], run['compute'],
                                            run['rss_mib'], floor))
    for name, label in (('exporter', 'default options'),
                        ('exporter_unlimited',
                         ' '.join(UNLIMITED) + ' --max-age 0')):
        exp = section[name]
        lines.append('   exporter cycles, %s: %s s, floor of a mean '
                     'cycle %.1f s (x%.2f), '
                     '%d compute requests in all' % (
                         label, ', '.join('%.1f' % c for c in exp['cycle_s']),
                         exp['floor_s'], exp['ratio_to_floor'],
                         exp['compute']))
    return lines
