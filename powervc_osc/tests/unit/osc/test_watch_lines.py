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

"""``--watch`` rows as text lines."""

import testtools

from powervc_osc import model
from powervc_osc.osc import watch_lines


def _refcode(**metadata):
    return model.Refcode.from_metadata(
        'id-1', 'vm-1', {'powervc:' + k: v for k, v in metadata.items()})


class TestWatchLines(testtools.TestCase):

    booting = _refcode(vm_refcode='C6004031',
                       vm_led_code='Surr_rebooting____',
                       vm_refcode_query_ts='20201014052153955450',
                       vm_refcode_required='true')

    def test_table_header_once_then_aligned_rows(self):
        lines = watch_lines.WatchLines('table', [])
        text = lines.lines(self.booting) + lines.lines(_refcode())
        self.assertEqual([
            'Queried At                  Refcode     Required    LED Code'
            '              Category',
            '2020-10-14T05:21:53.955450  C6004031    True        '
            'Surr_rebooting        progress',
            '-                           -           False       -'
            '                     unknown',
        ], text.splitlines())

    def test_table_follows_columns_in_order_ignoring_unknown_ones(self):
        lines = watch_lines.WatchLines('table', ['refcode', 'Name', 'id'])
        self.assertEqual(['Refcode     ID', 'C6004031    id-1'],
                         lines.lines(self.booting).splitlines())

    def test_value_one_line_per_change(self):
        lines = watch_lines.WatchLines('value', [])
        self.assertEqual(
            'id-1 vm-1 C6004031 Surr_rebooting 2020-10-14T05:21:53.955450 '
            'True progress Licensed Internal Code IPL status (C6xx)\n',
            lines.lines(self.booting))
        lines = watch_lines.WatchLines('value', ['led_code', 'refcode'])
        self.assertEqual('- -\n', lines.lines(_refcode()))
