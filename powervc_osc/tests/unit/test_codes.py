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

"""The explanation table and its matching (powervc_osc.codes)."""

import copy
import os
import subprocess
import sys
import urllib.parse

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
import testtools
import yaml

import powervc_osc
from powervc_osc import codes
from powervc_osc import model
from powervc_osc.simulator import bootseq
from powervc_osc import text as text_mod

DATA = os.path.join(os.path.dirname(codes.__file__), 'data',
                    codes.DATA_FILE)


def raw_table():
    with open(DATA, encoding='utf-8') as f:
        return yaml.safe_load(f)


class TestTable(testtools.TestCase):

    def test_every_entry_has_a_source_and_a_valid_pattern(self):
        table = codes.load_table()
        self.assertGreater(len(table.entries), 40)
        for entry in table.entries:
            self.assertRegex(entry.pattern, r'^[0-9A-Fx]+$')
            self.assertIn(entry.category, codes.CODE_CATEGORIES)
            self.assertTrue(entry.meaning)
            self.assertTrue(entry.source_title, entry.pattern)
            url = urllib.parse.urlsplit(entry.source_url)
            self.assertIn(url.scheme, ('http', 'https'), entry.pattern)
            self.assertTrue(url.netloc, entry.pattern)

    def test_every_source_is_used(self):
        data = raw_table()
        used = {row['source'] for row in data['codes'] + data['led_texts']}
        used |= {row['source'] for row in data['unknown'].values()
                 if 'source' in row}
        self.assertEqual(set(data['sources']), used)

    def test_patterns_are_unique(self):
        patterns = [row['pattern'] for row in raw_table()['codes']]
        self.assertEqual(sorted(set(patterns)), sorted(patterns))

    def test_meanings_fit_on_one_line(self):
        for entry in codes.load_table().entries:
            self.assertNotIn('\n', entry.meaning)
            self.assertLess(len(entry.meaning), 120, entry.pattern)

    def test_a_missing_source_is_rejected(self):
        data = raw_table()
        data['codes'][0]['source'] = 'no-such-source'
        self.assertRaises(codes.TableError, codes.parse_table, data)

    def test_bad_rows_are_rejected(self):
        for key, value in (('pattern', 'C6xy'), ('pattern', 'C6xxxx'),
                           ('os', 'linux'), ('category', 'running'),
                           ('meaning', ''), ('pattern', 553)):
            data = raw_table()
            data['codes'][0][key] = value
            self.assertRaises(codes.TableError, codes.parse_table, data)

    def test_stray_keys_are_rejected(self):
        # What a flow-style line cut at an unquoted comma turns into.
        data = raw_table()
        data['codes'][0]['usually in the I/O'] = None
        self.assertRaises(codes.TableError, codes.parse_table, data)
        data = raw_table()
        data['sources']['x11']['note'] = 'x'
        self.assertRaises(codes.TableError, codes.parse_table, data)

    def test_ambiguous_patterns_are_rejected(self):
        # C6xx4400 and C60044xx fix as many characters and share a code.
        data = raw_table()
        row = copy.deepcopy(data['codes'][0])
        row.update(pattern='C60044xx', os='ibmi')
        data['codes'].append(row)
        self.assertRaises(codes.TableError, codes.parse_table, data)

    def test_the_table_is_in_the_package(self):
        # importlib.resources finds it the way an installed wheel does.
        self.assertIs(codes.load_table(), codes.load_table())


