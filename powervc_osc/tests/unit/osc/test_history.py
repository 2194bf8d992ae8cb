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

"""``openstack server refcode history`` through openstackclient.shell."""

import csv
import datetime
import io
import json
import os
import subprocess
import sys
import time

import fixtures
from openstackclient import shell
import yaml

from powervc_osc import history
from powervc_osc import model
from powervc_osc.tests.unit import fakes
from powervc_osc.tests.unit.osc import test_refcode

UTC = datetime.timezone.utc
NOW = time.time()
MINUTE = 60.0
ID_1 = '0f6d3c2e-9b1a-4c8e-a2f7-5d4e3c2b1a09'
ID_2 = '6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d'
COLUMNS = ['Observed At', 'Refcode', 'LED Code', 'Category', 'Queried At']


def refcode(server_id, name, code, led=None, queried=None):
    return model.Refcode(server_id, name, code, led, queried, True)


def category(rc):
    return {'C6': 'progress', 'C9': 'progress', 'B2': 'error'}.get(
        (rc.refcode or '')[:2], 'unknown')


def iso(seconds):
    return datetime.datetime.fromtimestamp(seconds, UTC).isoformat(
        timespec='seconds')


class HistoryCommandTestCase(test_refcode.CommandTestCase):

    def setUp(self):
        super().setUp()
        self.state = self.useFixture(fixtures.TempDir()).path
        self.useFixture(fixtures.EnvironmentVariable(
            'XDG_STATE_HOME', self.state))
        self.path = os.path.join(self.state, 'powervc-osc',
                                 'history.sqlite3')

    def record(self, when, cloud, *refcodes, path=None):
        with history.HistoryStore(path or self.path,
                                  clock=lambda: when) as store:
            store.record(cloud, refcodes, category)

    def fleet_history(self):
        """ibmi-prod-1 IPLs over three hours; another server beside it."""
        queried = datetime.datetime(2026, 11, 27, 5, 21, 53, 955450)
        self.record(NOW - 180 * MINUTE, 'powervc',
                    refcode(ID_1, 'ibmi-prod-1', 'B2008105',
                            'IPL_failed_attention', queried),
                    refcode(ID_2, 'ibmi-prod-2', 'C6004031'))
        self.record(NOW - 90 * MINUTE, 'powervc',
                    refcode(ID_1, 'ibmi-prod-1', 'C6004031', 'Surr_rebooting'))
        self.record(NOW - 1 * MINUTE, 'powervc',
                    refcode(ID_1, 'ibmi-prod-1', 'C9002960', 'Surr_ready'))

    def history(self, *argv, status=0):
        result = self.run_osc('server', 'refcode', 'history', *argv)
        self.assertEqual(status, result[0], result)
        return result


class TestOutput(HistoryCommandTestCase):

    def setUp(self):
        super().setUp()
        self.fleet_history()

    def test_json_newest_first(self):
        _, out, err = self.history('ibmi-prod-1', '-f', 'json')
        self.assertEqual('', err)
        rows = json.loads(out)
        self.assertEqual(COLUMNS, list(rows[0]))
        self.assertEqual(
            [[iso(NOW - 1 * MINUTE), 'C9002960', 'Surr_ready', 'progress',
              None],
             [iso(NOW - 90 * MINUTE), 'C6004031', 'Surr_rebooting',
              'progress', None],
             [iso(NOW - 180 * MINUTE), 'B2008105', 'IPL_failed_attention',
              'error', '2026-11-27T05:21:53.955450']],
            [list(r.values()) for r in rows])

    def test_id_or_name(self):
        by_name = self.history('ibmi-prod-1', '-f', 'json')[1]
        self.assertEqual(by_name, self.history(ID_1, '-f', 'json')[1])
        for server in (ID_2, 'ibmi-prod-2'):
            _, out, _ = self.history(server, '-f', 'value', '-c', 'Refcode')
            self.assertEqual('C6004031\n', out)

    def test_every_format(self):
        _, out, _ = self.history('ibmi-prod-1')
        lines = out.splitlines()
        self.assertIn('| Observed At ', lines[1])
        self.assertIn('| C9002960 | Surr_ready ', lines[3])
        _, out, _ = self.history('ibmi-prod-1', '-f', 'csv')
        rows = list(csv.reader(io.StringIO(out)))
        self.assertEqual(COLUMNS, rows[0])
        self.assertEqual('B2008105', rows[3][1])
        _, out, _ = self.history('ibmi-prod-1', '-f', 'yaml')
        self.assertEqual('error', yaml.safe_load(out)[2]['Category'])
        _, out, _ = self.history('ibmi-prod-1', '-f', 'value',
                                 '-c', 'Refcode')
        self.assertEqual('C9002960\nC6004031\nB2008105\n', out)

    def test_since_and_limit(self):
        _, out, _ = self.history('ibmi-prod-1', '--since', '2h', '-f',
                                 'value', '-c', 'Refcode')
        self.assertEqual('C9002960\nC6004031\n', out)
        since = datetime.datetime.fromtimestamp(NOW - 100 * MINUTE, UTC)
        for text in (since.isoformat(),
                     since.replace(tzinfo=None).isoformat(),
                     since.astimezone(datetime.timezone(
                         datetime.timedelta(hours=5))).isoformat()):
            _, out, _ = self.history('ibmi-prod-1', '--since', text, '-f',
                                     'value', '-c', 'Refcode')
            self.assertEqual('C9002960\nC6004031\n', out, text)
        _, out, _ = self.history('ibmi-prod-1', '--limit', '1', '-f',
                                 'value', '-c', 'Refcode')
        self.assertEqual('C9002960\n', out)

    def test_nothing_since_is_an_empty_answer(self):
        _, out, err = self.history('ibmi-prod-2', '--since', '30m',
                                   '-f', 'json')
        self.assertEqual(([], ''), (json.loads(out), err))

    def test_history_option(self):
        other = os.path.join(self.state, 'elsewhere.sqlite3')
        self.record(NOW, 'powervc', refcode(ID_1, 'ibmi-prod-1', 'A6005001'),
                    path=other)
        _, out, _ = self.history('ibmi-prod-1', '--history', other,
                                 '-f', 'value', '-c', 'Refcode')
        self.assertEqual('A6005001\n', out)


