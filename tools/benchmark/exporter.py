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

"""Benchmark section 6: powervc-osc-exporter (issue 14).

* one poll cycle of a fleet (1000 servers) at 50 ms, against the sequential
  sum of its requests and the ``refcode list`` figure of section 4;
* a scrape of that fleet's metrics, in-process and over HTTP;
* resident memory over many cycles (200) after a warm-up, and the history
  rows each cycle writes for a fleet whose codes do not change;
* serving under load (issue 20): a fleet of 10,000 servers, 2,000 client
  connections that send nothing, then 200 scrapes at once (plain, then
  gzip) from another process; the exporter's memory meanwhile;
* the fleet page of those 10,000 servers (issue 26): building its JSON
  once per poll, and GETs of ``/api/fleet`` (plain, gzip) and ``/``
  beside the scrapes.

The exporter runs in its own process (``exporter_probe.py``), built as the
``powervc-osc-exporter`` command builds it; the simulator runs in the
benchmark's process.
"""

from __future__ import annotations

import json
import os
import typing as ty

from tools.benchmark import stats

PROBE = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                     'exporter_probe.py')
PROFILES = {
    'full': {'servers': 1000, 'cycles': 3, 'scrapes': 21,
             'rss_servers': 200, 'rss_cycles': 200, 'warmup': 20,
             'load_servers': 10000, 'concurrent': 200, 'half_open': 2000},
    'quick': {'servers': 1000, 'cycles': 2, 'scrapes': 5,
              'rss_servers': 100, 'rss_cycles': 30, 'warmup': 10,
              'load_servers': 2000, 'concurrent': 50, 'half_open': 500},
}
TARGETS = {
    'cycle_fraction_of_sequential': 0.20,
    'scrape_ms': 50.0,
    'rss_growth_mib': 5.0,
    'rows_unchanged': 0,
    'load_scrape_ms': 100.0,
    'load_unanswered': 0,
    'load_rss_growth_mib': 50.0,
    # The page costs no more than a scrape (issue 26): its JSON is built
    # once per poll, as the metrics are rendered, and served as bytes.
    'fleet_over_scrape': 1.0,
}


def run_probe(runner: ty.Any, prefix: str, sim: ty.Any, clouds: str,
              cloud: str, *args: str) -> tuple[dict, dict]:
    out_path = os.path.join(runner.workdir, 'exporter-probe.json')
    argv = [os.path.join(prefix, 'bin', 'python'), PROBE,
            '--os-cloud', cloud, *args]
    sample = runner.run(argv, sim=sim, clouds_yaml=clouds,
                        stdout_path=out_path)
    with open(out_path) as f:
        return sample, json.load(f)


def section_exporter(runner: ty.Any, prefix: str, quick: bool,
                     cloud: str, latency_ms: float,
                     log: ty.Callable[[str], None]) -> dict:
    from powervc_osc.simulator import server as sim_server

    profile = PROFILES['quick' if quick else 'full']
    out: dict = {'profile': profile}
    log('6. exporter: %d cycles of %d servers at %g ms'
        % (profile['cycles'], profile['servers'], latency_ms))
    sim = sim_server.Simulator(servers=profile['servers'],
                               latency_ms=latency_ms,
                               host='127.0.0.1').start()
    try:
        clouds = sim.write_clouds_yaml()
        sample, probe = run_probe(
            runner, prefix, sim, clouds, cloud,
            '--cycles', str(profile['cycles']),
            '--scrapes', str(profile['scrapes']),
            # Every code read every cycle: what this section has measured
            # since issue 14 (section 7 measures the defaults).
            '--max-age', '0', '--max-rate', '0')
    finally:
        sim.stop()
    # The first cycle also logs in and opens connections.
    steady = probe['cycle_s'][1:] or probe['cycle_s']
    per_cycle = sample['compute'] / float(profile['cycles'])
    sequential = per_cycle * latency_ms / 1000.0
    out['cycle'] = {
        'servers': probe['servers'],
        'cycle_s': stats.summary(steady),
        'first_cycle_s': probe['cycle_s'][0],
        'compute_requests_per_cycle': per_cycle,
        'sequential_s': sequential,
        'fraction': stats.ratio(stats.median(steady), sequential),
        'scrape_ms': stats.summary([1000 * s for s in probe['scrape_s']]),
        'http_scrape_ms': stats.summary(
            [1000 * s for s in probe['http_scrape_s']]),
        'scrape_bytes': probe['scrape_bytes'],
    }
    log('6. exporter: RSS and history rows over %d cycles of %d servers '
        'at 0 ms' % (profile['rss_cycles'], profile['rss_servers']))
    # Short boot steps: every code is steady before the warm-up ends.
    sim = sim_server.Simulator(servers=profile['rss_servers'],
                               step_seconds=0.01, host='127.0.0.1').start()
    try:
        clouds = sim.write_clouds_yaml()
        store = os.path.join(runner.workdir, 'exporter-history.sqlite3')
        _sample, probe = run_probe(
            runner, prefix, sim, clouds, cloud,
            '--cycles', str(profile['rss_cycles']), '--history', store,
            '--max-age', '0', '--max-rate', '0')
    finally:
        sim.stop()
    out['load'] = _section_load(runner, prefix, cloud, profile, log)
    warm = profile['warmup']
    rss = probe['rss_mib']
    out['long_run'] = {
        'servers': probe['servers'], 'cycles': len(rss),
        'rss_after_warmup_mib': rss[warm - 1], 'rss_end_mib': rss[-1],
        'rss_growth_mib': max(rss[warm - 1:]) - rss[warm - 1],
        'rows_first_cycle': probe['rows'][0],
        'rows_after_warmup_max': max(probe['rows'][warm:]),
        'cycle_s': stats.summary(probe['cycle_s'][warm:]),
    }
    return out


