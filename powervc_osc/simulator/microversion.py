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

"""Compute microversions: what a request asks for, what an answer says."""

import re
import typing as ty

from powervc_osc.simulator import records as sim_records

MIN_VERSION = (2, 1)
MAX_VERSION = (2, 88)


class VersionNotSupported(sim_records.SimulatorError):
    code = 406


def version_str(version: tuple[int, int]) -> str:
    """``(2, 88)`` as ``'2.88'``."""
    return '%d.%d' % version


def _parse_version(text: str) -> tuple[int, int] | None:
    match = re.fullmatch(r'\s*(\d+)\.(\d+)\s*', text)
    if not match:
        return None
    return int(match.group(1)), int(match.group(2))


def parse_microversion(headers: ty.Any) -> tuple[int, int]:
    """The requested compute microversion as a tuple.

    ``OpenStack-API-Version: compute X.Y`` wins over
    ``X-OpenStack-Nova-API-Version``; none means :data:`MIN_VERSION`.

    :raises SimulatorError: 400 (malformed) or 406 (unsupported).
    """
    value = None
    header = headers.get('OpenStack-API-Version')
    if header:
        for item in header.split(','):
            parts = item.strip().split(None, 1)
            if len(parts) == 2 and parts[0].lower() == 'compute':
                value = parts[1]
    if value is None:
        value = headers.get('X-OpenStack-Nova-API-Version')
    if not value:
        return MIN_VERSION
    if value.strip().lower() == 'latest':
        return MAX_VERSION
    version = _parse_version(value)
    if version is None:
        raise sim_records.BadRequest(
            'API Version String %s is of invalid format. Must be of format '
            'MajorNum.MinorNum.' % value)
    if not MIN_VERSION <= version <= MAX_VERSION:
        raise VersionNotSupported(
            'Version %d.%d is not supported by the API. Minimum is %d.%d '
            'and maximum is %d.%d.' % (version + MIN_VERSION + MAX_VERSION))
    return version


def response_headers(version: tuple[int, int]) -> dict[str, str]:
    """The headers announcing the microversion of an answer."""
    text = version_str(version)
    return {
        'OpenStack-API-Version': 'compute %s' % text,
        'X-OpenStack-Nova-API-Version': text,
        'Vary': 'OpenStack-API-Version, X-OpenStack-Nova-API-Version',
    }
