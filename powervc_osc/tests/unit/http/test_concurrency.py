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

"""The thread pool of bulk operations, which Ctrl-C stops at once."""

import threading

import testtools

from powervc_osc import exceptions
from powervc_osc.http import concurrency

#: Only a bound on a broken test; a passing test never waits for it.
SAFETY = 30


class TestThreadPool(testtools.TestCase):

    def test_results_and_errors_reach_the_caller(self):
        def job(value):
            if value < 0:
                raise ValueError('negative: %d' % value)
            return value * 2

        with concurrency.thread_pool(2) as pool:
            futures = [pool.submit(job, v) for v in (1, -1, 3)]
        self.assertTrue(all(f.done() for f in futures))
        self.assertEqual(2, futures[0].result())
        exc = self.assertRaises(ValueError, futures[1].result)
        self.assertEqual('negative: -1', str(exc))
        self.assertEqual(6, futures[2].result())

    def test_at_most_workers_daemon_threads(self):
        def job():
            thread = threading.current_thread()
            return thread.name, thread.daemon

        with concurrency.thread_pool(2) as pool:
            futures = [pool.submit(job) for _ in range(8)]
        seen = {f.result() for f in futures}
        self.assertLessEqual(len(seen), 2)
        for name, daemon in seen:
            self.assertIn(name, ('powervc-osc-0', 'powervc-osc-1'))
            self.assertTrue(daemon)

    def test_normal_exit_leaves_stop_clear(self):
        stop = threading.Event()
        with concurrency.thread_pool(1, stop) as pool:
            pool.submit(concurrency.check_stop).result(SAFETY)
        self.assertFalse(stop.is_set())

    def test_error_stops_queued_and_running_work(self):
        stop = threading.Event()
        started = threading.Event()
        release = threading.Event()

        def running():
            started.set()
            release.wait(SAFETY)
            concurrency.check_stop()     # the next request it would send
            return 'sent'

        def queued():
            return 'sent'

        with testtools.ExpectedException(KeyboardInterrupt):
            with concurrency.thread_pool(1, stop) as pool:
                first = pool.submit(running)
                second = pool.submit(queued)
                self.assertTrue(started.wait(SAFETY))
                raise KeyboardInterrupt()
        self.assertTrue(stop.is_set())
        self.assertTrue(second.cancelled())
        release.set()
        self.assertIsInstance(first.exception(SAFETY),
                              exceptions.Interrupted)

    def test_check_stop_outside_a_pool_sends(self):
        self.assertIsNone(concurrency.check_stop())


class TestCompleted(testtools.TestCase):

    def test_result(self):
        done = concurrency.completed('value')
        self.assertTrue(done.done())
        self.assertEqual('value', done.result(0))

    def test_default_result_is_none(self):
        self.assertIsNone(concurrency.completed().result(0))

    def test_error(self):
        error = exceptions.NotFound('no server web-1')
        done = concurrency.completed('ignored', error=error)
        self.assertTrue(done.done())
        self.assertIs(error, done.exception(0))
        self.assertRaises(exceptions.NotFound, done.result, 0)
