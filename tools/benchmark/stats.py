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

"""Pure helpers of the benchmark: medians, ratios, request classes."""

from __future__ import annotations

import statistics
import typing as ty

COMPUTE_ROOT = '/powervc/openstack/compute'
IDENTITY_ROOT = '/powervc/openstack/identity'


def median(values: ty.Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def summary(values: ty.Sequence[float]) -> dict:
    """Median, min, max and count of a list of samples."""
    if not values:
        return {'n': 0, 'median': None, 'min': None, 'max': None}
    return {'n': len(values), 'median': statistics.median(values),
            'min': min(values), 'max': max(values)}


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or not b:
        return None
    return a / b


def rotations(rounds: int, k: int = 2) -> list[list[int]]:
    """The run order of each round.

    With two variants A-B, B-A, A-B...; with k variants each round starts
    one variant later.
    """
    return [[(i + j) % k for j in range(k)] for i in range(rounds)]


def request_kind(path: str) -> str:
    """The kind of a simulator request path.

    ``identity``, ``discovery`` (a compute version document), ``compute``
    (an API call) or ``other``.
    """
    if path.startswith(IDENTITY_ROOT):
        return 'identity'
    if path.startswith(COMPUTE_ROOT):
        rest = path[len(COMPUTE_ROOT):].strip('/').split('/')
        # '', 'v2.1' and 'v2' are version documents; API calls carry
        # the project: v2.1/<project>/servers...
        if len(rest) < 3:
            return 'discovery'
        return 'compute'
    return 'other'


def waves(spans: ty.Sequence[tuple[float, float]]) -> int:
    """Round trips on the critical path.

    Requests that overlap in time count as one wave.
    """
    count = 0
    end = None
    for start, finish in sorted(spans):
        if end is None or start >= end:
            count += 1
            end = finish
        else:
            end = max(end, finish)
    return count


def linear_fit(xs: ty.Sequence[float], ys: ty.Sequence[float],
               ) -> tuple[float, float, float]:
    """Least squares ``y = slope * x + intercept``.

    Returns ``(slope, intercept, r_squared)``.
    """
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    slope = sxy / sxx
    intercept = my - slope * mx
    ss_tot = sum((y - my) ** 2 for y in ys)
    ss_res = sum((y - (slope * x + intercept)) ** 2 for x, y in zip(xs, ys))
    r2 = 1.0 - ss_res / ss_tot if ss_tot else 1.0
    return slope, intercept, r2


def verdict(ok: bool | None) -> str:
    return 'n/a' if ok is None else ('PASS' if ok else 'FAIL')
