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

"""The fleet page's data: order, counts, meanings, the timeline."""

import datetime
import gzip
import json
import re

import testtools

from powervc_osc.exporter import fleet_view
from powervc_osc.exporter import state
from powervc_osc import model
from powervc_osc import nova
from powervc_osc.tests.unit.exporter import base

HOSTILE = '<img src=x onerror=alert(1)>'
NOW = 1_800_000_000.0


def server(n, name, refcode, led='', since=None, required=True,
           project=None):
    row = model.Refcode(base.server_id(n), name, refcode, led,
                        datetime.datetime(2027, 1, 15, 8, 0), required,
                        host='host-1', project_id=project)
    return state.ServerState(row, row.category, since)


RUNNING = server(1, 'aix-prod', '0000', 'Running', since=NOW - 9000)
ERROR = server(2, 'ibmi-stuck', 'B2008105', since=NOW - 60)
BOOTING = server(3, 'ibmi-boot', 'C6004031', since=NOW - 600)
ATTENTION = server(4, HOSTILE, 'A9002000', since=NOW - 30)
OLD_ERROR = server(5, 'ibmi-older', 'B2008105', since=NOW - 3600)


def board(*servers, up=True, cloud='prod', reason=None):
    result = state.Board()
    result.publish(state.CloudState(cloud, up, tuple(servers),
                                    last_success=NOW - 5, reason=reason))
    return result


class TestDocument(testtools.TestCase):

    def document(self, *servers):
        return fleet_view.document(board(*servers).states())

    def test_attention_and_error_first_then_progress_then_running(self):
        doc = self.document(RUNNING, BOOTING, ATTENTION, ERROR, OLD_ERROR)
        self.assertEqual(
            ['error', 'error', 'attention', 'progress', 'running'],
            [s['category'] for s in doc['servers']])
        # Within a category, the longest at its code first.
        self.assertEqual(['ibmi-older', 'ibmi-stuck'],
                         [s['name'] for s in doc['servers'][:2]])
        self.assertEqual({'error': 2, 'attention': 1, 'progress': 1,
                          'running': 1},
                         {k: v for k, v in doc['counts'].items() if v})

    def test_meaning_comes_from_the_explanation_table(self):
        entry = self.document(ERROR)['servers'][0]
        self.assertEqual(model.Refcode(
            'x', None, 'B2008105', '', None, True).explanation.meaning,
            entry['meaning'])
        self.assertTrue(entry['meaning'])
        self.assertEqual('B2008105', entry['refcode'])
        self.assertEqual(NOW - 60, entry['since'])
        self.assertEqual(datetime.datetime(
            2027, 1, 15, 8, 0, tzinfo=datetime.timezone.utc).timestamp(),
            entry['read_at'])

    def test_names_are_data_not_markup(self):
        entry = self.document(ATTENTION)['servers'][0]
        self.assertEqual(HOSTILE, entry['name'])

    def test_the_project_id_from_the_listing(self):
        listed = nova.Server.from_body({
            'id': base.server_id(7), 'name': 'vm', 'tenant_id': 'p-42'})
        self.assertEqual('p-42', listed.refcode({}).project_id)
        doc = self.document(server(8, 'vm', 'C6004031', project='p-42'))
        self.assertEqual('p-42', doc['servers'][0]['project'])

    def test_failed_clouds_and_poll_times(self):
        doc = fleet_view.document(board(
            ERROR, up=False, reason=state.UNREACHABLE).states())
        self.assertEqual([{
            'name': 'prod', 'up': False, 'reason': 'unreachable',
            'last_success': NOW - 5, 'duration': 0.0, 'failures': 0,
            'server_errors': 0, 'servers': 1}], doc['clouds'])


class Change:
    """What the store's :class:`~powervc_osc.history.Change` offers."""

    def __init__(self, at, refcode, category, name='vm'):
        self.cloud = 'prod'
        self.row = model.Refcode(base.server_id(1), name, refcode, '', None,
                                 True)
        self.server_name = name
        self.refcode = refcode
        self.led_code = ''
        self.category = category
        self.observed_at = datetime.datetime.fromtimestamp(
            at, datetime.timezone.utc)


