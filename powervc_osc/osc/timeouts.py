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


"""The HTTP timeout of a command: OS_API_TIMEOUT or the cloud's."""

from __future__ import annotations

import math
import os
import typing as ty


def api_timeout(app: ty.Any) -> float | None:
    """The HTTP timeout in seconds, or None to keep the client's default.

    :raises CommandError: for a value that is not a number of seconds.
    """
    value, source = _configured_timeout(app)
    if value is None or value == '':
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = math.nan
    if not (seconds > 0 and math.isfinite(seconds)):
        from osc_lib import exceptions

        raise exceptions.CommandError(
            '%s must be a number of seconds greater than 0, not %r'
            % (source, value))
    return seconds


def _configured_timeout(app: ty.Any) -> tuple[ty.Any, str]:
    """OS_API_TIMEOUT, else the cloud's ``api_timeout``, and where it was.

    osc-lib drops ``api_timeout`` from the session it builds, so the cloud
    is read again here the way OSC reads it (clouds.yaml, secure.yaml,
    vendor profiles and environment, merged).
    """
    value = os.environ.get('OS_API_TIMEOUT')
    if value:
        return value, 'OS_API_TIMEOUT'
    if getattr(app, 'cloud_config', None) is None:
        return None, ''
    try:
        cloud = app.cloud_config.get_one(
            cloud=app.options.cloud, argparse=app.options, validate=False)
    except Exception:  # nosec B110: no timeout is better than no command
        return None, ''
    return cloud.config.get('api_timeout'), 'api_timeout'
