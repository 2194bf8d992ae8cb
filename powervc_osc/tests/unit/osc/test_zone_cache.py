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
import os

import fixtures
import testtools

from powervc_osc.osc import zone_cache

ENDPOINT = 'https://powervc.example.com/powervc/openstack/compute/v2.1/p'
IST = datetime.timedelta(hours=5, minutes=30)


class TestZoneCache(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.cache = self.useFixture(fixtures.TempDir()).path
        self.useFixture(fixtures.EnvironmentVariable(
            'XDG_CACHE_HOME', self.cache))

    def test_a_zone_is_remembered_per_endpoint_for_a_week(self):
        zone_cache.save(ENDPOINT, IST, now=lambda: 1000.0)
        self.assertEqual(IST, zone_cache.load(ENDPOINT, now=lambda: 1000.0))
        self.assertIsNone(zone_cache.load(ENDPOINT + '2',
                                          now=lambda: 1000.0))
        week = zone_cache.KEEP_DAYS * 86400
        self.assertEqual(IST, zone_cache.load(
            ENDPOINT, now=lambda: 1000.0 + week))
        self.assertIsNone(zone_cache.load(
            ENDPOINT, now=lambda: 1001.0 + week))

    def test_an_unreadable_cache_is_no_zone(self):
        os.makedirs(os.path.join(self.cache, 'powervc-osc'))
        with open(zone_cache.path(), 'w') as f:
            f.write('{not json')
        self.assertIsNone(zone_cache.load(ENDPOINT))
        zone_cache.save(ENDPOINT, IST)          # rewritten whole
        self.assertEqual(IST, zone_cache.load(ENDPOINT))

    def test_nothing_to_remember(self):
        zone_cache.save(ENDPOINT, None)
        zone_cache.save(None, IST)
        self.assertFalse(os.path.exists(zone_cache.path()))
