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

import datetime

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
import testtools

from powervc_osc import model
from powervc_osc.tests.unit import fakes


class TestDecoding(testtools.TestCase):

    def test_documented_example(self):
        rc = model.Refcode.from_metadata('id-1', 'vm', {
            'powervc:vm_refcode': '000e',
            'powervc:vm_led_code': 'Surr_rebooting__________________',
            'powervc:vm_refcode_query_ts': '20201014052153955450',
            'powervc:vm_refcode_required': 'true',
        })
        self.assertEqual('000e', rc.refcode)
        self.assertEqual('Surr_rebooting', rc.led_code)
        self.assertEqual(
            datetime.datetime(2020, 10, 14, 5, 21, 53, 955450), rc.queried_at)
        self.assertEqual('2020-10-14T05:21:53.955450', rc.queried_at_text)
        self.assertIs(True, rc.required)

    def test_absent_values(self):
        rc = model.Refcode.from_metadata('id-1', None, {'owner': 'x'})
        self.assertIsNone(rc.refcode)
        self.assertIsNone(rc.led_code)
        self.assertIsNone(rc.queried_at)
        self.assertIsNone(rc.queried_at_text)
        self.assertIs(False, rc.required)
        self.assertEqual({'owner': 'x'}, rc.raw)

    def test_required_is_case_insensitive(self):
        for value, expected in (('true', True), ('True', True),
                                ('TRUE', True), ('false', False),
                                ('False', False), ('', False),
                                (None, False), (True, True), ('yes', False)):
            self.assertIs(expected, model.decode_required(value), value)

    def test_unparseable_timestamp_kept_verbatim(self):
        for text in ('20201399252153955450', 'yesterday', '2020-10-14'):
            rc = model.Refcode.from_metadata(
                'id', 'vm', {'powervc:vm_refcode_query_ts': text})
            self.assertIsNone(rc.queried_at)
            self.assertEqual(text, rc.queried_at_text)

    def test_timestamp_without_fraction(self):
        self.assertEqual(datetime.datetime(2021, 1, 2, 3, 4, 5),
                         model.parse_query_ts('20210102030405'))

    def test_timestamp_that_is_no_date_is_none(self):
        # Fourteen digits, but month 13, 30 February, second 60.
        for text in ('20211302030405', '20210230030405', '20210102030460',
                     '20210102240000'):
            self.assertIsNone(model.parse_query_ts(text), text)
        self.assertEqual(datetime.datetime(2024, 2, 29, 23, 59, 59, 123456),
                         model.parse_query_ts('20240229235959123456'))

    def test_led_code_all_padding_is_none(self):
        self.assertIsNone(model.decode_led_code('_' * 32))
        self.assertEqual('IPL in_progress',
                         model.decode_led_code('IPL in_progress_____'))

    def test_odd_types_shown_best_effort(self):
        self.assertEqual('1234', model.decode_refcode(1234))
        self.assertEqual('C600\ufffd', model.decode_refcode(b'C600\xff'))
        rc = model.Refcode.from_metadata('id', 'vm', ['not', 'a', 'dict'])
        self.assertIsNone(rc.refcode)

    def test_observation_is_the_code_and_the_led_text(self):
        one = model.Refcode.from_metadata('id', 'vm', fakes.METADATA)
        later = model.Refcode.from_metadata('id', 'vm', dict(
            fakes.METADATA, **{'powervc:vm_refcode_query_ts':
                               '20201014052154000000'}))
        self.assertEqual(one.observation, later.observation)
        for key, value in (('powervc:vm_refcode', 'C6004032'),
                           ('powervc:vm_led_code', 'Running')):
            changed = model.Refcode.from_metadata(
                'id', 'vm', dict(fakes.METADATA, **{key: value}))
            self.assertNotEqual(one.observation, changed.observation, key)


_values = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(),
                    st.text(), st.binary(), st.lists(st.text(), max_size=3),
                    st.dictionaries(st.text(), st.text(), max_size=2))
_keys = st.one_of(st.sampled_from([model.REFCODE_KEY, model.LED_CODE_KEY,
                                   model.QUERY_TS_KEY, model.REQUIRED_KEY]),
                  st.text())


class TestDecodingProperties(testtools.TestCase):

    @settings(max_examples=2000, deadline=None)
    @given(st.dictionaries(_keys, _values))
    def test_any_metadata_decodes(self, metadata):
        rc = model.Refcode.from_metadata('id', 'name', metadata)
        for text in (rc.refcode, rc.led_code, rc.queried_at_text):
            self.assertTrue(text is None or isinstance(text, str))
            self.assertTrue(text is None or text.isprintable())
        self.assertIsInstance(rc.required, bool)

    @settings(max_examples=500, deadline=None)
    @given(st.from_regex(r'\A\d{20}\Z'))
    def test_any_twenty_digits_parse_or_stay_verbatim(self, text):
        rc = model.Refcode.from_metadata(
            'id', 'n', {model.QUERY_TS_KEY: text})
        if rc.queried_at is None:
            self.assertEqual(text, rc.queried_at_text)
        else:
            self.assertEqual(text[:14], rc.queried_at.strftime('%Y%m%d%H%M%S'))
