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

"""``openstack server refcode explain`` through ``openstackclient.shell``."""

import csv
import io
import json
import os
import socket

import fixtures
from openstackclient import shell
import testtools
import yaml

from powervc_osc import codes
from powervc_osc.tests.unit import fakes


class TestExplain(testtools.TestCase):
    """No cloud, no clouds.yaml, no credentials, no network."""

    def setUp(self):
        super().setUp()
        self.useFixture(fakes.NoOSEnvironment())
        home = self.useFixture(fixtures.TempDir()).path
        self.useFixture(fixtures.EnvironmentVariable('HOME', home))
        self.useFixture(fixtures.EnvironmentVariable(
            'OS_CLIENT_CONFIG_FILE', os.path.join(home, 'absent.yaml')))

        def no_network(*args, **kwargs):
            raise AssertionError('network call: %r' % (args,))

        self.useFixture(fixtures.MonkeyPatch(
            'socket.socket.connect', no_network))
        self.useFixture(fixtures.MonkeyPatch(
            'socket.create_connection', no_network))

    def run_osc(self, *argv):
        out, err = io.StringIO(), io.StringIO()
        self.useFixture(fixtures.MonkeyPatch('sys.stdout', out))
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', err))
        try:
            status = shell.main(['server', 'refcode', 'explain'] + list(argv))
        except SystemExit as exc:  # argparse, for usage errors
            status = exc.code
        self.assertNotIn('Traceback', err.getvalue())
        return status, out.getvalue(), err.getvalue()

    def test_the_guard_catches_network_calls(self):
        self.assertRaises(AssertionError, socket.create_connection,
                          ('127.0.0.1', 9))

    def test_json(self):
        status, out, err = self.run_osc('C6004031', '0553', '-f', 'json')
        self.assertEqual((0, ''), (status, err))
        rows = json.loads(out)
        self.assertEqual(['Code', 'Category', 'Meaning', 'Source'],
                         list(rows[0]))
        self.assertEqual(
            {'Code': 'C6004031', 'Category': 'progress',
             'Meaning': 'Licensed Internal Code IPL status (C6xx)',
             'Source': 'IBM, Word 1 - SRC general information (POWER5): '
                       'https://www.ibm.com/docs/POWER5/iphau_p5/x11.htm'},
            rows[0])
        self.assertEqual(('0553', 'progress'),
                         (rows[1]['Code'], rows[1]['Category']))
        self.assertIn('recovery-led-553-aix', rows[1]['Source'])

    def test_every_format(self):
        _, out, _ = self.run_osc('B2008105', '-f', 'yaml')
        self.assertEqual('error', yaml.safe_load(out)[0]['Category'])
        _, out, _ = self.run_osc('B2008105', '-f', 'csv')
        self.assertEqual('error', list(csv.DictReader(io.StringIO(out)))[0][
            'Category'])
        _, out, _ = self.run_osc('B2008105', '-f', 'value', '-c', 'Category')
        self.assertEqual('error\n', out)
        _, out, _ = self.run_osc('B2008105')
        self.assertIn('| B2008105 | error', out)

    def test_one_row_per_argument_in_order(self):
        args = ['D9002010', 'C9002960', 'A6005090', '0c9', 'F0000000']
        _, out, _ = self.run_osc(*args + ['-f', 'json'])
        self.assertEqual(
            [(a, codes.explain(a).category) for a in args],
            [(r['Code'], r['Category']) for r in json.loads(out)])

    def test_unknown_points_to_ibm(self):
        _, out, _ = self.run_osc('F0123456', '-f', 'json')
        row = json.loads(out)[0]
        self.assertEqual('unknown', row['Category'])
        self.assertIn('IPL SRC finder', row['Source'])

    def test_hostile_arguments_get_unknown_rows(self):
        status, out, err = self.run_osc(
            '', '\x1b[2J\x07', 'Z' * 500, 'Linux ppc64', '-f', 'json')
        self.assertEqual((0, ''), (status, err))
        rows = json.loads(out)
        self.assertEqual(['unknown'] * 4, [r['Category'] for r in rows])
        self.assertEqual('', rows[0]['Code'])
        self.assertEqual('No reference code reported', rows[0]['Meaning'])
        self.assertNotIn('\x1b', out)
        self.assertNotIn('\x07', out)
        self.assertLess(len(rows[2]['Code']), 300)

    def test_no_argument_is_a_usage_error(self):
        status, out, err = self.run_osc()
        self.assertEqual(2, status)
        self.assertIn('the following arguments are required: <code>', err)
