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

"""Text from PowerVC made printable."""

import testtools

from powervc_osc import text


class TestDecodeText(testtools.TestCase):

    def test_absent_is_none(self):
        self.assertIsNone(text.decode_text(None))
        self.assertIsNone(text.one_line(None))

    def test_control_characters_are_replaced(self):
        self.assertEqual('a\ufffdb', text.decode_text('a\x1bb'))
        self.assertEqual('a\ufffdb', text.decode_text('a\nb'))

    def test_long_values_are_cut(self):
        self.assertEqual(text.MAX_TEXT + 1,
                         len(text.decode_text('x' * 10000)))
        self.assertEqual(text.MAX_TEXT + 1, len(text.one_line('x' * 10000)))

    def test_other_types_are_shown(self):
        self.assertEqual('C600\ufffd', text.decode_text(b'C600\xff'))
        self.assertEqual('12', text.decode_text(12))
        self.assertEqual('<int>', text.decode_text(10 ** 5000))


class TestOneLine(testtools.TestCase):

    def test_line_breaks_become_one_space(self):
        self.assertEqual('first line <class x>',
                         text.one_line('first  line\r\n<class x>\n'))

    def test_other_control_characters_are_still_replaced(self):
        self.assertEqual('a\ufffd[2J b', text.one_line('a\x1b[2J\tb'))
