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

Issue 21. One simulator (pages of 1000) with 10,011 IBM i and AIX servers
that all collect codes, in the benchmark's process:

* OSC's ``openstack server list --long --all-projects`` (the reference);
* a *fresh* ``refcode list`` with default options: every code stamped an
  hour ago (the simulator's clocks are moved on), so every one is read;
* a *warm* ``refcode list`` right after it, default options: every code
  was just stamped, so only the listing pages are asked for;
* ``powervc-osc-exporter`` with default options: two cycles over a fleet
  whose codes are an hour old (the exporter probe, in its own process).

``--quick`` uses 2,011 servers.
"""

from __future__ import annotations

import os
import typing as ty

from tools.benchmark import stats

PROFILES = {'full': {'servers': 10011, 'cycles': 2},
            'quick': {'servers': 2011, 'cycles': 2}}
TARGETS = {'fresh_s': 15.0, 'fresh_rss_mib': 300.0, 'fresh_ratio': 0.3,
           'warm_ratio': 0.15}
PAGE = 1000
MIB = 1024.0


def fleet(count: int) -> list[dict]:
    """``count`` steady servers that collect codes, one project."""
    hosts = ('9109RMD_1031CAT', '9105-42A_78ABCDX', 'S924_78ABCDX')
    return [dict(name='%s-%05d' % ('ibmi' if n % 3 else 'aix', n),
                 os_type='ibmi' if n % 3 else 'aix', host=hosts[n % 3],
                 refcode=True, boot_progress=1.0, created=1.7e9 + n)
            for n in range(count)]


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
    try:
        clouds = sim.write_clouds_yaml()
        log('7. OSC: server list --long --all-projects')
        osc = runner.run([openstack, '--os-cloud', cloud, 'server', 'list',
                          '--long', '--all-projects', '-f', 'value', '-c',
                          'ID'], sim=sim, clouds_yaml=clouds)
        out['osc'] = _summary(osc)
        sim.advance(3600)                   # every code an hour old
        log('7. refcode list, fresh (default options)')
        fresh = runner.run([openstack, '--os-cloud', cloud, 'server',
                            'refcode', 'list', '-f', 'value', '-c', 'ID'],
                           sim=sim, clouds_yaml=clouds)
        out['fresh'] = _summary(fresh)
        log('7. refcode list, warm (default options)')
        warm = runner.run([openstack, '--os-cloud', cloud, 'server',
                           'refcode', 'list', '-f', 'value', '-c', 'ID'],
                          sim=sim, clouds_yaml=clouds)
        out['warm'] = _summary(warm)
        sim.advance(3600)
        log('7. exporter: %d cycles (default options)' % profile['cycles'])
        sample, result = probe(runner, prefix, sim, clouds, cloud,
                               '--cycles', str(profile['cycles']))
        out['exporter'] = {
            'cycle_s': result['cycle_s'],
            'compute': sample['compute'], 'rss_mib': result['rss_mib'],
            'servers': result['servers']}
    finally:
        sim.stop()
    for run in ('fresh', 'warm'):
        out[run]['ratio_to_osc'] = stats.ratio(out[run]['wall_s'],
                                               out['osc']['wall_s'])
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
    add('warm refcode list: compute requests', warm['compute'],
        '%d (one a page)' % section['pages'],
        warm['compute'] == section['pages'])
    add('warm refcode list / OSC server list --long',
        round(warm['ratio_to_osc'], 3), '< %g' % TARGETS['warm_ratio'],
        warm['ratio_to_osc'] < TARGETS['warm_ratio'])


def render(section: dict) -> list[str]:
    lines = ['\n7. fleet of %d servers at %g ms (pages of %d)' % (
        section['servers'], section['latency_ms'], PAGE)]
    for name, label in (('osc', 'OSC server list --long --all-projects'),
                        ('fresh', 'refcode list, fresh'),
                        ('warm', 'refcode list, warm')):
        run = section[name]
        lines.append('   %-38s %6.1f s  CPU %6.1f s  %6d compute requests'
                     '  RSS %5.1f MiB' % (label, run['wall_s'], run['cpu_s'],
                                          run['compute'], run['rss_mib']))
    exp = section['exporter']
    lines.append('   exporter cycles: %s s, %d compute requests in all' % (
        ', '.join('%.1f' % c for c in exp['cycle_s']), exp['compute']))
    return lines
