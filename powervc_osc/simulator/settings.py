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

"""How a simulator behaves: :class:`SimulatorSettings`, documented once.

The same object travels from ``powervc-osc-simulator``'s options through
:class:`~powervc_osc.simulator.server.Simulator` to the fleet
(:class:`~powervc_osc.simulator.state.SimulatorState`) and the WSGI
application (:class:`~powervc_osc.simulator.app.SimulatorApp`).
"""

import dataclasses
import time
import typing

DEFAULT_MAX_LIMIT = 1000


def check_error_rate(value: typing.Any) -> float:
    """``value`` as a float; ValueError unless it is between 0 and 1."""
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError('error_rate must be between 0 and 1')
    return value


def check_zone_offset(value: typing.Any) -> int:
    """``value`` as whole minutes; ValueError outside UTC-12..UTC+14."""
    value = int(value)
    if not -12 * 60 <= value <= 14 * 60:
        raise ValueError('zone_offset_minutes must be between -720 and 840')
    return value


@dataclasses.dataclass
class SimulatorSettings:
    """The settings of one simulator.

    :param servers: None (the default fleet), an int N (a generated fleet
        of N servers) or an iterable of
        :meth:`~powervc_osc.simulator.state.SimulatorState.add_server`
        keyword dicts.
    :param host: listen address.
    :param port: listen port (0: an ephemeral port).
    :param latency_ms: sleep before each identity and compute answer.
    :param seed: seeds the boot sequence variants, the generated fleet and
        ``error_rate``.
    :param token_ttl: token lifetime in seconds.
    :param error_rate: probability (0 to 1) of a 503 on project-scoped
        compute requests.
    :param step_seconds: duration of each boot-sequence step.
    :param max_limit: the maximum (and default) page size of listings.
    :param clock: a monotonic clock (seconds) for the boot sequences and
        token expiry (default ``time.monotonic``).
    :param wall_clock: an epoch clock (seconds) for timestamps (default
        ``time.time``).
    :param zone_offset_minutes: PowerVC's time zone, as minutes east of
        UTC: ``powervc:vm_refcode_query_ts`` is written in that local time
        (as a PowerVC outside UTC does; the ``Date`` header stays UTC).
    :param admin_only_host: Nova's default policy: only admins see the
        ``OS-EXT-SRV-ATTR:*`` attributes and may filter by ``host``.
    :param sleep: the function used for latency and delay faults (default
        ``time.sleep``).
    :param keystone: a
        :class:`~powervc_osc.simulator.keystone_mode.KeystoneAuth` for
        Keystone mode (a real Keystone instead of the built-in identity).
    """

    servers: typing.Any = None
    host: str = '127.0.0.1'
    port: int = 0
    latency_ms: float = 0.0
    seed: typing.Any = 0
    token_ttl: float = 3600.0
    error_rate: float = 0.0
    step_seconds: float = 2.0
    max_limit: int = DEFAULT_MAX_LIMIT
    clock: typing.Optional[typing.Callable[[], float]] = None
    wall_clock: typing.Optional[typing.Callable[[], float]] = None
    zone_offset_minutes: int = 0
    admin_only_host: bool = True
    sleep: typing.Optional[typing.Callable[[float], None]] = None
    keystone: typing.Any = None

    def __post_init__(self) -> None:
        self.port = int(self.port)
        self.latency_ms = float(self.latency_ms)
        self.token_ttl = float(self.token_ttl)
        self.error_rate = check_error_rate(self.error_rate)
        self.step_seconds = float(self.step_seconds)
        self.max_limit = int(self.max_limit)
        self.zone_offset_minutes = check_zone_offset(self.zone_offset_minutes)
        self.clock = self.clock or time.monotonic
        self.wall_clock = self.wall_clock or time.time
        self.sleep = self.sleep or time.sleep


def resolve(settings: typing.Optional['SimulatorSettings'] = None,
            **fields: typing.Any) -> 'SimulatorSettings':
    """A copy of ``settings`` (or the defaults) with ``fields`` replaced.

    :raises TypeError: naming an unknown field.
    """
    return dataclasses.replace(settings or SimulatorSettings(), **fields)