class TestMatching(testtools.TestCase):

    def assertExplained(self, category, pattern, code, led=None):
        found = codes.explain(code, led)
        self.assertEqual((category, pattern), (found.category, found.pattern),
                         found)
        return found

    def test_exact_beats_prefix_beats_class(self):
        self.assertExplained('error', 'B9003F10', 'B9003F10')
        self.assertExplained('error', 'B900xxxx', 'B9001234')
        self.assertExplained('error', 'B9xxxxxx', 'B9101234')
        self.assertExplained('error', 'Bxxxxxxx', 'BF001234')

    def test_longer_pattern_beats_shorter_across_categories(self):
        self.assertExplained('informational', 'A6xx4404', 'A6004404')
        self.assertExplained('attention', 'A6xxxxxx', 'A6004405')
        self.assertExplained('attention', 'B2xx5117', 'B2015117')
        self.assertExplained('error', 'B2xx1230', 'B2FF1230')
        self.assertExplained('progress', 'C6xx4400', 'C6AB4400')
        self.assertExplained('progress', 'C6xx441x', 'C6AB4417')

    def test_case_and_padding_do_not_matter(self):
        self.assertExplained('progress', 'C6xxxxxx', ' c6004031 ')

    def test_issue_examples(self):
        found = self.assertExplained('progress', 'C6xxxxxx', 'C6004031')
        self.assertEqual('Licensed Internal Code IPL status (C6xx)',
                         found.meaning)
        self.assertIn('Word 1', found.source_title)
        found = self.assertExplained('progress', '553', '0553')
        self.assertIn('phase 3', found.meaning)
        self.assertEqual('https://www.ibm.com/support/pages/'
                         'recovery-led-553-aix', found.source_url)

    def test_firmware_progress_classes_cite_pages_that_list_them(self):
        # x11's "IPL status" list names C7xx; CAxx has its own IBM page.
        found = self.assertExplained('progress', 'C7xxxxxx', 'C7004091')
        self.assertEqual('https://www.ibm.com/docs/POWER5/iphau_p5/x11.htm',
                         found.source_url)
        found = self.assertExplained('progress', 'CAxxxxxx', 'CA000000')
        self.assertIn('(CAxx) Partition firmware progress codes',
                      found.source_title)
        self.assertTrue(found.source_url.endswith(
            '/POWER5/ipha6_p5/firmwareprogcodes.htm'))

    def test_aix_leading_zero_is_dropped(self):
        self.assertEqual(codes.explain('553')[1:],
                         codes.explain('0553')[1:])
        self.assertExplained('error', '552', '0552')
        self.assertExplained('informational', '0C0', '00c0')

    def test_four_digit_code_without_leading_zero_stays(self):
        self.assertExplained('progress', 'E105', 'E105')
        self.assertExplained('progress', 'Exxx', 'E1F0')
        found = self.assertExplained('unknown', None, '91FF')
        self.assertIn('AIX IPL progress codes', found.meaning)

    def test_wildcards_in_the_input_match_nothing(self):
        found = self.assertExplained('unknown', None, 'C6xx4400')
        self.assertIsNone(found.source_url)

    def test_unknown_src_points_to_ibm_finder(self):
        found = self.assertExplained('unknown', None, 'F0123456')
        self.assertIn('IPL SRC finder', found.meaning)
        self.assertIn('rzas5iplsrcfinder', found.source_url)


class TestCategories(testtools.TestCase):
    """At least one example per category."""

    def test_code_categories(self):
        for code, category in (('C9002960', 'progress'),
                               ('A6005090', 'attention'),
                               ('B2008105', 'error'),
                               ('D9002010', 'informational'),
                               ('0c9', 'informational')):
            self.assertEqual(category, codes.explain(code).category, code)

    def test_aix_codes_that_are_not_progress(self):
        # The 'xxx' class says progress; these codes' sources say otherwise.
        for code, category in (('0c1', 'error'), ('00C1', 'error'),
                               ('610', 'error'), ('0611', 'error'),
                               ('c31', 'attention'), ('0C31', 'attention')):
            self.assertEqual(category, codes.explain(code).category, code)

    def test_led_text_says_running_or_off(self):
        self.assertEqual('running', codes.explain(
            '00000000', 'Running_________________________').category)
        self.assertEqual('off', codes.explain(
            '0000', 'Not_activated___________________').category)
        self.assertEqual('off', codes.explain(None, 'not activated').category)

    def test_code_wins_over_led_text(self):
        self.assertEqual('error', codes.explain(
            'B2008105', 'Running').category)

    def test_zeros_without_led_text_are_unknown(self):
        found = codes.explain('00000000')
        self.assertEqual('unknown', found.category)
        self.assertIn('all zeros', found.meaning)

    def test_stale(self):
        found = codes.explain('B2008105', 'IPL_failed_attention',
                              collecting=False)
        self.assertEqual('stale', found.category)
        self.assertIn('no longer updated', found.meaning)
        self.assertIn(codes.explain('B2008105').meaning, found.meaning)
        self.assertEqual('B2xxxxxx', found.pattern)

    def test_no_code_is_not_stale(self):
        self.assertEqual('unknown',
                         codes.explain(None, collecting=False).category)

    def test_every_category_is_known(self):
        self.assertEqual(
            {'progress', 'attention', 'error', 'informational', 'running',
             'off', 'stale', 'unknown'}, set(codes.CATEGORIES))


