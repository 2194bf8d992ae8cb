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

"""The client's CPU per metadata GET, before and after the hot-path cuts.

Issue 21: the simulator runs in a process of its own (so that its CPU is
not counted; it keeps connections open), the reads of the fleet's read
path (``read_listed``: budget, lean path, decoding) run one after another
in this process's main thread, and the CPU time (``time.process_time``)
and the Python function calls (``cProfile``) per GET are measured with
the cuts undone ("before": the endpoint looked up in the catalog at each
request, the environment read at each request, the deadline watchdog
woken at each request) and in place ("after"), interleaved. Issue 29: the
same run times the same GETs in a bare ``http.client`` keep-alive loop,
the floor (``floor``).

Usage: ``python -m tools.benchmark.client_cpu [--reads N] [--rounds N]``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
import typing as ty
import urllib.parse

import requests


def _start_simulator(workdir: str, servers: int) -> subprocess.Popen:
    clouds = os.path.join(workdir, 'clouds.yaml')
    proc = subprocess.Popen(
        [sys.executable, '-m', 'powervc_osc.simulator', '--servers',
         str(servers), '--clouds-yaml', clouds, '--step-seconds', '0.01'],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        if os.path.exists(clouds):
            break
        time.sleep(0.05)
    os.environ['OS_CLIENT_CONFIG_FILE'] = clouds
    return proc


def _client(before: bool):
    import powervc_osc

    client = powervc_osc.RefcodeClient.from_cloud('powervc-simulator')
    if before:
        compute = client._http
        compute._absolute = lambda url: url        # type: ignore
        session = compute.adapter.session.session
        session.merge_environment_settings = (
            requests.Session.merge_environment_settings.__get__(session))
    return client


def _reads(client, listed, before: bool) -> None:
    from powervc_osc.fleet import reads as fleet_reads
    from powervc_osc.http import deadline

    deadline.WATCHDOG_SWEEP = 1 if before else 256
    for server in listed:
        fleet_reads.read_listed(client, server)


def http_client_floor(compute: ty.Any, ids: ty.Sequence[str],
                      reads: int) -> float:
    """CPU per GET (us) of the same GETs in a bare ``http.client`` loop.

    One kept-alive connection, the token and ``Accept`` header only, the
    JSON body parsed: the least any client in Python does per GET.
    """
    import http.client
    import json as json_mod

    endpoint = compute.adapter.get_endpoint().rstrip('/')
    parts = urllib.parse.urlsplit(endpoint)
    paths = [parts.path + '/servers/%s/metadata' % i for i in ids]
    headers = {'X-Auth-Token': compute.adapter.get_token(),
               'Accept': 'application/json'}
    bare = http.client.HTTPConnection(parts.hostname, parts.port)
    try:
        for path in paths[:20]:             # the connection
            bare.request('GET', path, headers=headers)
            json_mod.loads(bare.getresponse().read())
        started = time.process_time()
        for n in range(reads):
            bare.request('GET', paths[n % len(paths)], headers=headers)
            json_mod.loads(bare.getresponse().read())
        return (time.process_time() - started) / reads * 1e6
    finally:
        bare.close()


def measure(reads: int, rounds: int) -> dict:
    from powervc_osc.fleet import listing

    clients = {True: _client(True), False: _client(False)}
    walk = listing.walk(clients[False]._http.request, listing.Filters())
    listed = [s for s in walk if s.refcode(s.metadata).required][:reads]
    for before, client in clients.items():
        _reads(client, listed[:50], before)      # connections, caches
    cpu: dict = {True: [], False: []}
    for index in range(rounds):
        for before in ((True, False) if index % 2 == 0 else (False, True)):
            started = time.process_time()
            _reads(clients[before], listed, before)
            cpu[before].append((time.process_time() - started) /
                               len(listed) * 1e6)
    calls = {}
    for before, client in clients.items():
        profile = cProfile.Profile()
        profile.enable()
        _reads(client, listed, before)
        profile.disable()
        calls[before] = pstats.Stats(
            profile, stream=io.StringIO()).total_calls / len(listed)
    out: dict = {name: {'cpu_us_median': statistics.median(cpu[before]),
                        'cpu_us_min': min(cpu[before]),
                        'cpu_us': [round(x) for x in cpu[before]],
                        'calls_per_get': round(calls[before])}
                 for name, before in (('before', True), ('after', False))}
    floors = [http_client_floor(clients[False]._http,
                                [s.id for s in listed], len(listed))
              for _ in range(rounds)]
    out['floor'] = {'cpu_us_median': statistics.median(floors),
                    'cpu_us': [round(x) for x in floors]}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--reads', type=int, default=400)
    parser.add_argument('--rounds', type=int, default=7)
    args = parser.parse_args(argv)
    return report(max(1000, args.reads * 2),
                  lambda: measure(args.reads, args.rounds))


def beside_simulator(servers: int, run: ty.Callable[[], dict]) -> dict:
    """``run()``'s figures, run beside a simulator, and the load."""
    before = os.environ.get('OS_CLIENT_CONFIG_FILE')
    with tempfile.TemporaryDirectory() as workdir:
        sim = _start_simulator(workdir, servers)
        try:
            result = run()
        finally:
            sim.terminate()
            sim.wait()
            if before is None:
                os.environ.pop('OS_CLIENT_CONFIG_FILE', None)
            else:
                os.environ['OS_CLIENT_CONFIG_FILE'] = before
    result['load'] = [round(x, 2) for x in os.getloadavg()]
    return result


def report(servers: int, run: ty.Callable[[], dict]) -> int:
    """Print ``run()``'s figures, run beside a simulator, and the load."""
    print(json.dumps(beside_simulator(servers, run), indent=1))
    return 0


if __name__ == '__main__':
    sys.exit(main())
