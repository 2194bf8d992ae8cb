# Copyright 2026 The powervc_osc Authors
#
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

"""The simulated boot sequences: plausible, deterministic, shown in time."""

import testtools

from powervc_osc.simulator import bootseq


class TestSequences(testtools.TestCase):

    def test_ibmi_goes_c2_c6_c9_then_steady(self):
        steps = bootseq.build_sequence('ibmi', 42, 'ibmi-prod-1')
        prefixes = [code[:2] for code, _led in steps[:-1]]
        self.assertEqual(sorted(prefixes), prefixes)
        self.assertEqual({'C2', 'C6', 'C9'}, set(prefixes))
        self.assertEqual(bootseq.IBMI_STEADY, steps[-1][0])
        self.assertTrue(all(len(code) == 8 for code, _led in steps))

    def test_aix_codes_are_four_characters_ending_steady(self):
        steps = bootseq.build_sequence('aix', 42, 'aix-prod-1')
        self.assertEqual('000e', steps[0][0])
        self.assertEqual(bootseq.AIX_STEADY, steps[-1][0])
        self.assertTrue(all(len(code) == 4 for code, _led in steps))

    def test_led_texts_are_32_characters_without_blanks(self):
        for os_type in ('ibmi', 'aix'):
            for _code, led in bootseq.build_sequence(os_type, 1, 'vm'):
                self.assertEqual(32, len(led))
                self.assertNotIn(' ', led)
        self.assertEqual('Running' + '_' * 25,
                         bootseq.led_text(bootseq.LED_RUNNING))
        self.assertEqual(32, len(bootseq.led_text('x' * 40)))

    def test_same_seed_same_sequence_each_server_its_own(self):
        one = bootseq.build_sequence('ibmi', 7, 'a')
        self.assertEqual(one, bootseq.build_sequence('ibmi', 7, 'a'))
        variants = {tuple(bootseq.build_sequence('ibmi', 7, name))
                    for name in 'abcdefgh'}
        self.assertGreater(len(variants), 1)
        self.assertNotEqual(one, bootseq.build_sequence('ibmi', 7, 'a', run=1))

    def test_other_systems_have_no_sequence(self):
        self.assertEqual([], bootseq.build_sequence('linux', 1, 'web'))

    def test_not_activated_is_one_steady_step(self):
        self.assertEqual(
            [(bootseq.IBMI_STEADY, bootseq.led_text('Not activated'))],
            bootseq.not_activated('ibmi'))
        self.assertEqual(bootseq.AIX_STEADY,
                         bootseq.not_activated('aix')[0][0])


class TestStuck(testtools.TestCase):

    def test_a_code_of_the_sequence_ends_it_there(self):
        steps = bootseq.build_sequence('ibmi', 3, 'vm')
        code = steps[4][0]
        stuck = bootseq.build_sequence('ibmi', 3, 'vm', stuck_at=code)
        self.assertEqual(steps[:5], stuck)

    def test_another_code_follows_the_first_phase_as_a_failure(self):
        stuck = bootseq.build_sequence('ibmi', 3, 'vm',
                                       stuck_at=bootseq.DEFAULT_STUCK_CODE)
        self.assertEqual({'C2'}, {code[:2] for code, _led in stuck[:-1]})
        self.assertEqual((bootseq.DEFAULT_STUCK_CODE,
                          bootseq.led_text(bootseq.LED_FAILED)), stuck[-1])


class TestPosition(testtools.TestCase):

    steps = [('A', 'a'), ('B', 'b'), ('C', 'c')]

    def test_nothing_during_the_first_step_then_one_step_each(self):
        shown = [bootseq.position(self.steps, t, 10)
                 for t in (0, 9.9, 10, 19.9, 20, 30)]
        self.assertEqual([None, None, ('A', 'a'), ('A', 'a'), ('B', 'b'),
                          ('C', 'c')], shown)

    def test_the_last_step_stays(self):
        self.assertEqual(('C', 'c'), bootseq.position(self.steps, 1e6, 10))

    def test_no_step_length_shows_the_end_and_no_steps_nothing(self):
        self.assertEqual(('C', 'c'), bootseq.position(self.steps, 0, 0))
        self.assertIsNone(bootseq.position([], 100, 10))
        self.assertIsNone(bootseq.position(self.steps, -1, 10))
