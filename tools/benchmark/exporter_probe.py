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

"""Measure powervc-osc-exporter in its own process (run by the benchmark).

``python exporter_probe.py --cycles N [--scrapes M] [--history PATH]
[--concurrent C --half-open H] [exporter options]`` builds the exporter
exactly as the ``powervc-osc-exporter`` command does, serves its metrics
on an ephemeral 127.0.0.1 port, runs N poll cycles back to back and prints
one JSON object: each cycle's wall time, resident memory after it and
history rows it wrote, and M timed scrapes (in-process and over HTTP) of
the last poll, and as many GETs of the fleet page's ``/api/fleet`` and
``/`` (issue 26) beside them.  With ``--concurrent``, a second process
(``exporter_probe.py --load URL``) then opens H connections that send
nothing and C scrapes at once, while this one samples its memory.
"""

import argparse
import json
import os
import socket
import sqlite3
import statistics
import subprocess  # nosec B404 - runs this file, on loopback
import sys
import threading
import time
import urllib.parse
import urllib.request

from powervc_osc.exporter import cli
from powervc_osc.exporter import fleet_view
from powervc_osc.exporter import options
from powervc_osc.exporter import serving

PAGE = os.sysconf('SC_PAGE_SIZE')
#: Seconds a scrape of the load may take before it counts as unanswered.
LOAD_TIMEOUT = 120.0
#: Scrapes timed while the idle connections are open (the first one also
#: waits for the server to accept them all).
IDLE_SCRAPES = 5


def rss_mib() -> float:
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * PAGE / 1048576.0


def history_rows(path: str | None) -> int:
    if not path or not os.path.exists(path):
        return 0
    with sqlite3.connect(path) as db:
        return db.execute('SELECT COUNT(*) FROM changes').fetchone()[0]


def scrape(url: str, compressed: bool = False,
           timeout: float = LOAD_TIMEOUT) -> int:
    """GET ``url`` whole; the bytes received."""
    headers = {'Accept-Encoding': 'gzip'} if compressed else {}
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(  # nosec B310 - loopback
            request, timeout=timeout) as answer:
        return len(answer.read())


def load(url: str, concurrent: int, half_open: int) -> dict:
    """Idle connections, then ``concurrent`` scrapes at once (plain, gzip)."""
    parts = urllib.parse.urlsplit(url)
    idle = [socket.create_connection((parts.hostname, parts.port))
            for _ in range(half_open)]
    times = []
    for _ in range(IDLE_SCRAPES):
        started = time.perf_counter()
        scrape(url)
        times.append(time.perf_counter() - started)
    out: dict = {'half_open': half_open, 'half_open_first_s': times[0],
                 'half_open_scrape_s': statistics.median(times)}
    for kind in ('plain', 'gzip'):
        out[kind] = _burst(url, concurrent, kind == 'gzip')
    for sock in idle:
        sock.close()
    return out


