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

"""The fleet page in a real headless Chromium, over the simulator.

What a person sees: the rows and their order, the filter, the sort, the
counts, the refresh without a reload, the timeline, and a hostile server
name shown as text with no script run.  Set ``FLEET_PAGE_SCREENSHOT`` to
a path to keep the screenshot (doc/source/_static/fleet-page.png is made
so).
"""

import json
import os
import shutil


from powervc_osc.exporter import fleet_view
from powervc_osc.tests.functional import base
from powervc_osc.tests.functional import chromium
from powervc_osc.tests.functional import exporter_fixtures as ef

HOSTILE = '<img src=x onerror=alert(1)>'
ROWS = """Array.from(document.querySelectorAll('#rows tr')).map(tr => ({
  id: tr.dataset.id,
  cells: Object.fromEntries(Array.from(tr.cells).map(
    td => [td.className.slice(2), td.textContent]))}))"""
HEADERS = """Array.from(document.querySelectorAll('#fleet thead th'))
  .filter(th => !th.hidden).map(th => th.textContent)"""


class PageTestCase(base.FunctionalTestCase):

    def setUp(self):
        super().setUp()
        self.browser_binary = ef.require_binary(self, 'chromium', 'chromium')
        state = self.sim.state
        self.hostile_id = state.add_server(
            HOSTILE, refcode=True, stuck_at='A9002000').id
        self.ipl_id = state.add_server(
            'ibmi-ipl-1', refcode=True, boot_progress=0.0).id
        self.workdir = self.useFixture(ef.fixtures.TempDir()).path
        self.exporter = self.useFixture(ef.ExporterProcess(
            ['--os-cloud', base.ADMIN, '--interval', '1', '--history',
             os.path.join(self.workdir, 'history.sqlite3')] +
            self.more_clouds(), self.environment()))
        self.base_url = self.exporter.url[:-len('metrics')]
        self.fleet = ef.wait_for('the first poll', self._polled)
        self.browser = self.useFixture(chromium.Chromium(self.browser_binary))

    def more_clouds(self):
        """Options of more clouds to poll (none)."""
        return []

    def _polled(self):
        doc = self.api('api/fleet')
        ids = {s['id'] for s in doc['servers']}
        return doc if self.hostile_id in ids else None

    def api(self, path):
        return json.loads(ef.http_get(self.base_url + path))

    def open_page(self):
        self.browser.open(self.base_url)
        self.browser.wait_for('the rows',
                              "document.querySelectorAll('#rows tr').length")
        return self.browser.evaluate(ROWS)

    def assertNoScriptRan(self):
        self.browser.settle()
        self.assertEqual([], self.browser.dialogs())
        self.assertEqual([], self.browser.console_errors())
        self.assertEqual(0, self.browser.evaluate(
            "document.querySelectorAll('img').length"))


