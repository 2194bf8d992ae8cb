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

"""The cycle loop on a fake clock: on the beat, never overlapping."""

import logging
import threading

import fixtures
import testtools

from powervc_osc.exporter import poller
from powervc_osc.exporter import service
from powervc_osc.exporter import state


class FakeClock:
    """Monotonic time that only the test moves."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class FakeStop(threading.Event):
    """A stop event whose waits pass fake time and end after N cycles."""

    def __init__(self, clock, cycles):
        super().__init__()
        self.clock = clock
        self.cycles = cycles
        self.waits = []

    def wait(self, timeout=None):
        self.waits.append(timeout)
        self.clock.now += timeout
        if len(self.waits) >= self.cycles:
            self.set()
        return self.is_set()


class TimedPoller:
    """A poller whose polls take the given fake durations."""

    def __init__(self, cloud, clock, durations, up=True):
        self.cloud = cloud
        self.clock = clock
        self.durations = list(durations)
        self.up = up
        self.polls = []

    def poll(self, stop):
        start = self.clock.now
        self.clock.now += self.durations.pop(0)
        self.polls.append((start, self.clock.now))
        return state.CloudState(self.cloud, self.up)


class TestSchedule(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.log = self.useFixture(fixtures.FakeLogger(level=logging.INFO))

    def test_a_short_cycle_waits_for_the_next_beat(self):
        self.assertEqual(160.0, service.Schedule(60).next_start(100, 103))
        self.assertEqual('', self.log.output)

    def test_an_overrun_skips_to_the_first_beat_after_it(self):
        schedule = service.Schedule(60, 'prod')
        self.assertEqual(280.0, schedule.next_start(100, 250))
        self.assertIn('Cloud prod: a poll took 150.0 s, longer than the '
                      'interval (60 s); 2 poll(s) skipped', self.log.output)

    def test_a_refused_login_backs_off_exponentially_up_to_a_cap(self):
        schedule = service.Schedule(60, 'prod')
        starts, now = [], 0.0
        for _ in range(9):
            now = schedule.next_start(now, now + 1, state.AUTHENTICATION)
            starts.append(now)
        pauses = [b - a for a, b in zip([0.0] + starts, starts)]
        # 2, 4, 8... intervals after each refusal (less the poll's second)
        self.assertEqual([121, 241, 481, 961, 1921, 3601, 3601, 3601, 3601],
                         pauses)
        self.assertEqual(9, self.log.output.count('login refused'))
        self.assertIn('Cloud prod: login refused 6 time(s) in a row; next '
                      'try in 60 min', self.log.output)
        # A poll that is not refused returns to the beat, and the backoff
        # starts again from the beginning.
        self.assertEqual(now + 60, schedule.next_start(now, now + 1))
        self.assertEqual(now + 181, schedule.next_start(
            now + 60, now + 61, state.AUTHENTICATION))

    def test_other_failures_keep_the_beat(self):
        schedule = service.Schedule(60, 'prod')
        for reason in (state.UNREACHABLE, state.PERMISSION, state.USAGE):
            self.assertEqual(160.0, schedule.next_start(100, 101, reason))


class TestRun(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.log = self.useFixture(fixtures.FakeLogger(level=logging.INFO))
        self.clock = FakeClock()

    def run_cycles(self, pollers, cycles, interval=60):
        stop = FakeStop(self.clock, cycles)
        board = state.Board()
        exporter = service.Exporter(pollers, board, changes=None,
                                    interval=interval, clock=self.clock,
                                    stop=stop)
        exporter.run()
        return exporter, stop

    def test_cycles_never_overlap_and_keep_the_beat(self):
        slow = TimedPoller('prod', self.clock, [5, 150, 5, 5])
        self.run_cycles([slow], cycles=4)
        starts = [start for start, _end in slow.polls]
        ends = [end for _start, end in slow.polls]
        for end, next_start in zip(ends, starts[1:]):
            self.assertLessEqual(end, next_start)
        # 1000, 1060, then the 150 s cycle ends at 1210: next beat 1240.
        self.assertEqual([1000, 1060, 1240, 1300], starts)
        self.assertEqual(1, self.log.output.count('longer than the interval'))

    def test_a_run_of_overruns_is_one_warning_and_one_info(self):
        slow = TimedPoller('prod', self.clock, [5, 150, 150, 150, 5, 5])
        self.run_cycles([slow], cycles=6)
        self.assertEqual(1, self.log.output.count('longer than the interval'))
        self.assertEqual(1, self.log.output.count(
            'Cloud prod: polls fit the interval again'))

    def test_every_cloud_is_published(self):
        board = state.Board()
        exporter = service.Exporter(
            [TimedPoller('a', self.clock, [1]),
             TimedPoller('b', self.clock, [1], up=False)], board, None, 60)
        exporter.cycle()
        self.assertEqual([('a', True), ('b', False)],
                         [(s.cloud, s.up) for s in exporter.board.states()])

    def test_a_hung_cloud_does_not_delay_another(self):
        """The healthy cloud keeps its beat while the other one hangs."""
        release = threading.Event()
        self.addCleanup(release.set)

        class Hung:
            cloud = 'slow'
            polls = 0

            def poll(self, event):
                self.polls += 1
                release.wait(30)       # safety net: the test releases it
                raise poller.Stopped()

        hung = Hung()
        fast = TimedPoller('fast', self.clock, [2, 2, 2, 2])
        rendered = []
        board = state.Board()
        exporter = service.Exporter(
            [hung, fast], board, None, 60, clock=self.clock,
            stop=FakeStop(self.clock, 3),
            on_publish=lambda b: rendered.append(
                [s.cloud for s in b.states()]))
        exporter.run()
        self.assertEqual([1000, 1060, 1120],
                         [start for start, _end in fast.polls])
        self.assertEqual([['fast']] * 3, rendered)
        self.assertEqual(1, hung.polls)
        self.assertTrue(exporter.busy())

    def test_each_cloud_keeps_its_own_beat(self):
        slow = TimedPoller('slow', self.clock, [130, 130])
        self.run_cycles([slow], cycles=2)
        self.assertEqual([1000, 1180], [s for s, _e in slow.polls])

    def test_a_render_failure_is_logged_and_polling_goes_on(self):
        def broken(board):
            raise ValueError('boom')

        fast = TimedPoller('fast', self.clock, [1, 1])
        exporter = service.Exporter(
            [fast], state.Board(), None, 60, clock=self.clock,
            stop=FakeStop(self.clock, 2), on_publish=broken)
        exporter.run()
        self.assertEqual(2, len(fast.polls))
        self.assertEqual(2, self.log.output.count(
            'Cloud fast: the metrics could not be rendered'))

    def test_cycle_says_whether_every_cloud_answered(self):
        board = state.Board()
        good = TimedPoller('a', self.clock, [1, 1])
        bad = TimedPoller('b', self.clock, [1], up=False)
        self.assertTrue(service.Exporter([good], board, None, 60).cycle())
        self.assertFalse(service.Exporter([good, bad], board, None,
                                          60).cycle())

    def test_a_stop_during_a_cycle_publishes_nothing(self):
        stop = threading.Event()
        release = threading.Event()

        class Hung:
            cloud = 'prod'

            def poll(self, event):
                stop.set()
                release.wait(30)
                raise poller.Stopped()

        board = state.Board()
        exporter = service.Exporter([Hung()], board, None, 60, stop=stop)
        self.addCleanup(release.set)
        exporter.run()
        self.assertTrue(exporter.busy())
        release.set()
        self.assertEqual([], board.states())
