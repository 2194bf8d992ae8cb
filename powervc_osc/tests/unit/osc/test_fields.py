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

"""The fields of ``show`` and the columns of ``list``."""

import testtools

from powervc_osc import model
from powervc_osc.osc import fields


def _refcode(**metadata):
    return model.Refcode.from_metadata(
        'id-1', 'vm-1', {'powervc:' + k: v for k, v in metadata.items()})


class TestFields(testtools.TestCase):

    booting = _refcode(vm_refcode='C6004031',
                       vm_led_code='Surr_rebooting____',
                       vm_refcode_query_ts='20201014052153955450',
                       vm_refcode_required='true')

    def test_show_values_follow_show_fields(self):
        values = dict(zip(fields.SHOW_FIELDS,
                          fields.show_values(self.booting)))
        self.assertEqual({'id': 'id-1', 'name': 'vm-1',
                          'refcode': 'C6004031',
                          'led_code': 'Surr_rebooting',
                          'queried_at': '2020-10-14T05:21:53.955450',
                          'required': True, 'category': 'progress',
                          'meaning': 'Licensed Internal Code IPL status '
                                     '(C6xx)'}, values)

    def test_list_row_long_adds_host_status_meaning(self):
        short = fields.list_values(self.booting, long=False)
        self.assertEqual(len(fields.LIST_COLUMNS), len(short))
        long_row = fields.list_values(self.booting, long=True)
        self.assertEqual(
            len(fields.LIST_COLUMNS) + len(fields.LONG_COLUMNS),
            len(long_row))
        self.assertEqual(short, long_row[:len(short)])
        self.assertEqual('Licensed Internal Code IPL status (C6xx)',
                         long_row[-1])
