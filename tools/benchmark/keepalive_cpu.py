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

"""Client CPU per metadata GET over a kept-alive connection, per layer.

Issue 29, to choose the lean path: the simulator (which keeps connections
open) runs in a process of its own; the same metadata GETs run one after
another in this process's main thread through each layer, and
``time.process_time`` per GET is printed: the client's whole path
(``ComputeHTTP.request``, over the lean path of
:mod:`powervc_osc.http.lean` and with it turned off), requests' transport
alone (``adapter.send``), urllib3's pool alone, and a bare ``http.client``
loop (the floor).

Usage: ``python -m tools.benchmark.keepalive_cpu [--reads N]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.parse

import requests
import urllib3

from tools.benchmark import client_cpu


def measure(reads: int) -> dict:
    import powervc_osc
    from powervc_osc.fleet import listing

    client = powervc_osc.RefcodeClient.from_cloud('powervc-simulator')
    compute = client._http
    ids = [s.id for s in listing.walk(compute.request,
                                      listing.Filters())][:20]
    endpoint = compute.adapter.get_endpoint().rstrip('/')
    urls = [endpoint + '/servers/%s/metadata' % i for i in ids]
    paths = [urllib.parse.urlsplit(u).path for u in urls]
    headers = {'X-Auth-Token': compute.adapter.get_token(),
               'Accept': 'application/json'}
    adapter = compute.adapter.session.session.get_adapter(endpoint)
    pool = adapter.poolmanager.connection_from_url(endpoint)
    timeout = urllib3.Timeout(10, 10)

    slow = powervc_osc.RefcodeClient.from_cloud('powervc-simulator')._http
    slow.lean = None                    # every GET through keystoneauth

    def lean_path(n: int) -> None:
        compute.request('GET', urls[n])

    def session_path(n: int) -> None:
        slow.request('GET', urls[n])

    def transport_only(n: int) -> None:
        prepared = requests.PreparedRequest()
        prepared.method, prepared.url, prepared.body = 'GET', urls[n], None
        prepared.headers = requests.structures.CaseInsensitiveDict(headers)
        prepared.hooks = {'response': []}
        answer = adapter.send(prepared, stream=True, timeout=10)
        json.loads(answer.content)
        answer.close()

    def urllib3_pool(n: int) -> None:
        answer = pool.urlopen('GET', paths[n], headers=headers,
                              redirect=False, assert_same_host=False,
                              preload_content=False, decode_content=False,
                              retries=adapter.max_retries, timeout=timeout)
        json.loads(answer.read(16 * 2 ** 20 + 1, decode_content=True))
        answer.release_conn()

    out = {}
    for name, get in (('ComputeHTTP.request, lean path', lean_path),
                      ('ComputeHTTP.request, keystoneauth', session_path),
                      ('requests adapter.send', transport_only),
                      ('urllib3 pool', urllib3_pool)):
        for n in range(len(urls)):
            get(n)                      # connections, caches
        started = time.process_time()
        for n in range(reads):
            get(n % len(urls))
        out[name] = round((time.process_time() - started) / reads * 1e6)
    out['http.client (floor)'] = round(
        client_cpu.http_client_floor(compute, ids, reads))
    # The lean path was the one taken (it falls back silently otherwise).
    out['lean path taken'] = bool(compute.lean.route(urls[0]))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--reads', type=int, default=2000)
    args = parser.parse_args(argv)

    def run() -> dict:
        time.sleep(0.5)
        return {'cpu_us_per_get': measure(args.reads)}
    return client_cpu.report(100, run)


if __name__ == '__main__':
    sys.exit(main())
