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
[exporter options]`` builds the exporter exactly as the
``powervc-osc-exporter`` command does, serves its metrics on an ephemeral
127.0.0.1 port, runs N poll cycles back to back and prints one JSON
object: each cycle's wall time, resident memory after it and history rows
it wrote, and M timed scrapes (in-process and over HTTP) of the last poll.
"""

import argparse
import json
import os
import sqlite3
import sys
import time
import urllib.request

from prometheus_client import exposition

from powervc_osc.exporter import cli
from powervc_osc.exporter import options

PAGE = os.sysconf('SC_PAGE_SIZE')


def rss_mib() -> float:
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * PAGE / 1048576.0


def history_rows(path: str | None) -> int:
    if not path or not os.path.exists(path):
        return 0
    with sqlite3.connect(path) as db:
        return db.execute('SELECT COUNT(*) FROM changes').fetchone()[0]


def main() -> int:
    probe = argparse.ArgumentParser()
    probe.add_argument('--cycles', type=int, required=True)
    probe.add_argument('--scrapes', type=int, default=0)
    ours, rest = probe.parse_known_args()
    args = options.parse(rest)
    exporter = cli.build(args)
    registry = cli.make_registry(exporter.board)
    server, _thread = exposition.start_http_server(0, '127.0.0.1', registry)
    url = 'http://127.0.0.1:%d/metrics' % server.server_port
    out: dict = {'cycle_s': [], 'rss_mib': [], 'rows': [], 'answered': [],
                 'scrape_s': [], 'http_scrape_s': []}
    try:
        for _ in range(ours.cycles):
            before = history_rows(args.history)
            started = time.perf_counter()
            out['answered'].append(exporter.cycle())
            out['cycle_s'].append(time.perf_counter() - started)
            out['rss_mib'].append(rss_mib())
            out['rows'].append(history_rows(args.history) - before)
        for _ in range(ours.scrapes):
            started = time.perf_counter()
            body = exposition.generate_latest(registry)
            out['scrape_s'].append(time.perf_counter() - started)
            started = time.perf_counter()
            with urllib.request.urlopen(url) as answer:  # nosec B310
                answer.read()
            out['http_scrape_s'].append(time.perf_counter() - started)
        out['scrape_bytes'] = len(body) if ours.scrapes else 0
        out['servers'] = sum(len(s.servers) for s in exporter.board.states())
    finally:
        server.shutdown()
        exporter.close()
    json.dump(out, sys.stdout)
    return 0


if __name__ == '__main__':
    sys.exit(main())
