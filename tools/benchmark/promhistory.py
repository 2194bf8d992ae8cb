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

"""Benchmark section 8: ``history --prometheus`` over a fleet and a week.

Issue 27. A week of the exporter's series for 10,000 servers is written
as OpenMetrics and backfilled with ``promtool tsdb create-blocks-from
openmetrics`` into the storage of a local Prometheus (Debian's), so that
no week of scraping is needed; the blocks are cached. Then
:class:`~powervc_osc.history.prometheus.PrometheusHistory` answers, in
this process, for every server over the 7 days, and for one server; the
wall time and the number of requests sent are reported.

Every tenth server IPLs once in the week (three codes, each held two
scrapes, then its steady code again): about 4,000 changes. ``--quick``
uses 1,000 servers over one day.

Run alone: ``python -m tools.benchmark.promhistory [--quick]
[--without-first-pass]`` (the second: every server read edge by edge, as
before the first pass, for comparison).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import typing as ty

PROFILES = {'full': {'servers': 10000, 'days': 7, 'interval': 300},
            'quick': {'servers': 1000, 'days': 1, 'interval': 300}}
TARGETS = {'fleet_s': 10.0}
#: The end of the generated week (a fixed time: the blocks are cached).
END = 1_790_000_000
DAY = 86400
IPL = (('C2001000', 'IPL_in_progress', 'progress'),
       ('C6004031', 'LIC_IPL_in_progress', 'progress'),
       ('C9002960', 'OS_IPL_in_progress', 'progress'))
STEADY = ('00000000', 'Running', 'running')
CACHE = os.path.join(os.environ.get('XDG_CACHE_HOME') or os.path.join(
    os.path.expanduser('~'), '.cache'), 'powervc-osc-bench')


def _segments(n: int, start: int, end: int, interval: int,
              ) -> list[tuple[tuple[str, str, str], int, int]]:
    """(code, first, last sample time) of server ``n``'s series."""
    if n % 10:
        return [(STEADY, start, end)]
    days = (end - start) // DAY
    ipl = start + (n // 10 % max(1, days)) * DAY + 3 * 3600 + (n % 60) * 5
    ipl -= (ipl - start) % interval
    held = 2 * interval
    segments = [(STEADY, start, ipl - interval)]
    for index, code in enumerate(IPL):
        first = ipl + index * held
        segments.append((code, first, first + held - interval))
    segments.append((STEADY, ipl + len(IPL) * held, end))
    return segments


def write_openmetrics(path: str, servers: int, days: int,
                      interval: int) -> int:
    """The exporter's series over ``days``; the number of samples."""
    start = END - days * DAY
    start -= start % interval
    count = 0
    families = (('powervc_refcode_info', lambda t: '1'),
                ('powervc_refcode_query_timestamp_seconds',
                 lambda t: '%d' % (t - 30)))
    with open(path, 'w') as out:
        for family, value in families:
            out.write('# TYPE %s gauge\n' % family)
            for n in range(servers):
                sid = 'srv-%05d' % n
                for code, first, last in _segments(n, start, END, interval):
                    if family == 'powervc_refcode_info':
                        labels = (
                            'cloud="powervc",server_id="%s",server_name='
                            '"lpar-%05d",host="h%d",refcode="%s",led_code='
                            '"%s",category="%s",job="powervc-refcode",'
                            'instance="exporter:9464"'
                            % ((sid, n, n % 3) + code))
                    else:
                        labels = ('cloud="powervc",server_id="%s",job='
                                  '"powervc-refcode",instance="exporter:9464"'
                                  % sid)
                    lines = ['%s{%s} %s %d\n' % (family, labels, value(t), t)
                             for t in range(first, last + 1, interval)]
                    out.writelines(lines)
                    count += len(lines)
        out.write('# EOF\n')
    return count


def storage(profile: dict, log: ty.Callable[[str], None]) -> tuple[str, dict]:
    """The cached TSDB folder of ``profile`` (built on first use)."""
    name = 'promhistory-%(servers)d-%(days)dd-%(interval)ds' % profile
    folder = os.path.join(CACHE, name)
    meta_path = os.path.join(folder, 'meta.json')
    if os.path.exists(meta_path):
        with open(meta_path) as f:
            return folder, json.load(f)
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(os.path.join(folder, 'data'))
    with tempfile.TemporaryDirectory(prefix='promhistory-') as work:
        source = os.path.join(work, 'series.om')
        started = time.monotonic()
        samples = write_openmetrics(source, profile['servers'],
                                    profile['days'], profile['interval'])
        written = time.monotonic() - started
        log('  wrote %d samples in %.0f s; backfilling' % (samples, written))
        started = time.monotonic()
        subprocess.run(['promtool', 'tsdb', 'create-blocks-from',
                        'openmetrics', '-q', source,
                        os.path.join(folder, 'data')], check=True)
        meta = {'samples': samples, 'generate_s': round(written, 1),
                'backfill_s': round(time.monotonic() - started, 1)}
    with open(meta_path, 'w') as f:
        json.dump(meta, f)
    return folder, meta


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return int(sock.getsockname()[1])


def _start_prometheus(folder: str, interval: int) -> tuple[ty.Any, str]:
    import urllib.request

    config = os.path.join(folder, 'prometheus.yml')
    with open(config, 'w') as f:
        f.write('global: {scrape_interval: %ds}\nscrape_configs: []\n'
                % interval)
    port = _free_port()
    url = 'http://127.0.0.1:%d' % port
    log_file = open(os.path.join(folder, 'prometheus.log'), 'w')
    process = subprocess.Popen(
        ['prometheus', '--config.file', config,
         '--storage.tsdb.path', os.path.join(folder, 'data'),
         '--storage.tsdb.retention.time', '100y',
         '--query.lookback-delta', '%ds' % (2 * interval),
         '--web.listen-address', '127.0.0.1:%d' % port],
        stdout=log_file, stderr=subprocess.STDOUT)
    log_file.close()
    deadline = time.monotonic() + 120
    while True:
        try:
            # A loopback URL built here.
            urllib.request.urlopen(url + '/-/ready',  # nosec B310
                                   timeout=5).close()
            return process, url
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError('Prometheus did not start; see %s'
                                   % os.path.join(folder, 'prometheus.log'))
            time.sleep(0.5)


def _timed(source: ty.Any, **query: ty.Any) -> dict:
    sent = source.queries
    started = time.monotonic()
    rows = source.changes(**query)
    return {'wall_s': round(time.monotonic() - started, 2),
            'queries': source.queries - sent, 'rows': len(rows)}


def section_promhistory(quick: bool, log: ty.Callable[[str], None],
                        first_pass: bool = True) -> dict:
    import datetime

    from powervc_osc.history import prometheus

    profile = PROFILES['quick' if quick else 'full']
    missing = [b for b in ('prometheus', 'promtool') if not shutil.which(b)]
    if missing:
        log('8. history --prometheus: skipped, no %s (Debian package '
            'prometheus)' % ' and '.join(missing))
        return {'skipped': 'no ' + ', '.join(missing)}
    log('8. history --prometheus: %(servers)d servers over %(days)d days, '
        'a sample every %(interval)d s' % profile)
    folder, meta = storage(profile, log)
    process, url = _start_prometheus(folder, profile['interval'])
    try:
        since = datetime.datetime.fromtimestamp(
            END - profile['days'] * DAY, datetime.timezone.utc)
        until = datetime.datetime.fromtimestamp(END, datetime.timezone.utc)
        screen_above = (prometheus.SAMPLES_PER_QUERY if first_pass
                        else 2 ** 62)
        with prometheus.PrometheusHistory(
                url, step=profile['interval'],
                screen_above=screen_above) as source:
            # Once to warm Prometheus' caches, then measured.
            _timed(source, since=since, until=until)
            fleet = _timed(source, since=since, until=until)
            one = _timed(source, server_id='srv-00010', since=since,
                         until=until)
    finally:
        process.terminate()
        process.wait(30)
    result = {'profile': profile, 'data': meta, 'fleet': fleet,
              'one_server': one, 'first_pass': first_pass,
              'targets_spec': TARGETS}
    log('  every server: %(wall_s).2f s, %(queries)d queries, %(rows)d rows'
        % fleet)
    log('  one server:   %(wall_s).2f s, %(queries)d queries, %(rows)d rows'
        % one)
    return result


def evaluate(section: dict, add: ty.Callable[..., None]) -> None:
    """Add this section's target row (``add(name, value, limit, ok)``)."""
    if 'fleet' not in section:
        return
    fleet, profile = section['fleet'], section['profile']
    add('history --prometheus, %d servers x %d days (s)' % (
        profile['servers'], profile['days']), fleet['wall_s'],
        '< %g' % TARGETS['fleet_s'], fleet['wall_s'] < TARGETS['fleet_s'])


def render(section: dict) -> list[str]:
    if 'fleet' not in section:
        return ['\n8. history --prometheus: %s' % section.get('skipped')]
    profile = section['profile']
    lines = ['\n8. history --prometheus, %(servers)d servers over %(days)d '
             'days (a sample every %(interval)d s)' % profile]
    for name, label in (('fleet', 'every server'),
                        ('one_server', 'one server')):
        run = section[name]
        lines.append('   %-14s %6.2f s  %3d queries  %6d rows' % (
            label, run['wall_s'], run['queries'], run['rows']))
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='python -m tools.benchmark.'
                                     'promhistory')
    parser.add_argument('--quick', action='store_true')
    parser.add_argument('--without-first-pass', action='store_true')
    args = parser.parse_args(argv)
    result = section_promhistory(args.quick, lambda line: print(
        line, file=sys.stderr, flush=True), not args.without_first_pass)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == '__main__':
    sys.exit(main())
