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

"""Categories in ``show``, ``list`` and ``--watch`` against the simulator."""

from powervc_osc.tests.functional import base


class TestCategories(base.FunctionalTestCase):

    def test_list_category_filter_admin_and_operator(self):
        for cloud in (base.ADMIN, base.OPERATOR):
            rows = self.openstack('server', 'refcode', 'list', '--category',
                                  'attention,error', '-f', 'json',
                                  cloud=cloud).json()
            self.assertIn(('ibmi-stuck-1', 'B2008105', 'error'),
                          [(r['Name'], r['Refcode'], r['Category'])
                           for r in rows], cloud)
            self.assertEqual({'error'}, {r['Category'] for r in rows}, cloud)

    def test_list_categories_of_the_fleet(self):
        rows = self.openstack('server', 'refcode', 'list', '--long',
                              '-f', 'json').json()
        found = {r['Name']: (r['Category'], r['Meaning']) for r in rows}
        self.assertEqual('running', found['ibmi-prod-1'][0])
        self.assertEqual('running', found['aix-prod-1'][0])
        self.assertEqual('off', found['ibmi-off-1'][0])
        self.assertEqual('error', found['ibmi-stuck-1'][0])
        self.assertIn('partition', found['ibmi-stuck-1'][1])
        self.assertEqual('unknown', found['linux-web-1'][0])

    def test_unknown_category_is_a_usage_error(self):
        result = self.openstack('server', 'refcode', 'list', '--category',
                                'attention,eror', status=2, stderr=True)
        self.assertIn("unknown category 'eror'", result.err)
        self.assertEqual('', result.out)

    def test_stale_after_disable(self):
        before = self.openstack('server', 'refcode', 'show', 'ibmi-prod-1',
                                '-f', 'json').json()
        self.assertEqual('running', before['category'])
        self.openstack('server', 'refcode', 'set', '--disable', 'ibmi-prod-1')
        after = self.openstack('server', 'refcode', 'show', 'ibmi-prod-1',
                               '-f', 'json').json()
        self.assertEqual(('00000000', False, 'stale'), (
            after['refcode'], after['required'], after['category']))
        self.assertIn('no longer updated', after['meaning'])
        watched = self.openstack('server', 'refcode', 'show', 'ibmi-prod-1',
                                 '--watch', '--timeout', '1', stderr=True)
        self.assertTrue(watched.out.splitlines()[1].endswith('stale'),
                        watched.out)
        self.assertIn('collection is off for server ibmi-prod-1',
                      watched.err)
        rows = self.openstack('server', 'refcode', 'list', '--category',
                              'stale', '-f', 'value', '-c', 'Name',
                              cloud=base.OPERATOR).out
        self.assertEqual('ibmi-prod-1\n', rows)

    def test_watch_rows_carry_the_category(self):
        result = self.openstack('server', 'refcode', 'show', 'ibmi-stuck-1',
                                '--watch', '--timeout', '1', '-f', 'json')
        first = result.out.splitlines()[0]
        self.assertIn('"category": "error"', first)
        table = self.openstack('server', 'refcode', 'show', 'ibmi-stuck-1',
                               '--watch', '--timeout', '1').out.splitlines()
        self.assertTrue(table[0].endswith('Category'), table)
        self.assertTrue(table[1].endswith('error'), table)