class TestTimeline(testtools.TestCase):

    def test_oldest_first_with_the_time_in_each_code(self):
        newest_first = [Change(NOW - 100, 'B2008105', 'error'),
                        Change(NOW - 400, 'C6004031', 'progress'),
                        Change(NOW - 1000, 'C2004030', 'progress')]
        doc = fleet_view.timeline(newest_first, NOW)
        self.assertEqual(
            [('C2004030', 600.0, NOW - 400), ('C6004031', 300.0, NOW - 100),
             ('B2008105', 100.0, None)],
            [(c['refcode'], c['seconds'], c['until'])
             for c in doc['changes']])
        self.assertEqual(NOW, doc['now'])

    def test_no_change_recorded(self):
        self.assertEqual({'now': NOW, 'changes': []},
                         fleet_view.timeline([], NOW))


class History:
    """A change tracker with a store: what ``--history`` gives the page."""

    def __init__(self, changes):
        self.changes = changes
        self.asked = []

    def recent(self, server_id, limit, cloud=None):
        self.asked.append((server_id, limit, cloud))
        return self.changes


class TestFleetView(testtools.TestCase):

    def test_rendered_once_per_poll_served_as_bytes(self):
        clock = base.FakeWall(NOW)
        shown = board(ERROR)
        view = fleet_view.FleetView(shown, interval=60.0, clock=clock)
        first = json.loads(b''.join(view.fleet()))
        self.assertEqual(NOW, first['generated_at'])
        self.assertEqual(['ibmi-stuck'], [s['name'] for s in first['servers']])
        self.assertEqual(30.0, first['refresh'])
        self.assertFalse(first['history'])
        shown.publish(state.CloudState('prod', True, (ERROR, BOOTING)))
        clock.now += 10
        # Not rendered yet: the last render is served.
        again = json.loads(b''.join(view.fleet()))
        self.assertEqual((NOW, 1), (again['generated_at'],
                                    len(again['servers'])))
        view.render()
        self.assertEqual(2, len(json.loads(b''.join(view.fleet()))['servers']))
        zipped, = view.fleet(compressed=True)     # browsers read one member
        self.assertEqual(json.loads(b''.join(view.fleet())),
                         json.loads(gzip.decompress(zipped)))

    def test_history_only_with_a_store(self):
        self.assertIsNone(fleet_view.FleetView(board()).server_history('x'))
        store = History([Change(NOW - 50, 'B2008105', 'error')])
        view = fleet_view.FleetView(board(), store, clock=lambda: NOW)
        self.assertTrue(json.loads(b''.join(view.fleet()))['history'])
        doc = json.loads(view.server_history(base.server_id(1)))
        self.assertEqual(base.server_id(1), doc['server'])
        self.assertEqual([50.0], [c['seconds'] for c in doc['changes']])
        self.assertEqual([(base.server_id(1), fleet_view.HISTORY_LIMIT,
                           None)], store.asked)
        self.assertEqual('dr', json.loads(view.server_history(
            base.server_id(1), 'dr'))['cloud'])
        self.assertEqual('dr', store.asked[-1][2])

    def test_the_refresh_follows_the_interval_within_bounds(self):
        self.assertEqual(2.0,
                         fleet_view.FleetView(board(), interval=1).refresh)
        self.assertEqual(15.0,
                         fleet_view.FleetView(board(), interval=15).refresh)


class TestFiles(testtools.TestCase):
    """The page's files: nothing from elsewhere, data inserted as text."""

    def test_every_file_is_shipped_and_local(self):
        for path, (ctype, name) in fleet_view.FILES.items():
            text = fleet_view.read_file(name).decode('utf-8').replace(
                "'http://www.w3.org/2000/svg'", '')   # a name, not a fetch
            self.assertNotRegex(text, r'(?i)(https?:)?//[a-z0-9.-]+\.[a-z]',
                                name)
            self.assertNotIn('@import', text)
        html = fleet_view.read_file('fleet.html').decode('utf-8')
        self.assertEqual(
            ['static/fleet.css', 'static/fleet.js'],
            sorted(re.findall(r'(?:href|src)="(static/[^"]+)"', html)))
        self.assertNotRegex(html, r'<script>|<style|\sstyle=|\son[a-z]+=')

    def test_the_script_never_inserts_markup(self):
        script = fleet_view.read_file('fleet.js').decode('utf-8')
        for sink in ('innerHTML', 'outerHTML', 'insertAdjacentHTML',
                     'document.write', 'eval(', 'new Function'):
            self.assertNotIn(sink, script)
        self.assertIn('textContent', script)
