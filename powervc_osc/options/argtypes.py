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


"""argparse types shared by the commands, the exporter and the simulator.

One number type and one duration type, so that every option of the
project refuses bad input with the same kind of line, naming the value.
Only the standard library is imported here (OSC imports the command
modules, and so this one, for every command of the compute group).
"""

from __future__ import annotations

import argparse
import datetime
import math
import typing as ty

#: Exit status of a usage error (argparse's).
USAGE_EXIT = 2
#: The longest ``--interval`` or ``--timeout`` of a command: a week.
MAX_SECONDS = 7 * 24 * 3600

_N = ty.TypeVar('_N', int, float)


def number(kind: type[_N], *, above: float | None = None,
           minimum: float | None = None, maximum: float | None = None,
           maximum_text: str | None = None) -> ty.Callable[[str], _N]:
    """An argparse type: a number of ``kind`` (int or float) within bounds.

    :param above: the value must be greater than this.
    :param minimum: the value must be at least this.
    :param maximum: the value must be at most this.
    :param maximum_text: how to name ``maximum`` (``a week (604800
        seconds)``) instead of the bare number.
    """
    def parse(text: str) -> _N:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                '%r is not a %s' % (text, 'whole number' if kind is int
                                    else 'number'))
        if math.isnan(value):
            raise argparse.ArgumentTypeError('%r is not a number' % text)
        if above is not None and not (value > above and
                                      math.isfinite(value)):
            raise argparse.ArgumentTypeError(
                '%r must be greater than %g' % (text, above))
        problem = _out_of_bounds(value, minimum, maximum, maximum_text)
        if problem:
            raise argparse.ArgumentTypeError('%r %s' % (text, problem))
        return value
    return parse


def _out_of_bounds(value: float, minimum: float | None,
                   maximum: float | None, maximum_text: str | None,
                   ) -> str | None:
    """What is wrong with ``value`` given its bounds, or None."""
    low = minimum is not None and value < minimum
    high = maximum is not None and value > maximum
    if (low or high) and minimum is not None and maximum is not None:
        return 'is not between %g and %g' % (minimum, maximum)
    if minimum is not None and low:
        return 'must be at least %g' % minimum
    if maximum is not None and high:
        return 'is more than %s' % (maximum_text or '%g' % maximum)
    return None


def parsed_by(parser: ty.Callable[[str], ty.Any],
              ) -> ty.Callable[[str], ty.Any]:
    """An argparse type from a parser that raises :class:`ValueError`."""
    def parse(text: str) -> ty.Any:
        try:
            return parser(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc))
    return parse


def duration(minimum: float | None = None,
             ) -> ty.Callable[[str], datetime.timedelta]:
    """An argparse type: ``60`` (seconds), ``90s``, ``15m``, ``2h``, ``30d``.

    :param minimum: the shortest duration allowed, in seconds.
    """
    def parse(text: str) -> datetime.timedelta:
        from powervc_osc import history

        value: datetime.timedelta = parsed_by(history.parse_duration)(text)
        if minimum is not None and value.total_seconds() < minimum:
            raise argparse.ArgumentTypeError(
                '%r is shorter than %gs' % (text, minimum))
        return value
    return parse


def categories(text: str) -> frozenset[str]:
    """An argparse type: comma-separated categories (``attention,error``)."""
    from powervc_osc import codes

    parsed: frozenset[str] = parsed_by(codes.parse_categories)(text)
    return parsed


#: ``--interval`` and ``--timeout`` of the commands: seconds, above zero,
#: at most a week.
seconds = number(float, above=0, maximum=MAX_SECONDS,
                 maximum_text='a week (%d seconds)' % MAX_SECONDS)
#: ``--max-workers``: concurrent requests, from 1 to 256.
worker_count = number(int, minimum=1, maximum=256)