def _section_load(runner: ty.Any, prefix: str, cloud: str, profile: dict,
                  log: ty.Callable[[str], None]) -> dict:
    """Scrapes of a large fleet under concurrency and idle connections."""
    from powervc_osc.simulator import server as sim_server

    log('6. exporter: %d servers, %d idle connections, %d scrapes at once'
        % (profile['load_servers'], profile['half_open'],
           profile['concurrent']))
    sim = sim_server.Simulator(servers=profile['load_servers'],
                               host='127.0.0.1').start()
    try:
        clouds = sim.write_clouds_yaml()
        _sample, probe = run_probe(
            runner, prefix, sim, clouds, cloud, '--cycles', '1',
            '--scrapes', '11', '--concurrent', str(profile['concurrent']),
            '--half-open', str(profile['half_open']), '--all-projects',
            '--max-age', '0', '--max-rate', '0')
    finally:
        sim.stop()
    load = probe['load']
    return {
        'servers': probe['servers'], 'cycle_s': probe['cycle_s'][0],
        'render_s': probe['render_s'], 'page_bytes': probe['scrape_bytes'],
        'gzip_bytes': probe['gzip_bytes'],
        'http_scrape_ms': stats.summary(
            [1000 * s for s in probe['http_scrape_s']]),
        'http_gzip_scrape_ms': stats.summary(
            [1000 * s for s in probe['http_gzip_scrape_s']]),
        'half_open': load['half_open'],
        'half_open_scrape_ms': 1000 * load['half_open_scrape_s'],
        'half_open_first_ms': 1000 * load['half_open_first_s'],
        'plain': load['plain'], 'gzip': load['gzip'],
        'rss_before_mib': load['rss_before_mib'],
        'rss_peak_mib': load['rss_peak_mib'],
        'rss_growth_mib': load['rss_peak_mib'] - load['rss_before_mib'],
        'fleet_render_s': probe['fleet_render_s'],
        'fleet_ms': stats.summary([1000 * s for s in probe['fleet_s']]),
        'fleet_gzip_ms': stats.summary(
            [1000 * s for s in probe['fleet_gzip_s']]),
        'page_ms': stats.summary([1000 * s for s in probe['page_s']]),
        'fleet_bytes': probe['fleet_bytes'],
        'fleet_gzip_bytes': probe['fleet_gzip_bytes'],
    }


def evaluate(section: dict, list_figure: dict | None,
             add: ty.Callable[..., None]) -> None:
    """Add this section's target rows (``add(name, value, limit, ok)``)."""
    cycle = section['cycle']
    limit = TARGETS['cycle_fraction_of_sequential']
    add('exporter: cycle of %d servers at 50 ms / sequential sum'
        % cycle['servers'], round(cycle['fraction'], 3), '< %.2f' % limit,
        cycle['fraction'] < limit)
    if list_figure is not None:
        add('exporter: cycle / refcode list of %d servers (s)'
            % list_figure['servers'], '%.2f / %.2f' % (
                cycle['cycle_s']['median'], list_figure['wall']['median']),
            'about equal', None)
    scrape = cycle['http_scrape_ms']['median']
    add('exporter: scrape of %d servers (HTTP, ms)' % cycle['servers'],
        round(scrape, 1), '< %g' % TARGETS['scrape_ms'],
        scrape < TARGETS['scrape_ms'])
    run = section['long_run']
    add('exporter: RSS growth over %d cycles after warm-up (MiB)'
        % run['cycles'], round(run['rss_growth_mib'], 2),
        '< %g' % TARGETS['rss_growth_mib'],
        run['rss_growth_mib'] < TARGETS['rss_growth_mib'])
    add('exporter: history rows per cycle, unchanged fleet',
        run['rows_after_warmup_max'], '%d' % TARGETS['rows_unchanged'],
        run['rows_after_warmup_max'] == TARGETS['rows_unchanged'])
    load = section.get('load')
    if load:
        _evaluate_load(load, add)


