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

import testtools

from powervc_osc.fleet import budget
from powervc_osc.tests.unit import fakes


class TestTokenBucket(testtools.TestCase):

    def test_requests_are_spread_at_the_rate(self):
        clock = fakes.FakeClock(100.0)
        bucket = budget.TokenBucket(10, burst=1, clock=clock.clock,
                                    sleep=clock.sleep)
        for _ in range(5):
            bucket.acquire()
        # The first goes at once, then one every 0.1 s.
        self.assertEqual(100.4, round(clock.now, 6))
        self.assertEqual([0.1] * 4, [round(s, 6) for s in clock.sleeps])

    def test_an_idle_bucket_allows_its_burst_only(self):
        clock = fakes.FakeClock()
        bucket = budget.TokenBucket(100, burst=3, clock=clock.clock,
                                    sleep=clock.sleep)
        clock.now += 60.0          # idle for a minute
        for _ in range(5):
            bucket.acquire()
        self.assertEqual(2, len(clock.sleeps))
        self.assertEqual(60.02, round(clock.now, 6))

    def test_no_rate_no_wait(self):
        clock = fakes.FakeClock()
        bucket = budget.TokenBucket(None, clock=clock.clock,
                                    sleep=clock.sleep)
        for _ in range(1000):
            bucket.acquire()
        self.assertEqual([], clock.sleeps)


class TestWorkersFor(testtools.TestCase):

    def test_little_s_law(self):
        # 200 requests a second at 50 ms: 10 in flight, 13 with jitter.
        self.assertEqual(14, budget.workers_for(200, 0.05, cap=64))

    def test_capped(self):
        self.assertEqual(64, budget.workers_for(1000, 2.0, cap=64))
        self.assertEqual(2, budget.workers_for(1, 0.001, cap=64))
        self.assertEqual(16, budget.workers_for(None, 0.05, cap=16))


class TestLatency(testtools.TestCase):

    def test_moving_average(self):
        latency = budget.Latency(weight=0.5)
        self.assertIsNone(latency.seconds)
        latency.add(0.1)
        latency.add(0.3)
        self.assertAlmostEqual(0.2, latency.seconds)
