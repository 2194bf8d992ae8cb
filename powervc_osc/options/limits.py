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

"""``--max-age`` and ``--max-rate``: ``refcode list`` and the exporter.

``--max-age`` reuses a code the listing carries when PowerVC stamped it
recently; ``--max-rate`` is the request budget. Only the standard library
is imported here: OSC imports the command modules for every command.
"""

from __future__ import annotations

import typing as ty

from powervc_osc.options import argtypes

#: The largest ``--max-age``: a day.
MAX_AGE_LIMIT = 24 * 3600.0
#: The largest ``--max-rate``.
MAX_RATE_LIMIT = 10000.0

#: argparse type: seconds from 0 (always read fresh) to a day.
max_age = argtypes.number(float, minimum=0, maximum=MAX_AGE_LIMIT)
#: argparse type: requests a second (0: no limit).
max_rate = argtypes.number(float, minimum=0, maximum=MAX_RATE_LIMIT)


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