def _evaluate_load(load: dict, add: ty.Callable[..., None]) -> None:
    limit = TARGETS['load_scrape_ms']
    scrape = load['http_scrape_ms']['median']
    add('exporter: scrape of %d servers once rendered (HTTP, ms)'
        % load['servers'], round(scrape, 1), '< %g' % limit, scrape < limit)
    waited = load['half_open_scrape_ms']
    add('exporter: scrape beside %d idle connections (ms, median)'
        % load['half_open'], round(waited, 1), '< %g' % limit,
        waited < limit)
    for kind in ('plain', 'gzip'):
        burst = load[kind]
        add('exporter: %d scrapes at once (%s), unanswered'
            % (burst['concurrent'], kind), burst['unanswered'],
            '%d' % TARGETS['load_unanswered'],
            burst['unanswered'] == TARGETS['load_unanswered'])
    growth = load['rss_growth_mib']
    add('exporter: RSS growth under that load (MiB)', round(growth, 1),
        '< %g' % TARGETS['load_rss_growth_mib'],
        growth < TARGETS['load_rss_growth_mib'])
    if 'fleet_ms' in load:
        _evaluate_fleet_page(load, add)


def _evaluate_fleet_page(load: dict, add: ty.Callable[..., None]) -> None:
    limit = TARGETS['fleet_over_scrape']
    for kind, fleet, scrape in (
            ('plain', load['fleet_ms'], load['http_scrape_ms']),
            ('gzip', load['fleet_gzip_ms'], load['http_gzip_scrape_ms'])):
        ratio = stats.ratio(fleet['median'], scrape['median'])
        add('exporter: /api/fleet / scrape of %d servers (%s)'
            % (load['servers'], kind), round(ratio, 2), '<= %g' % limit,
            ratio <= limit)
    ratio = stats.ratio(load['fleet_render_s'], load['render_s'])
    add('exporter: fleet JSON build / metrics render per poll',
        round(ratio, 2), '<= %g' % limit, ratio <= limit)


def render(section: dict) -> list[str]:
    cycle, run = section['cycle'], section['long_run']
    return [
        '\n6. powervc-osc-exporter',
        '   cycle of %d servers at 50 ms: %.2f s median (first %.2f s), '
        '%.0f compute requests, sequential %.1f s (%.1f%%)' % (
            cycle['servers'], cycle['cycle_s']['median'],
            cycle['first_cycle_s'], cycle['compute_requests_per_cycle'],
            cycle['sequential_s'], 100 * cycle['fraction']),
        '   scrape: %.1f ms in-process, %.1f ms over HTTP (%d bytes)' % (
            cycle['scrape_ms']['median'], cycle['http_scrape_ms']['median'],
            cycle['scrape_bytes']),
        '   %d cycles of %d servers: RSS %.1f -> %.1f MiB (growth %.2f), '
        'history rows: %d first, max %d after warm-up' % (
            run['cycles'], run['servers'], run['rss_after_warmup_mib'],
            run['rss_end_mib'], run['rss_growth_mib'],
            run['rows_first_cycle'], run['rows_after_warmup_max']),
    ] + (_render_load(section['load']) if section.get('load') else [])


def _render_load(load: dict) -> list[str]:
    lines = [
        '   %d servers: poll %.1f s, render %.2f s (%d bytes, %d gzip); '
        'scrape %.1f ms plain, %.1f ms gzip' % (
            load['servers'], load['cycle_s'], load['render_s'],
            load['page_bytes'], load['gzip_bytes'],
            load['http_scrape_ms']['median'],
            load['http_gzip_scrape_ms']['median']),
        '   beside %d idle connections: scrape %.1f ms (median; the first, '
        'queued behind their accepts, %.1f ms)' % (
            load['half_open'], load['half_open_scrape_ms'],
            load['half_open_first_ms'])]
    for kind in ('plain', 'gzip'):
        burst = load[kind]
        lines.append(
            '   %d scrapes at once (%s): %d answered in %.2f s (median '
            '%.2f s, max %.2f s)' % (
                burst['concurrent'], kind, burst['answered'],
                burst['wall_s'], burst['median_s'] or 0,
                burst['max_s'] or 0))
    lines.append('   RSS %.1f MiB before, %.1f MiB peak under load' % (
        load['rss_before_mib'], load['rss_peak_mib']))
    if 'fleet_ms' in load:
        lines.append(
            '   fleet page: JSON built in %.2f s per poll (%d bytes, %d '
            'gzip); GET /api/fleet %.1f ms plain, %.1f ms gzip; GET / '
            '%.1f ms' % (
                load['fleet_render_s'], load['fleet_bytes'],
                load['fleet_gzip_bytes'], load['fleet_ms']['median'],
                load['fleet_gzip_ms']['median'],
                load['page_ms']['median']))
    return lines
