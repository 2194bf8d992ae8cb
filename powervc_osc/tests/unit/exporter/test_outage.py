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
"""Why a poll failed: the reason label and its one log line."""

import testtools

from powervc_osc import exceptions
from powervc_osc.exporter import outage
from powervc_osc.exporter import state


class TestReason(testtools.TestCase):

    def test_each_failure_has_its_reason(self):
        cases = [
            (exceptions.LoginFailed('refused', status_code=401),
             state.AUTHENTICATION),
            (exceptions.Forbidden('no role', status_code=403),
             state.PERMISSION),
            (exceptions.AdminRequired('--host', 'admin only'),
             state.PERMISSION),
            (exceptions.BadRequest('bad filter', status_code=400),
             state.USAGE),
            (exceptions.ServerError('down', status_code=503),
             state.UNREACHABLE),
            (exceptions.CommunicationError('reset'), state.UNREACHABLE),
            (OSError('unexpected'), state.UNREACHABLE),
        ]
        self.assertEqual([reason for _exc, reason in cases],
                         [outage.reason_of(exc) for exc, _reason in cases])

    def test_a_refused_login_is_not_worded_as_an_outage(self):
        line = outage.message('prod', state.AUTHENTICATION,
                              exceptions.LoginFailed('HTTP 401',
                                                     status_code=401))
        self.assertIn('Cloud prod refused the login', line)
        self.assertNotIn('cannot be reached', line)

    def test_the_error_text_is_one_short_line(self):
        line = outage.message('prod', state.UNREACHABLE,
                              OSError('a\nb ' + 'x' * 500))
        self.assertNotIn('\n', line)
        self.assertTrue(line.startswith('Cloud prod cannot be reached: a b '))
        self.assertTrue(line.endswith('...'))
        self.assertLessEqual(len(line), 200)
