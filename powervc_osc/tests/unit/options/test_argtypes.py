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

"""The argparse types of the commands, the exporter and the simulator."""

import argparse
import datetime

import testtools

from powervc_osc.options import argtypes


class TestArgumentTypes(testtools.TestCase):

    def test_seconds(self):
        self.assertEqual(2.5, argtypes.seconds('2.5'))
        self.assertEqual(1e-3, argtypes.seconds('1e-3'))
        for text in ('0', '-1', 'inf', 'nan', 'x', ''):
            self.assertRaises(argparse.ArgumentTypeError,
                              argtypes.seconds, text)

    def test_seconds_names_the_value(self):
        exc = self.assertRaises(argparse.ArgumentTypeError,
                                argtypes.seconds, '-1')
        self.assertEqual("'-1' must be greater than 0", str(exc))

    def test_absurd_seconds_are_refused(self):
        self.assertEqual(argtypes.MAX_SECONDS,
                         argtypes.seconds('604800'))
        for text in ('1e10', '604801', '1e308'):
            exc = self.assertRaises(argparse.ArgumentTypeError,
                                    argtypes.seconds, text)
            self.assertEqual('%r is more than a week (604800 seconds)' % text,
                             str(exc))

    def test_worker_count(self):
        self.assertEqual([1, 256], [argtypes.worker_count('1'),
                                    argtypes.worker_count('256')])
        for text in ('0', '257', '1.5', 'many'):
            self.assertRaises(argparse.ArgumentTypeError,
                              argtypes.worker_count, text)


class TestNumber(testtools.TestCase):
    """The one number type: every bound names the value it refused."""

    def refusal(self, parse, text):
        return str(self.assertRaises(argparse.ArgumentTypeError,
                                     parse, text))

    def test_kind(self):
        self.assertEqual(3, argtypes.number(int)('3'))
        self.assertIsInstance(argtypes.number(float)('3'), float)
        self.assertEqual("'1.5' is not a whole number",
                         self.refusal(argtypes.number(int), '1.5'))
        self.assertEqual("'x' is not a number",
                         self.refusal(argtypes.number(float), 'x'))
        self.assertEqual("'nan' is not a number",
                         self.refusal(argtypes.number(float), 'nan'))

    def test_bounds(self):
        between = argtypes.number(float, minimum=0, maximum=1)
        self.assertEqual([0.0, 1.0], [between('0'), between('1')])
        self.assertEqual("'1.5' is not between 0 and 1",
                         self.refusal(between, '1.5'))
        at_least = argtypes.number(int, minimum=1)
        self.assertEqual("'0' must be at least 1",
                         self.refusal(at_least, '0'))
        at_most = argtypes.number(float, maximum=9)
        self.assertEqual("'10' is more than 9", self.refusal(at_most, '10'))


class TestDuration(testtools.TestCase):

    def test_units_and_minimum(self):
        parse = argtypes.duration(minimum=1)
        self.assertEqual(datetime.timedelta(minutes=90), parse('1h30m'))
        self.assertEqual(datetime.timedelta(seconds=60), parse('60'))
        exc = self.assertRaises(argparse.ArgumentTypeError, parse, '0.5')
        self.assertEqual("'0.5' is shorter than 1s", str(exc))
        exc = self.assertRaises(argparse.ArgumentTypeError, parse, 'soon')
        self.assertIn("'soon' is not a duration", str(exc))


class TestCategories(testtools.TestCase):

    def test_parsed_or_refused_by_name(self):
        self.assertEqual(frozenset({'error', 'attention'}),
                         argtypes.categories('error,attention'))
        exc = self.assertRaises(argparse.ArgumentTypeError,
                                argtypes.categories, 'bogus')
        self.assertIn('bogus', str(exc))