def _burst(url: str, concurrent: int, compressed: bool) -> dict:
    barrier = threading.Barrier(concurrent)
    times: list[float] = []
    failures: list[str] = []

    def one() -> None:
        barrier.wait()
        started = time.perf_counter()
        try:
            scrape(url, compressed)
        except Exception as exc:  # counted as unanswered
            failures.append(str(exc))
        else:
            times.append(time.perf_counter() - started)

    threads = [threading.Thread(target=one, daemon=True)
               for _ in range(concurrent)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(LOAD_TIMEOUT + 10)
    return {'concurrent': concurrent, 'answered': len(times),
            'unanswered': concurrent - len(times),
            'errors': failures[:3], 'wall_s': time.perf_counter() - started,
            'median_s': statistics.median(times) if times else None,
            'max_s': max(times) if times else None}


class RSSSampler(threading.Thread):
    """The peak resident memory of this process while it runs."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = rss_mib()
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.02):
            self.peak = max(self.peak, rss_mib())


def main() -> int:
    probe = argparse.ArgumentParser()
    probe.add_argument('--load')
    probe.add_argument('--cycles', type=int, default=0)
    probe.add_argument('--scrapes', type=int, default=0)
    probe.add_argument('--concurrent', type=int, default=0)
    probe.add_argument('--half-open', type=int, default=0)
    ours, rest = probe.parse_known_args()
    if ours.load:
        json.dump(load(ours.load, ours.concurrent, ours.half_open),
                  sys.stdout)
        return 0
    args = options.parse(rest)
    exporter = cli.build(args)
    page = cli.make_exposition(exporter.board)
    exporter.on_publish = page.render_soon
    # Rendered by the exporter's render thread after the metrics; here
    # apart, to time each.
    fleet = fleet_view.FleetView(exporter.board, exporter.changes,
                                 args.interval.total_seconds())
    server = serving.MetricsServer(page, '127.0.0.1', 0,
                                   fleet=fleet).start()
    url = 'http://127.0.0.1:%d/metrics' % server.port
    out: dict = {'cycle_s': [], 'rss_mib': [], 'rows': [], 'answered': [],
                 'scrape_s': [], 'http_scrape_s': [],
                 'http_gzip_scrape_s': [], 'fleet_s': [],
                 'fleet_gzip_s': [], 'page_s': []}
    try:
        for _ in range(ours.cycles):
            before = history_rows(args.history)
            started = time.perf_counter()
            out['answered'].append(exporter.cycle())
            out['cycle_s'].append(time.perf_counter() - started)
            out['rss_mib'].append(rss_mib())
            out['rows'].append(history_rows(args.history) - before)
        started = time.perf_counter()
        page.render()
        out['render_s'] = time.perf_counter() - started
        started = time.perf_counter()
        fleet.render()
        out['fleet_render_s'] = time.perf_counter() - started
        for _ in range(ours.scrapes):
            _time_fleet_page(url[:-len('metrics')], out)
            started = time.perf_counter()
            body = b''.join(page.page())
            out['scrape_s'].append(time.perf_counter() - started)
            started = time.perf_counter()
            scrape(url)
            out['http_scrape_s'].append(time.perf_counter() - started)
            started = time.perf_counter()
            out['gzip_bytes'] = scrape(url, compressed=True)
            out['http_gzip_scrape_s'].append(time.perf_counter() - started)
        out['scrape_bytes'] = len(body) if ours.scrapes else 0
        out['servers'] = sum(len(s.servers) for s in exporter.board.states())
        if ours.concurrent:
            out['load'] = _measure_load(url, ours)
    finally:
        server.stop()
        exporter.close()
    json.dump(out, sys.stdout)
    return 0


def _time_fleet_page(root: str, out: dict) -> None:
    """GET ``/api/fleet`` (plain, gzip) and ``/`` once each, timed."""
    for key, path, compressed in (('fleet_s', 'api/fleet', False),
                                  ('fleet_gzip_s', 'api/fleet', True),
                                  ('page_s', '', False)):
        started = time.perf_counter()
        size = scrape(root + path, compressed)
        out[key].append(time.perf_counter() - started)
        out[key[:-2] + '_bytes'] = size


def _measure_load(url: str, ours: argparse.Namespace) -> dict:
    """Run the load in another process; this one's memory meanwhile."""
    sampler = RSSSampler()
    before = rss_mib()
    sampler.start()
    answer = subprocess.run(  # nosec B603 - this file, loopback URL
        [sys.executable, os.path.abspath(__file__), '--load', url,
         '--concurrent', str(ours.concurrent),
         '--half-open', str(ours.half_open)],
        capture_output=True, text=True, check=True,
        timeout=4 * LOAD_TIMEOUT)
    sampler.done.set()
    sampler.join()
    result = json.loads(answer.stdout)
    result.update(rss_before_mib=before, rss_peak_mib=sampler.peak,
                  rss_after_mib=rss_mib())
    return result


if __name__ == '__main__':
    sys.exit(main())
