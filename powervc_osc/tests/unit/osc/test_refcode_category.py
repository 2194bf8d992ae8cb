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

"""What a code means, in ``show``, ``list`` and ``--watch`` (issue 13)."""

import json

from powervc_osc import codes
from powervc_osc.tests.unit import fakes
from powervc_osc.tests.unit.osc import test_refcode

#: name -> (refcode, LED text, collecting), one server per category.
FLEET = {
    'ibmi-ipl': ('C6004031', 'LIC_IPL_in_progress', 'true'),
    'ibmi-stuck': ('B2008105', 'IPL_failed_attention', 'true'),
    'ibmi-wait': ('A6005090', None, 'true'),
    'ibmi-up': ('00000000', 'Running_________________________', 'true'),
    'ibmi-off': ('00000000', 'Not_activated', 'true'),
    'ibmi-old': ('C9002960', 'OS_IPL_in_progress', 'false'),
}


class CategoryTestCase(test_refcode.CommandTestCase):

    def mock_fleet(self):
        servers = []
        for n, (name, (code, led, required)) in enumerate(FLEET.items()):
            meta = {'powervc:vm_refcode_required': required,
                    'powervc:vm_refcode': code}
            if led:
                meta['powervc:vm_led_code'] = led
            servers.append(fakes.server_body(fakes.uuid(n), name, meta))
            self.requests.get(
                fakes.COMPUTE_URL + '/servers/%s/metadata' % fakes.uuid(n),
                json={'metadata': meta})
        self.requests.get(fakes.DETAIL_URL, json={'servers': servers})

    def list_json(self, *args):
        status, out, err = self.run_osc('server', 'refcode', 'list',
                                        '-f', 'json', *args)
        self.assertEqual((0, ''), (status, err))
        return json.loads(out)


class TestShow(CategoryTestCase):

    def test_fields_appended_after_the_pinned_ones(self):
        self.mock_server()
        _, out, _ = self.run_osc('server', 'refcode', 'show',
                                 fakes.SERVER_ID, '-f', 'json')
        shown = json.loads(out)
        self.assertEqual(['id', 'name', 'refcode', 'led_code', 'queried_at',
                          'required', 'category', 'meaning'], list(shown))
        found = codes.explain('C6004031')
        self.assertEqual((found.category, found.meaning),
                         (shown['category'], shown['meaning']))

    def test_table(self):
        self.mock_server()
        _, out, _ = self.run_osc('server', 'refcode', 'show',
                                 fakes.SERVER_ID)
        self.assertIn('| category   | progress ', out)
        self.assertIn('| meaning    | Licensed Internal Code IPL status', out)

    def test_stale_after_disable(self):
        meta = dict(fakes.METADATA)
        meta['powervc:vm_refcode_required'] = 'false'
        self.mock_server(meta)
        _, out, _ = self.run_osc('server', 'refcode', 'show',
                                 fakes.SERVER_ID, '-f', 'json')
        shown = json.loads(out)
        self.assertEqual(('C6004031', False, 'stale'), (
            shown['refcode'], shown['required'], shown['category']))
        self.assertIn('no longer updated', shown['meaning'])
        self.assertIn('Licensed Internal Code IPL status', shown['meaning'])


class TestList(CategoryTestCase):

    def test_category_column(self):
        self.mock_fleet()
        rows = self.list_json()
        self.assertEqual(['ID', 'Name', 'Refcode', 'LED Code', 'Queried At',
                          'Required', 'Category'], list(rows[0]))
        self.assertEqual(
            {'ibmi-ipl': 'progress', 'ibmi-stuck': 'error',
             'ibmi-wait': 'attention', 'ibmi-up': 'running',
             'ibmi-off': 'off', 'ibmi-old': 'stale'},
            {r['Name']: r['Category'] for r in rows})

    def test_long_adds_meaning_last(self):
        self.mock_fleet()
        rows = self.list_json('--long')
        self.assertEqual(['Category', 'Host', 'Status', 'Meaning'],
                         list(rows[0])[6:])
        stuck = [r for r in rows if r['Name'] == 'ibmi-stuck'][0]
        self.assertEqual(codes.explain('B2008105').meaning, stuck['Meaning'])

    def test_category_filter(self):
        self.mock_fleet()
        rows = self.list_json('--category', 'attention,error')
        self.assertEqual([('ibmi-stuck', 'error'), ('ibmi-wait', 'attention')],
                         [(r['Name'], r['Category']) for r in rows])
        rows = self.list_json('--category', ' Stale ')
        self.assertEqual(['ibmi-old'], [r['Name'] for r in rows])

    def test_category_filter_nothing_matches(self):
        self.mock_fleet()
        status, out, err = self.run_osc('server', 'refcode', 'list',
                                        '-f', 'json', '--category',
                                        'informational')
        self.assertEqual(0, status)
        self.assertEqual([], json.loads(out))
        self.assertEqual('No server matched --category informational.\n',
                         err)

    def test_unknown_category_is_a_usage_error(self):
        for value, named in (('attention,eror', "'eror'"),
                             ('', 'no category'), (',', 'no category')):
            status, out, err = self.run_osc('server', 'refcode', 'list',
                                            '--category', value)
            self.assertEqual((2, ''), (status, out))
            self.assertIn('argument --category', err)
            self.assertIn(named, err)
            self.assertIn('choose from progress, attention', err)
        self.assertEqual([], self.powervc.compute_requests())


class TestWatch(CategoryTestCase):

    url = fakes.COMPUTE_URL + '/servers/%s/metadata' % fakes.SERVER_ID

    def setUp(self):
        super().setUp()
        self.requests.get(fakes.COMPUTE_URL + '/servers/' + fakes.SERVER_ID,
                          json={'server': fakes.server_body()})
        self.requests.get(self.url, [
            {'json': {'metadata': {'powervc:vm_refcode': code,
                                   'powervc:vm_refcode_required': 'true'}}}
            for code in ('C6004031', 'B2008105')])

    def watch(self, *args):
        status, out, err = self.run_osc(
            'server', 'refcode', 'show', fakes.SERVER_ID, '--until',
            'B2008105', '--timeout', '600', '--interval', '1', *args)
        self.assertEqual((0, ''), (status, err))
        return out

    def test_json_lines_carry_category_and_meaning(self):
        lines = [json.loads(line)
                 for line in self.watch('-f', 'json').splitlines()]
        self.assertEqual([('C6004031', 'progress'), ('B2008105', 'error')],
                         [(r['refcode'], r['category']) for r in lines])
        self.assertEqual(codes.explain('B2008105').meaning,
                         lines[1]['meaning'])

    def test_table_rows_carry_category(self):
        header, first, second = self.watch().splitlines()
        self.assertTrue(header.endswith('Category'), header)
        self.assertTrue(first.endswith('progress'), first)
        self.assertTrue(second.endswith('error'), second)
