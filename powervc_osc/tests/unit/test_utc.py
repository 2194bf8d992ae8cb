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

"""Times without a zone are read as UTC."""

import datetime

import testtools

from powervc_osc import utc


class TestAsUtc(testtools.TestCase):

    def test_naive_is_utc(self):
        naive = datetime.datetime(2026, 11, 27, 8, 0)
        self.assertEqual(datetime.datetime(2026, 11, 27, 8, 0,
                                           tzinfo=datetime.timezone.utc),
                         utc.as_utc(naive))

    def test_a_zone_is_kept(self):
        paris = datetime.timezone(datetime.timedelta(hours=1))
        moment = datetime.datetime(2026, 11, 27, 9, 0, tzinfo=paris)
        self.assertIs(paris, utc.as_utc(moment).tzinfo)
