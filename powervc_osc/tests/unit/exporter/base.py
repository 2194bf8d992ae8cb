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

"""A fake PowerVC fleet and a poller over it, for the exporter's tests."""

from __future__ import annotations

from prometheus_client import parser
from prometheus_client import registry as registry_mod

from powervc_osc import client as client_mod
from powervc_osc.exporter import changes
from powervc_osc.exporter import metrics
from powervc_osc.exporter import poller
from powervc_osc.exporter import state
from powervc_osc.tests.unit import fakes

DETAIL_URL = fakes.COMPUTE_URL + '/servers/detail'
DETAIL_URL_TWO = fakes.COMPUTE_URL_TWO + '/servers/detail'


def server_id(n: int) -> str:
    return '00000000-0000-4000-8000-%012d' % n


def metadata(refcode: str, led: str = 'IPL_in_progress', required=True,
             ts: str = '20261127101500000000') -> dict:
    meta = {'powervc:vm_refcode': refcode, 'powervc:vm_led_code': led,
            'powervc:vm_refcode_query_ts': ts}
    if required is not None:
        meta['powervc:vm_refcode_required'] = 'true' if required else 'false'
    return meta


class FakeWall:
    """A wall clock the test moves."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class ExporterTestCase(fakes.TestCase):
    """A poller for cloud ``prod`` over the fake PowerVC, and its scrape."""

    def setUp(self) -> None:
        super().setUp()
        self.wall = FakeWall()
        self.board = state.Board()
        self.changes = changes.MemoryChanges()

    def client(self, region: str = 'RegionOne') -> client_mod.RefcodeClient:
        return client_mod.RefcodeClient(
            self.powervc.session(), region_name=region, retries=0)

    def poller(self, cloud: str = 'prod', region: str = 'RegionOne',
               **filters) -> poller.CloudPoller:
        return poller.CloudPoller(cloud, self.client(region), self.changes,
                                  filters, wall=self.wall)

    def fleet(self, servers: list[tuple[int, str, dict]],
              url: str = DETAIL_URL) -> None:
        """Serve ``(number, name, metadata)`` servers; GETs answer it too."""
        base = url.rsplit('/servers/detail', 1)[0]
        bodies = [fakes.server_body(server_id(n), name, meta)
                  for n, name, meta in servers]
        self.requests.get(url, json={'servers': bodies})
        for body in bodies:
            self.requests.get('%s/servers/%s/metadata' % (base, body['id']),
                              json={'metadata': body['metadata']})

    def poll(self, p: poller.CloudPoller) -> state.CloudState:
        import threading

        result = p.poll(threading.Event())
        self.board.publish(result)
        return result

    def exposition(self) -> str:
        from prometheus_client import exposition

        registry = registry_mod.CollectorRegistry(auto_describe=False)
        registry.register(metrics.RefcodeCollector(self.board))
        return exposition.generate_latest(registry).decode('utf-8')

    def samples(self, name: str) -> list:
        """(labels, value) of every sample called ``name``."""
        found = []
        for family in parser.text_string_to_metric_families(
                self.exposition()):
            found += [(s.labels, s.value) for s in family.samples
                      if s.name == name]
        return found
