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

"""A request budget: a rate limit, and concurrency from rate and latency.

Every metadata GET may make PowerVC ask the hypervisor (NovaLink or the
HMC), so bulk reads are spread at a rate rather than sent in bursts
(:class:`TokenBucket`), and the number of requests in flight is what that
rate needs at the latency measured (:func:`workers_for`,
:class:`Latency`), within a cap. (No I/O here.)
"""

from __future__ import annotations

import math
import threading
import time
import typing as ty


class TokenBucket:
    """At most ``rate`` requests a second, in bursts of at most ``burst``.

    :meth:`acquire` blocks the calling thread (a worker) until a token is
    there, so concurrent requests are spread evenly rather than sent at
    once. Thread-safe; the clock and the sleep are injected for tests.

    :param rate: tokens a second (None or 0: no limit).
    :param burst: tokens that may gather while idle (default: a tenth of
        a second's worth, at least 1).
    """

    def __init__(self, rate: float | None, burst: float | None = None,
                 clock: ty.Callable[[], float] = time.monotonic,
                 sleep: ty.Callable[[float], ty.Any] = time.sleep) -> None:
        self.rate = float(rate) if rate else None
        self.burst = max(1.0, float(burst) if burst else (
            (self.rate or 0) / 10.0))
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = self.burst
        self._stamp = clock()

    def acquire(self) -> float:
        """Take one token, waiting for it; return the seconds waited."""
        if self.rate is None:
            return 0.0
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst,
                               self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            self._tokens -= 1.0     # reserved now, paid for by waiting
            wait = 0.0 if self._tokens >= 0 else -self._tokens / self.rate
        if wait > 0:
            self._sleep(wait)
        return wait


def workers_for(rate: float | None, latency: float, cap: int,
                floor: int = 2) -> int:
    """Concurrent requests that keep ``rate`` a second at ``latency`` s.

    Little's law (in flight = rate x latency), with a quarter more for
    jitter, within ``floor`` and ``cap``. Without a rate, ``cap``.
    """
    if not rate:
        return cap
    wanted = math.ceil(rate * max(latency, 0.0) * 1.25) + 1
    return max(min(floor, cap), min(cap, wanted))


class Latency:
    """A moving average of round-trip times (seconds); thread-safe.

    :param weight: the weight of each new sample.
    """

    def __init__(self, weight: float = 0.2) -> None:
        self.weight = weight
        self.seconds: float | None = None
        self._lock = threading.Lock()

    def add(self, seconds: float) -> None:
        with self._lock:
            if self.seconds is None:
                self.seconds = seconds
            else:
                self.seconds += self.weight * (seconds - self.seconds)


class Budget:
    """A client's request budget: its rate limit and measured latency.

    :param rate: requests a second (None or 0: no limit).
    """

    #: The burst: this many seconds' worth of requests.
    BURST_SECONDS = 0.02

    def __init__(self, rate: float | None,
                 clock: ty.Callable[[], float] = time.monotonic,
                 sleep: ty.Callable[[float], ty.Any] = time.sleep) -> None:
        self.rate = rate or None
        self.bucket = TokenBucket(self.rate,
                                  burst=(self.rate or 0) * self.BURST_SECONDS,
                                  clock=clock, sleep=sleep)
        #: Round trips of the requests made through :meth:`call`.
        self.latency = Latency()

    def call(self, request: ty.Callable[..., ty.Any], *args: ty.Any,
             **kwargs: ty.Any) -> ty.Any:
        """``request(*args, **kwargs)`` within the rate, timed."""
        self.bucket.acquire()
        started = time.monotonic()
        answer = request(*args, **kwargs)
        self.latency.add(time.monotonic() - started)
        return answer

    def workers(self, cap: int) -> int:
        """Requests at once for the rate at the latency measured."""
        return workers_for(self.rate, self.latency.seconds or 0.0, cap)
