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

"""Helpers for the simulator tests."""

import threading


class FakeClock:
    """A clock that only moves when told to; thread-safe."""

    def __init__(self, start=1000.0):
        self._now = float(start)
        self._lock = threading.Lock()

    def __call__(self):
        with self._lock:
            return self._now

    def advance(self, seconds):
        with self._lock:
            self._now += seconds


# 2026-01-02T03:04:05Z
WALL_START = 1767323045.0


class FakeSleep:
    """Records sleeps instead of sleeping."""

    def __init__(self):
        self.calls = []
        self._lock = threading.Lock()

    def __call__(self, seconds):
        with self._lock:
            self.calls.append(seconds)
