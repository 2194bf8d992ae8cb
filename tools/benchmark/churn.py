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

"""History-store churn: a fleet replaced every poll (issue 20).

Drives the exporter's change tracker (``HistoryChanges.update``, the call
each poll makes) on a real SQLite file, with every server replaced by a
new one each cycle, and prints after chosen cycles: the rows of
``latest`` and of ``changes``, the server times each poll reads back,
and the seconds the last poll took. No PowerVC and no wall-clock sleep:
the store's clock is moved by ``--interval`` each cycle, then retention
(``--retention``) is applied once at the end, as the exporter's hourly
pruning would.

    python -m tools.benchmark.churn --servers 500 --cycles 60,600
"""

from __future__ import annotations

import argparse
import datetime
import os
import sqlite3
import tempfile
import time

from powervc_osc.exporter import changes
from powervc_osc import history
from powervc_osc import model


def fleet(cycle: int, size: int) -> list[model.Refcode]:
    return [model.Refcode('%06d-%04d' % (cycle, n), 'vm-%d-%d' % (cycle, n),
                          'C6004031', 'IPL', None, True)
            for n in range(size)]


def count(path: str, table: str) -> int:
    db = sqlite3.connect(path)
    try:
        return db.execute('SELECT count(*) FROM %s' % table).fetchone()[0]
    finally:
        db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--servers', type=int, default=500)
    parser.add_argument('--cycles', default='60,600',
                        help='cycles after which to report, comma-separated')
    parser.add_argument('--interval', type=float, default=2.0)
    parser.add_argument('--retention', type=float, default=600.0,
                        help='seconds of history kept by the final prune')
    args = parser.parse_args()
    marks = sorted(int(c) for c in args.cycles.split(','))
    folder = tempfile.mkdtemp(prefix='churn-')
    path = os.path.join(folder, 'history.sqlite3')
    now = [1_800_000_000.0]
    store = history.HistoryStore(path, clock=lambda: now[0])
    tracker = changes.HistoryChanges(store, None)
    print('servers per poll %d, interval %g s (simulated)'
          % (args.servers, args.interval))
    print('%8s %10s %10s %12s %12s' % ('cycle', 'latest', 'changes',
                                       'times read', 'poll ms'))
    for cycle in range(1, marks[-1] + 1):
        rows = fleet(cycle, args.servers)
        started = time.perf_counter()
        times = tracker.update('c', rows, now[0])
        elapsed = time.perf_counter() - started
        now[0] += args.interval
        if cycle in marks:
            print('%8d %10d %10d %12d %12.1f' % (
                cycle, count(path, 'latest'), count(path, 'changes'),
                len(times), elapsed * 1000))
    pruned = store.prune(datetime.timedelta(seconds=args.retention))
    print('prune (retention %g s): %d rows deleted, %d left, latest %d'
          % (args.retention, pruned, count(path, 'changes'),
             count(path, 'latest')))
    print('file %.1f MiB' % (os.path.getsize(path) / 2 ** 20))
    tracker.close()


if __name__ == '__main__':
    main()
