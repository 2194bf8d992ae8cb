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

"""The thread pool of bulk operations, which Ctrl-C stops at once.

Its workers are daemons, and a request checks :func:`check_stop` before it
sends anything (a retry, a login), so that nothing more goes to PowerVC
once the caller stopped.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import queue
import threading
import typing as ty

from powervc_osc import exceptions

#: ``stop``: the event of the pool this worker thread belongs to.
_worker = threading.local()


def check_stop() -> None:
    """Refuse to send once the operation of this worker thread stopped."""
    stop = getattr(_worker, 'stop', None)
    if stop is not None and stop.is_set():
        raise exceptions.Interrupted('interrupted')


class _Pool(concurrent.futures.Executor):
    """A thread pool whose threads never hold up the interpreter's exit.

    concurrent.futures joins its worker threads at exit, so a request
    stuck in a socket read would keep a Ctrl-C'd command alive; these
    threads are daemons, and once ``stop`` is set they send nothing more.
    """

    def __init__(self, workers: int, stop: threading.Event) -> None:
        #: Threads it may start; may be changed before the first submit.
        self.workers = workers
        self._stop = stop
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []

    def submit(self, fn: ty.Callable[..., ty.Any], /, *args: ty.Any,
               **kwargs: ty.Any) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        self._jobs.put((future, fn, args, kwargs))
        if len(self._threads) < self.workers:
            thread = threading.Thread(target=self._work, daemon=True,
                                      name='powervc-osc-%d'
                                      % len(self._threads))
            thread.start()
            self._threads.append(thread)
        return future

    def shutdown(self, wait: bool = True, *,
                 cancel_futures: bool = False) -> None:
        if cancel_futures:
            with contextlib.suppress(queue.Empty):
                while True:
                    job = self._jobs.get_nowait()
                    if job is not None:
                        job[0].cancel()
        for _ in self._threads:
            self._jobs.put(None)
        if wait:
            for thread in self._threads:
                thread.join()

    def _work(self) -> None:
        _worker.stop = self._stop
        while True:
            job = self._jobs.get()
            if job is None:
                return
            future, fn, args, kwargs = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:  # noqa: B902 - handed to the caller
                future.set_exception(exc)
            else:
                future.set_result(result)


@contextlib.contextmanager
def thread_pool(workers: int, stop: threading.Event | None = None,
                ) -> ty.Iterator[concurrent.futures.Executor]:
    """A thread pool that drops its work when the caller stops early.

    On Ctrl-C, an error, or a generator closed early, the requests not yet
    sent are cancelled and ``stop`` is set: jobs that poll end, and no job
    sends another request or retry. Requests already under way are left
    to end on their own (their threads do not delay the exit).
    """
    stop = stop or threading.Event()
    pool = _Pool(workers, stop)
    try:
        yield pool
    except BaseException:
        stop.set()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def completed(result: ty.Any = None,
              error: Exception | None = None) -> concurrent.futures.Future:
    """A future already done, to sit in a list beside submitted jobs."""
    done: concurrent.futures.Future = concurrent.futures.Future()
    if error is not None:
        done.set_exception(error)
    else:
        done.set_result(result)
    return done