class TestLocalOnly(HistoryCommandTestCase):

    def test_no_login_and_no_request(self):
        self.fleet_history()
        self.history('ibmi-prod-1')
        # Even with credentials in the environment nothing is sent.
        self.assertEqual([], self.requests.request_history)
        self.useFixture(fakes.NoOSEnvironment())
        self.assertFalse(os.path.exists(self.clouds_yaml))
        _, out, err = self.history('ibmi-prod-1', '-f', 'value',
                                   '-c', 'Refcode')
        self.assertEqual(('C9002960\nC6004031\nB2008105\n', ''), (out, err))
        self.assertEqual([], self.requests.request_history)

    def test_module_imports_no_sqlite(self):
        code = ('import sys, powervc_osc.osc.history; '
                'print(sorted({"sqlite3", "powervc_osc.history"} '
                '& set(sys.modules)))')
        out = subprocess.run([sys.executable, '-c', code], check=True,
                             capture_output=True, text=True).stdout
        self.assertEqual('[]\n', out)


class TestErrors(HistoryCommandTestCase):

    def one_line(self, *argv):
        _, out, err = self.history(*argv, status=1)
        self.assertEqual('', out)
        self.assertEqual(1, len(err.splitlines()), err)
        return err.strip()

    def test_missing_store(self):
        err = self.one_line('ibmi-prod-1')
        self.assertEqual(
            'History store %s: does not exist; nothing has been recorded '
            'there (powervc-osc-exporter records it)' % self.path, err)
        self.assertFalse(os.path.exists(self.path))

    def test_empty_store_and_unknown_server(self):
        history.HistoryStore(self.path).close()
        err = self.one_line('ibmi-prod-1')
        self.assertEqual("History store %s: has no recorded changes for "
                         "server 'ibmi-prod-1'" % self.path, err)
        self.fleet_history()
        self.assertIn("for server 'ibmi-prod'", self.one_line('ibmi-prod'))
        self.assertIn("for server 'ibmi-prod-1' for cloud 'other'",
                      self.one_line('ibmi-prod-1', '--cloud-label', 'other'))

    def test_name_in_two_clouds(self):
        self.fleet_history()
        self.record(NOW, 'powervc-dr',
                    refcode(ID_2, 'ibmi-prod-1', 'C1001F00'))
        err = self.one_line('ibmi-prod-1')
        self.assertIn("more than one server was recorded as 'ibmi-prod-1': "
                      "%s (cloud powervc), %s (cloud powervc-dr); give an ID "
                      "or --cloud-label" % (ID_1, ID_2), err)
        _, out, _ = self.history('ibmi-prod-1', '--cloud-label', 'powervc-dr',
                                 '-f', 'value', '-c', 'Refcode')
        self.assertEqual('C1001F00\n', out)

    def test_corrupt_store(self):
        os.makedirs(os.path.dirname(self.path))
        with open(self.path, 'wb') as f:
            f.write(b'not a database at all' * 50)
        self.assertIn('%s: is not a readable history store' % self.path,
                      self.one_line('ibmi-prod-1'))

    def test_usage_errors_exit_2_naming_the_value(self):
        self.fleet_history()
        for argv, culprit in (
                (['--since', '3 fortnights', 'x'], "'3 fortnights'"),
                (['--since', '2026-13-45', 'x'], "'2026-13-45'"),
                (['--limit', '0', 'x'], "'0' must be at least 1"),
                (['--limit', 'ten', 'x'], "'ten' is not a whole number"),
                (['--limit', str(2 ** 63), 'x'],
                 "'9223372036854775808' is more than 9223372036854775807"),
                (['--since', '20260229', 'x'],
                 "'20260229' has no unit: write 20260229s")):
            err = io.StringIO()
            self.useFixture(fixtures.MonkeyPatch('sys.stderr', err))
            exc = self.assertRaises(SystemExit, shell.main,
                                    ['server', 'refcode', 'history'] + argv)
            self.assertEqual(2, exc.code, argv)
            last = err.getvalue().splitlines()[-1]
            self.assertIn('error: ', last)
            self.assertIn(culprit, last)
        self.assertEqual([], self.requests.request_history)