class TestHostileInput(testtools.TestCase):

    def test_free_text(self):
        found = codes.explain('Linux ppc64')
        self.assertEqual(('unknown', 'Linux ppc64'),
                         (found.category, found.code))
        self.assertEqual('error', codes.explain('B200F005 LP=00022').category)

    def test_empty_and_none(self):
        for value in ('', '   ', None):
            found = codes.explain(value)
            self.assertEqual('unknown', found.category)
            self.assertIn('No reference code', found.meaning)

    def test_long_and_control_characters(self):
        found = codes.explain('\x1b[2J' + 'A' * 500)
        self.assertEqual('unknown', found.category)
        self.assertTrue(found.code.isprintable())
        self.assertLessEqual(len(found.code), text_mod.MAX_TEXT + 1)

    @settings(max_examples=1000, deadline=None)
    @given(st.one_of(st.none(), st.text(), st.binary(), st.integers()),
           st.one_of(st.none(), st.text()), st.booleans())
    def test_never_raises(self, code, led, collecting):
        found = codes.explain(code, led, collecting=collecting)
        self.assertIn(found.category, codes.CATEGORIES)
        self.assertTrue(found.code.isprintable() or found.code == '')
        self.assertTrue(found.meaning)


class TestSimulatorCodes(testtools.TestCase):
    """Every code the simulator shows has a sourced category."""

    def sequences(self):
        for os_type in ('ibmi', 'aix'):
            yield bootseq.not_activated(os_type)
            for seed in range(30):
                yield bootseq.build_sequence(os_type, seed, 'vm-%d' % seed)
            yield bootseq.build_sequence(
                os_type, 0, 'stuck', stuck_at=bootseq.DEFAULT_STUCK_CODE)

    def test_boot_sequences(self):
        seen = set()
        for steps in self.sequences():
            for code, led in steps:
                found = codes.explain(code, led)
                self.assertNotEqual('unknown', found.category, (code, led))
                self.assertTrue(found.source_url, code)
                seen.add(code)
        # Every optional code of the IBM i lists was drawn at least once.
        self.assertEqual(set(), set(bootseq._IBMI_C6_OPTIONAL) - seen)

    def test_steady_and_stuck_states(self):
        led = bootseq.led_text
        self.assertEqual('running', codes.explain(
            bootseq.IBMI_STEADY, led(bootseq.LED_RUNNING)).category)
        self.assertEqual('running', codes.explain(
            bootseq.AIX_STEADY, led(bootseq.LED_RUNNING)).category)
        self.assertEqual('off', codes.explain(
            bootseq.IBMI_STEADY, led(bootseq.LED_NOT_ACTIVATED)).category)
        self.assertEqual('error', codes.explain(
            bootseq.DEFAULT_STUCK_CODE, led(bootseq.LED_FAILED)).category)


class TestRefcode(testtools.TestCase):

    def refcode(self, required='true', code='C6004031', led='Running___'):
        return model.Refcode.from_metadata('id-1', 'vm', {
            model.REFCODE_KEY: code, model.LED_CODE_KEY: led,
            model.REQUIRED_KEY: required})

    def test_explanation_and_category(self):
        rc = self.refcode()
        self.assertEqual(codes.explain('C6004031'), rc.explanation)
        self.assertEqual('progress', rc.category)

    def test_led_text_without_padding(self):
        self.assertEqual('running', self.refcode(code='00000000').category)

    def test_collection_off_is_stale(self):
        self.assertEqual('stale', self.refcode(required='false').category)
        self.assertEqual(
            'unknown', self.refcode(required='false', code=None,
                                    led=None).category)

    def test_package_exports(self):
        self.assertIs(codes.explain, powervc_osc.explain)
        self.assertIs(codes.Explanation, powervc_osc.Explanation)


class TestLazyLoading(testtools.TestCase):

    def test_imports_do_not_load_the_table(self):
        script = (
            'import sys\n'
            'import powervc_osc, powervc_osc.model\n'
            'import powervc_osc.osc.refcode, powervc_osc.osc.explain\n'
            'from powervc_osc import RefcodeClient, Refcode\n'
            'assert "powervc_osc.codes" not in sys.modules, "codes"\n'
            'from powervc_osc import codes\n'
            'assert codes.load_table.cache_info().currsize == 0, "table"\n'
            'codes.explain("C6004031")\n'
            'assert codes.load_table.cache_info().currsize == 1\n')
        completed = subprocess.run([sys.executable, '-c', script],
                                   capture_output=True, text=True)
        self.assertEqual((0, ''), (completed.returncode, completed.stderr))
