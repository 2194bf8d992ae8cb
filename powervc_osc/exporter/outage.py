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

"""Why a poll failed: an outage, or a configuration to fix.

A PowerVC that does not answer is an outage that ends by itself; a refused
login, a missing role or a rejected filter is a configuration that only a
human can fix.  Each has its reason label and its wording.
"""

from __future__ import annotations

from powervc_osc import exceptions
from powervc_osc.exporter import state

#: Characters of an error's text in a log line (the line stays short).
MAX_ERROR_TEXT = 120

_WORDING = {
    state.UNREACHABLE:
        'Cloud %s cannot be reached: %s',
    state.AUTHENTICATION:
        'Cloud %s refused the login (check user and password in '
        'clouds.yaml): %s',
    state.PERMISSION:
        'Cloud %s: the user lacks a role the filters need (admin for '
        '--all-projects, --project, --host): %s',
    state.USAGE:
        'Cloud %s rejected the request (check the filters): %s',
}


def reason_of(exc: BaseException) -> str:
    """The :data:`~.state.REASONS` member that explains ``exc``."""
    if isinstance(exc, exceptions.Unauthorized):
        return state.AUTHENTICATION
    if isinstance(exc, (exceptions.Forbidden, exceptions.AdminRequired)):
        return state.PERMISSION
    if isinstance(exc, (exceptions.BadRequest,
                        exceptions.ConfigurationError)):
        return state.USAGE
    return state.UNREACHABLE


def message(cloud: str, reason: str, exc: BaseException) -> str:
    """The one log line that starts a failure of ``reason``."""
    return _WORDING[reason] % (cloud, short(str(exc)))


def short(text: str, limit: int = MAX_ERROR_TEXT) -> str:
    """``text`` on one line, cut to ``limit`` characters."""
    text = ' '.join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + '...'