class TestAnswers(HistoryCommandTestCase):
    """What the history answers after renames, lookalikes, edits."""

    def refcodes(self, *argv):
        _, out, _ = self.history(*argv, '-f', 'value', '-c', 'Refcode')
        return out.split()

    def test_a_rename_is_recorded(self):
        self.record(NOW - 90 * MINUTE, 'powervc',
                    refcode(ID_1, 'ibmi-old', 'B2008105'))
        self.record(NOW - 60 * MINUTE, 'powervc',
                    refcode(ID_1, 'ibmi-new', 'B2008105'))
        self.assertEqual(['B2008105', 'B2008105'], self.refcodes('ibmi-new'))
        self.assertEqual(self.refcodes('ibmi-new'),
                         self.refcodes('ibmi-old'))

    def test_an_id_wins_over_a_server_named_like_it(self):
        self.record(NOW - 90 * MINUTE, 'powervc',
                    refcode(ID_1, 'ibmi-prod-1', 'B2008105'),
                    refcode(ID_2, ID_1, 'C6004031'))
        self.assertEqual(['B2008105'], self.refcodes(ID_1))
        self.assertEqual(['C6004031'], self.refcodes(ID_2))

    def test_collection_turned_off_is_recorded_as_stale(self):
        when = NOW - 90 * MINUTE
        rc = refcode(ID_1, 'ibmi-prod-1', 'B2008105')
        for required in (True, False):
            with history.HistoryStore(self.path,
                                      clock=lambda: when) as store:
                store.record('powervc', [model.Refcode(
                    rc.server_id, rc.server_name, rc.refcode, rc.led_code,
                    None, required)], lambda r: r.category)
            when += MINUTE
        _, out, _ = self.history('ibmi-prod-1', '-f', 'value',
                                 '-c', 'Category')
        self.assertEqual(['stale', 'error'], out.split())

    def test_escape_sequences_in_the_store_are_not_printed(self):
        self.fleet_history()
        import sqlite3

        with sqlite3.connect(self.path) as db:
            db.execute("UPDATE changes SET refcode = ?, led_code = ?, "
                       "category = ? WHERE server_id = ?",
                       ('\x1b]0;pwned\x07B2008105', '\x1b[2J', '\x1b[31m',
                        ID_1))
        db.close()
        for fmt in ('table', 'value', 'csv'):
            _, out, err = self.history('ibmi-prod-1', '-f', fmt)
            self.assertNotIn('\x1b', out + err, fmt)
            self.assertNotIn('\x07', out + err, fmt)
            self.assertIn('B2008105', out, fmt)

    def test_a_malformed_row_is_skipped_with_one_line(self):
        self.fleet_history()
        import sqlite3

        with sqlite3.connect(self.path) as db:
            db.execute("UPDATE changes SET observed_at = 1e20 WHERE "
                       "refcode = 'C6004031' AND server_id = ?", (ID_1,))
            db.execute("UPDATE changes SET queried_at = 'garbage' WHERE "
                       "refcode = 'B2008105'")
        db.close()
        _, out, err = self.history('ibmi-prod-1', '-f', 'value',
                                   '-c', 'Refcode', '-c', 'Queried At')
        # The row without a time is left out; the one whose query time is
        # garbage is shown without it.
        self.assertEqual(['C9002960 None', 'B2008105 None'],
                         out.splitlines())
        lines = err.splitlines()
        self.assertEqual(2, len(lines), err)
        for line in lines:
            self.assertIn(self.path, line)
            self.assertIn('skipped', line)
        self.assertNotIn('Traceback', err)
