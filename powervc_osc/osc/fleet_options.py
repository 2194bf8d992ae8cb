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

"""Options of ``refcode list`` and the exporter for large fleets.

``--max-age`` (reuse a code the listing shows when PowerVC stamped it
recently), ``--max-rate`` (the request budget) and the check of
``--status`` against Nova's server statuses. Only the standard library
is imported here: OSC imports the command modules for every command.
"""

from __future__ import annotations

import argparse
import math
import typing as ty

#: Nova's server statuses (``openstack server list --status`` takes these).
NOVA_STATUSES = (
    'ACTIVE', 'BUILD', 'DELETED', 'ERROR', 'HARD_REBOOT', 'MIGRATING',
    'PASSWORD', 'PAUSED', 'REBOOT', 'REBUILD', 'RESCUE', 'RESIZE',
    'REVERT_RESIZE', 'SHELVED', 'SHELVED_OFFLOADED', 'SHUTOFF',
    'SOFT_DELETED', 'SUSPENDED', 'UNKNOWN', 'VERIFY_RESIZE')
#: The largest ``--max-age``: a day.
MAX_AGE_LIMIT = 24 * 3600.0
#: The largest ``--max-rate``.
MAX_RATE_LIMIT = 10000.0


def nova_status(text: str) -> str:
    """argparse type: one of :data:`NOVA_STATUSES`, in any case."""
    if text.upper() not in NOVA_STATUSES:
        raise argparse.ArgumentTypeError(
            '%r is not a Nova server status (one of %s)'
            % (text, ', '.join(NOVA_STATUSES)))
    return text.upper()


def _number(text: str, limit: float, unit: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError('%r is not a number' % text)
    if not (math.isfinite(value) and 0 <= value <= limit):
        raise argparse.ArgumentTypeError(
            '%r is not between 0 and %g %s' % (text, limit, unit))
    return value


def max_age(text: str) -> float:
    """argparse type: seconds from 0 (always read fresh) to a day."""
    return _number(text, MAX_AGE_LIMIT, 'seconds')


def max_rate(text: str) -> float:
    """argparse type: requests a second (0: no limit)."""
    return _number(text, MAX_RATE_LIMIT, 'requests a second')


def add_budget_options(parser: ty.Any, default_age: float,
                       default_rate: float, age_help: str = '') -> None:
    """``--max-age`` and ``--max-rate``."""
    parser.add_argument(
        '--max-age', metavar='<seconds>', type=max_age, default=default_age,
        help='Show the code the server listing carries, without asking '
             'PowerVC again, when PowerVC stamped it at most this many '
             'seconds ago by its own clock; 0 reads every code fresh '
             '(default: %g)%s' % (default_age, age_help))
    parser.add_argument(
        '--max-rate', metavar='<requests/s>', type=max_rate,
        default=default_rate,
        help='Send at most this many metadata requests a second, spread '
             'evenly; the requests in flight are what that rate needs at '
             'the latency measured, at most --max-workers (default: %g; '
             '0: no limit)' % default_rate)
