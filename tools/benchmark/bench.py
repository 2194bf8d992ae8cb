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

"""The benchmark (issue 6): plugin commands vs OSC's generic path.

The simulator runs in this process on 127.0.0.1 with injected latency;
every command is the real ``openstack`` executable run as a subprocess
(A and B runs interleaved, medians reported).  Sections:

1. round trips (from the simulator's request log);
2. wall time of ``refcode show``/``set`` vs ``server show``/``set``
   at 0 and 50 ms;
3. start-up cost the plugin adds to other commands (virtualenvs with and
   without it) and the import time of its command module;
4. fleet: ``refcode list`` of 100/500/1000 servers at 50 ms vs the
   sequential sum and vs a shell loop of ``server show``;
5. peak memory (max RSS) of those ``refcode list`` runs;
6. ``powervc-osc-exporter``: a poll cycle, a scrape, memory and history
   rows over many cycles (:mod:`tools.benchmark.exporter`);
7. 10,011 servers: fresh (default options and ``--max-rate 0``) and warm
   ``refcode list`` and the exporter, side by side with OSC's ``server
   list --long`` and beside their floors (:mod:`.fleet10k`).
8. ``history --prometheus`` over 10,000 servers and a week, backfilled
   into a local Prometheus (:mod:`.promhistory`).
9. the client's CPU per metadata GET beside a bare ``http.client`` loop
   (:mod:`.cpu`).

Usage: ``python -m tools.benchmark [--quick] [--output FILE]``.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import typing as ty

from tools.benchmark import cpu
from tools.benchmark import exporter
from tools.benchmark import fleet10k
from tools.benchmark import promhistory
from tools.benchmark import stats
from tools.benchmark import venvs

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
RESULTS = os.path.join(REPO, 'tools', 'benchmark', 'results')
CLOUD = 'powervc-simulator'
KEY = 'powervc:vm_refcode_required'
SERVER = 'ibmi-prod-1'
LATENCY_MS = 50.0
COMMAND_TIMEOUT = 300
MIB = 1024.0

PROFILES = {
    'full': {'rounds_rt': 2, 'rounds_wall': 11, 'rounds_startup': 15,
             'rounds_import': 11, 'rounds_fleet': 3,
             'fleet_sizes': (100, 500, 1000), 'loop_servers': 20},
    'quick': {'rounds_rt': 1, 'rounds_wall': 3, 'rounds_startup': 5,
              'rounds_import': 3, 'rounds_fleet': 1,
              'fleet_sizes': (100, 500, 1000), 'loop_servers': 5},
}

TARGETS = {
    'show_compute_requests': 2,
    'show_ratio_50ms': 0.95,
    'set_ratio_50ms': 0.90,
    'startup_ratio': 1.01,
    'fleet_fraction_of_sequential': 0.20,
    'memory_mib': 150.0,
}

# Prints the modules an openstack run imported (start-up section).
MODULES_WRAPPER = '''
import atexit, os, sys
before = set(sys.modules)
def dump():
    with open(os.environ["BENCH_MODULES_FILE"], "w") as f:
        f.write("\\n".join(sorted(set(sys.modules) - before)))
atexit.register(dump)
from openstackclient.shell import main
sys.argv[0] = "openstack"
sys.exit(main(sys.argv[1:]))
'''

# What OSC has imported before it loads the command modules (osc-lib's
# command base) and before a refcode command imports the client (all of
# OSC's shell, keystoneauth included).
IMPORT_PROBES = {
    'powervc_osc.osc.refcode': 'import argparse, os, typing; '
                               'import osc_lib.command.command',
    'powervc_osc.osc.explain': 'import argparse, os, typing; '
                               'import osc_lib.command.command',
    'powervc_osc.osc.history': 'import argparse, os, typing; '
                               'import osc_lib.command.command',
    'powervc_osc.client': 'import concurrent.futures, openstackclient.shell',
}

#: The plugin's command modules, which OSC may import for any command.
COMMAND_MODULES = ('powervc_osc.osc.refcode', 'powervc_osc.osc.explain',
                   'powervc_osc.osc.history')
#: Modules only a refcode command may load (the explanation table, the
#: history store and sqlite3).
LAZY_MODULES = frozenset(('powervc_osc.codes', 'powervc_osc.history.store',
                          'sqlite3'))


def log(message: str) -> None:
    sys.stderr.write('[bench %s] %s\n' % (time.strftime('%H:%M:%S'), message))
    sys.stderr.flush()


class CommandFailed(RuntimeError):
    pass


class Runner:
    """Runs commands as subprocesses, with rusage and the request log."""

    def __init__(self, workdir: str) -> None:
        self.workdir = workdir
        self.current: subprocess.Popen | None = None
        # Children may write bytecode, into a cache of their own (tox sets
        # PYTHONDONTWRITEBYTECODE; users' installs have .pyc files).
        self.pycache = os.path.join(workdir, 'pycache')

    def env(self, clouds_yaml: str | None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith('OS_')
               and k not in ('PYTHONDONTWRITEBYTECODE', 'PYTHONPATH')}
        env['OS_CLIENT_CONFIG_FILE'] = clouds_yaml or os.devnull
        env['PYTHONWARNINGS'] = 'ignore'
        env['PYTHONPYCACHEPREFIX'] = self.pycache
        return env

    def run(self, argv: list[str], sim: ty.Any = None,
            clouds_yaml: str | None = None, check: bool = True,
            extra_env: dict | None = None, stdout_path: str | None = None,
            ) -> dict:
        """Run ``argv``; return wall/CPU time, max RSS and requests."""
        env = self.env(clouds_yaml)
        env.update(extra_env or {})
        if sim is not None:
            sim.requests.clear()
        err_path = os.path.join(self.workdir, 'stderr.txt')
        out_path = stdout_path or os.path.join(self.workdir, 'stdout.txt')
        with open(err_path, 'w') as err, open(out_path, 'w') as out:
            started = time.monotonic()
            proc = self.current = subprocess.Popen(
                argv, stdout=out, stderr=err, env=env, cwd=self.workdir)
            timer = threading.Timer(COMMAND_TIMEOUT, proc.kill)
            timer.start()
            try:
                _pid, status, usage = os.wait4(proc.pid, 0)
            finally:
                timer.cancel()
            ended = time.monotonic()
            proc.returncode = os.waitstatus_to_exitcode(status)
            self.current = None
        sample = {'wall': ended - started,
                  'cpu': usage.ru_utime + usage.ru_stime,
                  'rss_kib': usage.ru_maxrss, 'rc': proc.returncode}
        if check and proc.returncode != 0:
            with open(err_path) as f:
                raise CommandFailed('%s exited %d: %s' % (
                    ' '.join(argv), proc.returncode, f.read()[-2000:]))
        if sim is not None:
            records = sim.requests.snapshot()
            sample.update(requests_summary(records, started, ended))
        return sample

    def kill(self) -> None:
        proc = self.current
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()


def requests_summary(records: list, started: float, ended: float) -> dict:
    kinds = [stats.request_kind(r.path) for r in records]
    compute = [(r.started, r.finished) for r, k in zip(records, kinds)
               if k == 'compute']
    out = {'identity': kinds.count('identity'),
           'discovery': kinds.count('discovery'),
           'compute': kinds.count('compute'),
           'total_requests': len(records),
           'compute_waves': stats.waves(compute),
           'log': [[r.method, stats.request_kind(r.path), r.status,
                    round(r.started - started, 4),
                    round(r.finished - started, 4)] for r in records]}
    if records:
        out['to_first_request'] = records[0].started - started
        out['request_span'] = (max(r.finished for r in records)
                               - records[0].started)
        out['after_last_answer'] = ended - max(r.finished for r in records)
    return out


def openstack(prefix: str, *args: str) -> list[str]:
    return [os.path.join(prefix, 'bin', 'openstack'), '--os-cloud', CLOUD,
            *args]


def interleave(runner: Runner, variants: list[tuple[str, list[str]]],
               rounds: int, warmup: int = 1, **kwargs: ty.Any,
               ) -> dict[str, list[dict]]:
    """Run every variant ``rounds`` times, rotating the order per round."""
    results: dict[str, list[dict]] = {name: [] for name, _ in variants}
    for _ in range(warmup):
        for name, argv in variants:
            runner.run(argv, **kwargs)
    for order in stats.rotations(rounds, len(variants)):
        for index in order:
            name, argv = variants[index]
            results[name].append(runner.run(argv, **kwargs))
    return results


def med(samples: list[dict], field: str = 'wall') -> float | None:
    return stats.median([s[field] for s in samples if s.get(field)
                         is not None])


# -- sections ----------------------------------------------------------


def section_round_trips(runner: Runner, sim: ty.Any, clouds: str,
                        prefix: str, rounds: int) -> dict:
    log('1. round trips at %g ms' % LATENCY_MS)
    sim.latency_ms = LATENCY_MS
    uuid = sim.server_id(SERVER)
    commands = {
        'refcode show <uuid>': openstack(prefix, 'server', 'refcode', 'show',
                                         uuid),
        'refcode show <name>': openstack(prefix, 'server', 'refcode', 'show',
                                         SERVER),
        'refcode set --enable <name>': openstack(
            prefix, 'server', 'refcode', 'set', '--enable', SERVER),
        'server show -c properties <uuid>': openstack(
            prefix, 'server', 'show', '-c', 'properties', uuid),
        'server set --property <name>': openstack(
            prefix, 'server', 'set', '--property', '%s=true' % KEY, SERVER),
    }
    out = {}
    for name, argv in commands.items():
        samples = [runner.run(argv, sim=sim, clouds_yaml=clouds)
                   for _ in range(rounds)]
        counts = {k: max(s[k] for s in samples) for k in
                  ('identity', 'discovery', 'compute', 'compute_waves')}
        counts['stable'] = len({(s['identity'], s['discovery'],
                                 s['compute']) for s in samples}) == 1
        counts['log'] = samples[-1]['log']
        out[name] = counts
    return out


def section_wall(runner: Runner, sim: ty.Any, clouds: str, prefix: str,
                 rounds: int) -> dict:
    uuid = sim.server_id(SERVER)
    pairs = {
        'show': [
            ('refcode show <uuid>',
             openstack(prefix, 'server', 'refcode', 'show', uuid)),
            ('server show -c properties <uuid>',
             openstack(prefix, 'server', 'show', '-c', 'properties', uuid))],
        'set': [
            ('refcode set --enable <name>',
             openstack(prefix, 'server', 'refcode', 'set', '--enable',
                       SERVER)),
            ('server set --property <name>',
             openstack(prefix, 'server', 'set', '--property',
                       '%s=true' % KEY, SERVER))],
    }
    out: dict = {}
    for latency in (0.0, LATENCY_MS):
        log('2. wall time at %g ms (%d rounds)' % (latency, rounds))
        sim.latency_ms = latency
        variants = pairs['show'] + pairs['set']
        # Rotate within each pair, pairs alternating.
        results: dict[str, list[dict]] = {n: [] for n, _ in variants}
        for name, argv in variants:
            runner.run(argv, sim=sim, clouds_yaml=clouds)
        for order in stats.rotations(rounds, 2):
            for pair in ('show', 'set'):
                for index in order:
                    name, argv = pairs[pair][index]
                    results[name].append(
                        runner.run(argv, sim=sim, clouds_yaml=clouds))
        per = {}
        for pair, ((a_name, _), (b_name, _)) in pairs.items():
            a, b = results[a_name], results[b_name]
            per[pair] = {
                'a': a_name, 'b': b_name,
                'a_wall': stats.summary([s['wall'] for s in a]),
                'b_wall': stats.summary([s['wall'] for s in b]),
                'a_cpu': med(a, 'cpu'), 'b_cpu': med(b, 'cpu'),
                'ratio': stats.ratio(med(a), med(b)),
                'gap': med(b) - med(a),
                'a_phases': phases(a), 'b_phases': phases(b),
                'a_samples': [round(s['wall'], 4) for s in a],
                'b_samples': [round(s['wall'], 4) for s in b],
            }
        out['%g' % latency] = per
    return out


def phases(samples: list[dict]) -> dict:
    return {k: med(samples, k) for k in
            ('to_first_request', 'request_span', 'after_last_answer')}


def section_startup(runner: Runner, sim: ty.Any, clouds: str,
                    prefixes: dict[str, str], rounds: int,
                    import_rounds: int) -> dict:
    sim.latency_ms = 0.0
    uuid = sim.server_id(SERVER)
    out: dict = {'venvs': prefixes}
    for label, args in (('openstack --version', ('--version',)),
                        ('openstack server show <uuid>',
                         ('server', 'show', uuid))):
        log('3. start-up: %s (%d rounds x %d virtualenvs)'
            % (label, rounds, len(prefixes)))
        variants = [(name, openstack(prefix, *args))
                    for name, prefix in prefixes.items()]
        res = interleave(runner, variants, rounds, warmup=2,
                         clouds_yaml=clouds)
        entry = {name: {'wall': stats.summary([s['wall'] for s in r]),
                        'cpu': med(r, 'cpu'), 'rss_mib': med(r, 'rss_kib')
                        / MIB, 'samples': [round(s['wall'], 4) for s in r]}
                 for name, r in res.items()}
        base = entry['baseline']
        for name in entry:
            entry[name]['ratio'] = stats.ratio(
                entry[name]['wall']['median'], base['wall']['median'])
            entry[name]['cpu_ratio'] = stats.ratio(entry[name]['cpu'],
                                                   base['cpu'])
        out[label] = entry
    # Which modules the plugin adds to each command (deterministic).
    out['modules_added'] = {}
    for label, args in (('openstack --version', ('--version',)),
                        ('openstack server show <uuid>',
                         ('server', 'show', uuid))):
        modules = {}
        for name, prefix in prefixes.items():
            path = os.path.join(runner.workdir, 'modules-%s.txt' % name)
            runner.run([os.path.join(prefix, 'bin', 'python'), '-c',
                        MODULES_WRAPPER, '--os-cloud', CLOUD, *args],
                       clouds_yaml=clouds,
                       extra_env={'BENCH_MODULES_FILE': path})
            with open(path) as f:
                modules[name] = set(f.read().split())
        out['modules_added'][label] = {
            name: sorted(mods - modules['baseline'])
            for name, mods in modules.items() if name != 'baseline'}
    # Import time of the command module (OSC loads it for every compute
    # command) and of the client (only when a refcode command runs).
    log('3. import time (%d rounds)' % import_rounds)
    python = os.path.join(prefixes['plugin'], 'bin', 'python')
    imports = {}
    for module, preload in IMPORT_PROBES.items():
        values = []
        for _ in range(import_rounds + 1):
            proc = subprocess.run(
                [python, '-X', 'importtime', '-c',
                 '%s; import %s' % (preload, module)],
                capture_output=True, text=True, env=runner.env(None),
                check=True)
            values.append(importtime_of(proc.stderr, module))
        imports[module] = stats.summary(values[1:])
    out['import_us'] = imports
    return out


def importtime_of(stderr: str, module: str) -> int:
    """Cumulative microseconds of ``module`` in ``-X importtime`` output."""
    pattern = re.compile(r'import time:\s+(\d+) \|\s+(\d+) \|\s*(\S+)$')
    for line in stderr.splitlines():
        match = pattern.match(line.strip())
        if match and match.group(3) == module:
            return int(match.group(2))
    raise ValueError('%s not in -X importtime output' % module)


def section_fleet(runner: Runner, sizes: ty.Sequence[int], prefix: str,
                  rounds: int, loop_servers: int) -> dict:
    from powervc_osc.simulator import server as sim_server

    out: dict = {'sizes': {}}
    for size in sizes:
        log('4/5. refcode list of %d servers at %g ms (%d rounds)'
            % (size, LATENCY_MS, rounds))
        sim = sim_server.Simulator(servers=size, latency_ms=LATENCY_MS,
                                   host='127.0.0.1').start()
        try:
            clouds = sim.write_clouds_yaml()
            # Every code read fresh: what this section has measured since
            # issue 6 (section 7 measures the defaults).
            argv = openstack(prefix, 'server', 'refcode', 'list',
                             '--max-age', '0')
            rows_path = os.path.join(runner.workdir, 'list.txt')
            samples = [runner.run(argv, sim=sim, clouds_yaml=clouds,
                                  stdout_path=rows_path)
                       for _ in range(rounds)]
            with open(rows_path) as f:
                rows = sum(1 for line in f if line.startswith('| ')) - 1
            requests = max(s['total_requests'] for s in samples)
            sequential = requests * LATENCY_MS / 1000.0
            entry = {
                'servers': size, 'rows': rows,
                'wall': stats.summary([s['wall'] for s in samples]),
                'requests': requests,
                'compute': max(s['compute'] for s in samples),
                'sequential_s': sequential,
                'fraction': stats.ratio(med(samples), sequential),
                'rss_mib': stats.summary([s['rss_kib'] / MIB
                                          for s in samples]),
                'cpu': med(samples, 'cpu'),
                'phases': phases(samples),
            }
            if 'loop_per_server' not in out:
                out['loop_per_server'] = shell_loop(
                    runner, sim, clouds, prefix, loop_servers)
            entry['shell_loop_s'] = out['loop_per_server'] * rows
            entry['loop_ratio'] = stats.ratio(entry['wall']['median'],
                                              entry['shell_loop_s'])
            out['sizes'][str(size)] = entry
        finally:
            sim.stop()
    return out


def shell_loop(runner: Runner, sim: ty.Any, clouds: str, prefix: str,
               count: int) -> float:
    """Seconds per server of ``for id ...; do openstack server show``."""
    log('4. shell loop of `openstack server show` over %d servers' % count)
    from powervc_osc.simulator import records as sim_records

    project = sim_records.PROJECTS[sim_records.PROJECT_DEFAULT]
    ids = [s.id for s in sim.state.servers()
           if s.project_id == project][:count]
    script = ('for id in %s; do "$1" --os-cloud %s server show "$id" '
              '>/dev/null || exit 1; done' % (' '.join(ids), CLOUD))
    sample = runner.run(['bash', '-c', script, 'loop',
                         os.path.join(prefix, 'bin', 'openstack')],
                        clouds_yaml=clouds)
    return sample['wall'] / len(ids)


# -- report ------------------------------------------------------------


def machine() -> dict:
    model = platform.processor() or ''
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    model = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    versions = {}
    for dist in ('python-openstackclient', 'osc-lib', 'openstacksdk',
                 'keystoneauth1', 'cliff', 'stevedore', 'Werkzeug'):
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            versions[dist] = None
    return {'nproc': os.cpu_count(), 'cpu': model,
            'python': platform.python_version(),
            'platform': platform.platform(), 'versions': versions}


def evaluate(results: dict) -> list[dict]:
    """One row per target: measure, value, target and verdict."""
    rows = []

    def add(name, value, target, ok):
        rows.append({'target': name, 'value': value, 'limit': target,
                     'verdict': stats.verdict(ok)})

    rt = results.get('round_trips')
    if rt:
        show = rt['refcode show <uuid>']
        add('show <uuid>: compute requests', show['compute'], '<= 2',
            show['compute'] <= 2)
        add('show <uuid>: compute round trips (overlap)',
            show['compute_waves'], '1', show['compute_waves'] == 1)
        add('show <uuid>: compute version discovery', show['discovery'],
            '0', show['discovery'] == 0)
        for name in ('refcode show <name>', 'refcode set --enable <name>'):
            add('%s: compute requests' % name[8:], rt[name]['compute'],
                '<= 2', rt[name]['compute'] <= 2)
    wall = results.get('wall')
    if wall:
        at50 = wall['%g' % LATENCY_MS]
        value = at50['show']['ratio']
        add('show <uuid> at 50 ms vs server show -c properties',
            round(value, 3), '<= %.2f' % TARGETS['show_ratio_50ms'],
            value <= TARGETS['show_ratio_50ms'])
        gap0, gap50 = wall['0']['show']['gap'], at50['show']['gap']
        add('show: gap grows with latency (s at 0 -> 50 ms)',
            '%.3f -> %.3f' % (gap0, gap50), 'grows', gap50 > gap0)
        value = at50['set']['ratio']
        add('set <name> at 50 ms vs server set --property', round(value, 3),
            '<= %.2f' % TARGETS['set_ratio_50ms'],
            value <= TARGETS['set_ratio_50ms'])
    startup = results.get('startup')
    if startup:
        for label in ('openstack --version', 'openstack server show <uuid>'):
            value = startup[label]['plugin']['ratio']
            add('start-up: %s with plugin / without' % label,
                round(value, 4), '< %.2f' % TARGETS['startup_ratio'],
                value < TARGETS['startup_ratio'])
        # The deterministic part: what the added modules cost to import,
        # against the command they are added to.
        added = sum(startup['import_us'][module]['median']
                    for module in COMMAND_MODULES)
        base = startup['openstack server show <uuid>']['baseline']['wall'][
            'median']
        value = added / 1e6 / base
        add('start-up: import of the added modules / server show',
            '%.2f%%' % (100 * value), '< 1%', value < 0.01)
        # The explanation table is loaded by refcode commands only.
        loaded = sorted({module
                         for per_venv in startup['modules_added'].values()
                         for mods in per_venv.values() for module in mods
                         if module in LAZY_MODULES})
        add('start-up: table and history store not loaded by other '
            'commands',
            ', '.join(loaded) or 'not loaded', 'not loaded', not loaded)
    fleet = results.get('fleet')
    if fleet and fleet['sizes']:
        sizes = fleet['sizes']
        largest = sizes[max(sizes, key=int)]
        add('list %s servers at 50 ms / sequential sum' % largest['servers'],
            round(largest['fraction'], 3),
            '< %.2f' % TARGETS['fleet_fraction_of_sequential'],
            largest['fraction'] < TARGETS['fleet_fraction_of_sequential'])
        rss = largest['rss_mib']['median']
        add('list %s servers: peak RSS MiB' % largest['servers'],
            round(rss, 1), '< %g' % TARGETS['memory_mib'],
            rss < TARGETS['memory_mib'])
        memory = fleet.get('memory')
        if memory:
            add('list: RSS growth at most linear (KiB/server, low -> high)',
                '%.1f -> %.1f' % (memory['slope_low_kib'],
                                  memory['slope_high_kib']),
                'high <= 1.5 x low + 2', memory['linear'])
    if results.get('exporter'):
        sizes = (fleet or {}).get('sizes', {})
        exporter.evaluate(results['exporter'],
                          sizes.get(str(exporter.PROFILES['full']['servers'])),
                          add)
    if results.get('fleet10k'):
        fleet10k.evaluate(results['fleet10k'], add)
    if results.get('cpu'):
        cpu.evaluate(results['cpu'], add)
    if results.get('promhistory'):
        promhistory.evaluate(results['promhistory'], add)
    return rows


def memory_fit(fleet: dict) -> dict | None:
    sizes = sorted(fleet['sizes'].values(), key=lambda e: e['servers'])
    if len(sizes) < 3:
        return None
    xs = [e['servers'] for e in sizes]
    ys = [e['rss_mib']['median'] * MIB for e in sizes]   # KiB
    slope, intercept, r2 = stats.linear_fit(xs, ys)
    low = (ys[1] - ys[0]) / (xs[1] - xs[0])
    high = (ys[-1] - ys[-2]) / (xs[-1] - xs[-2])
    return {'slope_kib_per_server': slope, 'intercept_mib': intercept / MIB,
            'r2': r2, 'slope_low_kib': low, 'slope_high_kib': high,
            'linear': high <= 1.5 * max(low, 0.0) + 2.0}


def render(results: dict) -> str:
    lines = []
    m = results['machine']
    lines.append('Machine: %s CPU(s), %s; Python %s; OSC %s, osc-lib %s, '
                 'openstacksdk %s, keystoneauth1 %s; load %s -> %s' % (
                     m['nproc'], m['cpu'], m['python'],
                     m['versions']['python-openstackclient'],
                     m['versions']['osc-lib'], m['versions']['openstacksdk'],
                     m['versions']['keystoneauth1'],
                     results['load_start'], results['load_end']))
    rt = results.get('round_trips')
    if rt:
        lines.append('\n1. Requests at %g ms (identity / compute discovery'
                     ' / compute API, compute round trips)' % LATENCY_MS)
        for name, c in rt.items():
            lines.append('   %-36s %d / %d / %d, %d' % (
                name, c['identity'], c['discovery'], c['compute'],
                c['compute_waves']))
    wall = results.get('wall')
    if wall:
        lines.append('\n2. Wall time, median s (A vs B, ratio A/B)')
        for latency, per in wall.items():
            for pair in per.values():
                lines.append('   %4s ms  %-30s %.3f  vs  %-34s %.3f  %.3f' % (
                    latency, pair['a'], pair['a_wall']['median'], pair['b'],
                    pair['b_wall']['median'], pair['ratio']))
    st = results.get('startup')
    if st:
        lines.append('\n3. Start-up, median wall s (CPU s) per virtualenv')
        for label in ('openstack --version', 'openstack server show <uuid>'):
            lines.append('   %-30s %s' % (label, '  '.join(
                '%s %.3f (%.3f) x%.4f' % (n, e['wall']['median'], e['cpu'],
                                          e['ratio'])
                for n, e in st[label].items())))
        for label, added in st['modules_added'].items():
            lines.append('   modules added to `%s`: plugin %s' % (
                label, added['plugin']))
        for module, s in st['import_us'].items():
            lines.append('   import %s: %.1f ms (median of %d)' % (
                module, s['median'] / 1000.0, s['n']))
    fleet = results.get('fleet')
    if fleet:
        lines.append('\n4/5. refcode list at %g ms' % LATENCY_MS)
        for e in fleet['sizes'].values():
            lines.append(
                '   %5d servers: %.2f s, %d requests, sequential %.1f s '
                '(%.1f%%), shell loop ~%.0f s (x%.3f), RSS %.1f MiB' % (
                    e['servers'], e['wall']['median'], e['requests'],
                    e['sequential_s'], 100 * e['fraction'],
                    e['shell_loop_s'], e['loop_ratio'],
                    e['rss_mib']['median']))
        if fleet.get('memory'):
            mem = fleet['memory']
            lines.append('   RSS fit: %.1f MiB + %.1f KiB/server (r2 %.3f)'
                         % (mem['intercept_mib'],
                            mem['slope_kib_per_server'], mem['r2']))
    if results.get('exporter'):
        lines += exporter.render(results['exporter'])
    if results.get('fleet10k'):
        lines += fleet10k.render(results['fleet10k'])
    if results.get('cpu'):
        lines += cpu.render(results['cpu'])
    if results.get('promhistory'):
        lines += promhistory.render(results['promhistory'])
    lines.append('\nTargets')
    for row in results['targets']:
        lines.append('   %-4s %-62s %-16s %s' % (
            row['verdict'], row['target'], row['value'], row['limit']))
    return '\n'.join(lines)


# -- main --------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog='python -m tools.benchmark', description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--quick', action='store_true',
                        help='few repetitions (about 2 minutes); for '
                             'checking the benchmark, not for numbers')
    parser.add_argument('--output', metavar='FILE',
                        help='raw results (JSON); default: tools/benchmark/'
                             'results/benchmark-results.json (quick.json '
                             'with --quick)')
    parser.add_argument('--sections',
                        default='rt,wall,startup,fleet,exporter,cpu,'
                                'fleet10k,promhistory',
                        help='comma-separated subset of rt,wall,startup,'
                             'fleet,exporter,cpu,fleet10k,promhistory '
                             '(default: all)')
    parser.add_argument('--venv-dir', metavar='DIR',
                        help='where the start-up virtualenvs are cached '
                             '(default: %s)' % venvs.default_root())
    return parser.parse_args(argv)


def _terminate(signum, frame):
    raise KeyboardInterrupt()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    profile = PROFILES['quick' if args.quick else 'full']
    sections = set(args.sections.split(','))
    output = args.output or os.path.join(
        RESULTS, 'quick.json' if args.quick else 'benchmark-results.json')
    prefix = sys.prefix
    if not os.path.exists(os.path.join(prefix, 'bin', 'openstack')):
        log('no openstack executable in %s' % prefix)
        return 2
    signal.signal(signal.SIGTERM, _terminate)

    from powervc_osc.simulator import server as sim_server

    results: dict = {
        'command': 'python -m tools.benchmark' + (
            ' --quick' if args.quick else ''),
        'date': datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec='seconds'),
        'profile': profile, 'latency_ms': LATENCY_MS, 'targets_spec':
        TARGETS, 'machine': machine(),
        'load_start': [round(x, 2) for x in os.getloadavg()],
        'plugin_venv': prefix,
    }
    workdir = tempfile.mkdtemp(prefix='powervc-osc-bench-')
    runner = Runner(workdir)
    sim = None
    started = time.monotonic()
    try:
        prefixes = None
        if 'startup' in sections:
            built = venvs.prepare(REPO, args.venv_dir, log=log)
            prefixes = {'baseline': built['baseline'],
                        'plugin': built['plugin'], 'dev': prefix}
        sim = sim_server.Simulator(host='127.0.0.1', step_seconds=0.2)
        sim.start()
        clouds = sim.write_clouds_yaml()
        log('simulator on %s; results -> %s' % (sim.url, output))
        if 'rt' in sections:
            results['round_trips'] = section_round_trips(
                runner, sim, clouds, prefix, profile['rounds_rt'])
        if 'wall' in sections:
            results['wall'] = section_wall(runner, sim, clouds, prefix,
                                           profile['rounds_wall'])
        if prefixes:
            results['startup'] = section_startup(
                runner, sim, clouds, prefixes, profile['rounds_startup'],
                profile['rounds_import'])
        sim.stop()
        sim = None
        if 'fleet' in sections:
            fleet = section_fleet(runner, profile['fleet_sizes'], prefix,
                                  profile['rounds_fleet'],
                                  profile['loop_servers'])
            fleet['memory'] = memory_fit(fleet)
            results['fleet'] = fleet
        if 'exporter' in sections:
            results['exporter'] = exporter.section_exporter(
                runner, prefix, args.quick, CLOUD, LATENCY_MS, log)
        if 'cpu' in sections:
            results['cpu'] = cpu.section_cpu(args.quick, log)
        if 'fleet10k' in sections:
            results['fleet10k'] = fleet10k.section_fleet10k(
                runner, prefix, args.quick, CLOUD, LATENCY_MS, log,
                exporter.run_probe)
        if 'promhistory' in sections:
            results['promhistory'] = promhistory.section_promhistory(
                args.quick, log)
    except KeyboardInterrupt:
        log('interrupted')
        return 130
    finally:
        runner.kill()
        if sim is not None:
            sim.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    results['load_end'] = [round(x, 2) for x in os.getloadavg()]
    results['duration_s'] = round(time.monotonic() - started, 1)
    results['targets'] = evaluate(results)
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    with open(output, 'w') as f:
        json.dump(results, f, indent=1, sort_keys=True)
        f.write('\n')
    print(render(results))
    log('done in %.0f s; raw results in %s'
        % (results['duration_s'], output))
    return 1 if any(r['verdict'] == 'FAIL' for r in results['targets']) \
        else 0