class TestFleetPage(PageTestCase):

    def test_rows_in_order_with_the_hostile_name_as_text(self):
        rows = self.open_page()
        doc = self.api('api/fleet')
        self.assertEqual(len(doc['servers']), len(rows))
        categories = [row['cells']['category'] for row in rows]
        self.assertEqual(['error', 'attention'], categories[:2])
        ranks = [fleet_view.ORDER.index(c) for c in categories]
        self.assertEqual(sorted(ranks), ranks)
        # One cloud: no cloud column; the project IDs are listed.
        self.assertEqual(
            ['Name', 'ID', 'Project', 'Host', 'Code', 'LED text', 'Category',
             'Meaning', 'At this code', 'Last read'],
            self.browser.evaluate(HEADERS))
        by_id = {row['id']: row['cells'] for row in rows}
        stuck = by_id[self.sim.state.server_id('ibmi-stuck-1')]
        self.assertEqual(('ibmi-stuck-1', 'B2008105', 'error'),
                         (stuck['name'], stuck['refcode'], stuck['category']))
        self.assertTrue(stuck['meaning'])
        self.assertTrue(stuck['project'])
        hostile = by_id[self.hostile_id]
        self.assertEqual((HOSTILE, 'attention'),
                         (hostile['name'], hostile['category']))
        self.assertIn('error', self.browser.evaluate(
            "document.getElementById('counts').textContent"))
        self.assertIn('Last poll', self.browser.evaluate(
            "document.getElementById('status').textContent"))
        self.assertEqual('', self.browser.evaluate(
            "document.getElementById('clouds-down').textContent"))
        self.assertIn('The fleet page: %s' % self.base_url,
                      self.exporter.stderr)
        self.assertNoScriptRan()

    def test_filter_counts_and_sort(self):
        total = len(self.open_page())
        self.browser.type('#filter', 'B2008105')
        rows = self.browser.evaluate(ROWS)
        self.assertEqual(['ibmi-stuck-1'],
                         [row['cells']['name'] for row in rows])
        self.assertEqual('1 of %d servers' % total, self.browser.evaluate(
            "document.getElementById('shown').textContent"))
        self.browser.type('#filter', '')
        self.assertEqual(total, len(self.browser.evaluate(ROWS)))
        self.browser.click('#counts button[data-category="attention"]')
        self.assertEqual({'attention'}, {
            row['cells']['category'] for row in self.browser.evaluate(ROWS)})
        self.browser.click('#counts button[data-category="attention"]')
        self.browser.click('#fleet th[data-key="name"] button')
        names = [row['cells']['name'] for row in self.browser.evaluate(ROWS)]
        self.assertEqual(total, len(names))
        self.assertEqual(sorted(names, key=str.lower), names)
        self.assertNoScriptRan()

    def test_it_refreshes_without_reloading(self):
        self.open_page()
        first = self.browser.evaluate(
            'window.stillThisPage = true; document.body.dataset.loads')
        self.browser.wait_for(
            'a refresh', 'document.body.dataset.loads !== %s'
            % json.dumps(first))
        self.assertTrue(self.browser.evaluate('window.stillThisPage'))


class TestTimeline(PageTestCase):

    def test_a_row_opens_the_timeline_of_its_codes(self):
        ef.wait_for('the IPL to end', lambda: any(
            s['id'] == self.ipl_id and s['category'] == 'running'
            for s in self.api('api/fleet')['servers']))
        recorded = self.api('api/history?server=' + self.ipl_id)['changes']
        self.assertGreaterEqual(len(recorded), 2)
        self.open_page()
        self.browser.click('#rows tr[data-id="%s"]' % self.ipl_id)
        self.browser.wait_for(
            'the timeline', "!document.getElementById('timeline').hidden && "
            "document.querySelectorAll('#timeline-chart rect').length")
        self.assertEqual(len(recorded), self.browser.evaluate(
            "document.querySelectorAll('#timeline-chart rect').length"))
        table = self.browser.evaluate(
            "Array.from(document.querySelectorAll('#timeline-table tbody tr'))"
            ".map(tr => Array.from(tr.cells).map(td => td.textContent))")
        self.assertEqual([c['refcode'] or '' for c in recorded],
                         [row[1] for row in table])
        self.assertTrue(table[-1][-1].endswith('(now)'), table)
        self.assertIn('ibmi-ipl-1', self.browser.evaluate(
            "document.getElementById('timeline-title').textContent"))
        shot = os.path.join(self.workdir, 'fleet-page.png')
        self.browser.screenshot(shot)
        with open(shot, 'rb') as f:
            self.assertEqual(b'\x89PNG', f.read(4))
        keep = os.environ.get('FLEET_PAGE_SCREENSHOT')
        if keep:
            shutil.copyfile(shot, keep)
        self.assertNoScriptRan()


class TestFailedCloud(PageTestCase):

    def more_clouds(self):
        ef.add_unreachable_cloud(self.sim.clouds_yaml, base.ADMIN, 'broken')
        return ['--os-cloud', 'broken']

    def test_a_failed_cloud_is_named_at_the_top(self):
        self.open_page()
        self.assertEqual(
            'Cloud broken cannot be reached: no server values yet.',
            self.browser.wait_for(
                'the failed cloud',
                "document.getElementById('clouds-down').textContent"))
        # Two clouds: the cloud column is shown.
        rows = self.browser.evaluate(ROWS)
        self.assertEqual('Cloud', self.browser.evaluate(HEADERS)[0])
        self.assertEqual({base.ADMIN}, {row['cells']['cloud'] for row in rows})
        self.assertNoScriptRan()
