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

"""``powervc-osc-simulator``: serve the simulator until SIGINT/SIGTERM.

``powervc-osc-simulator demo [...]`` runs the guided demo instead
(:mod:`powervc_osc.simulator.demo`).
"""

import argparse
import logging
import os
import signal
import sys
import threading
import typing

from powervc_osc.options import argtypes
from powervc_osc.simulator import server as sim_server
from powervc_osc.simulator import settings as sim_settings

if typing.TYPE_CHECKING:
    from powervc_osc.simulator import keystone_mode

DEFAULTS = sim_settings.SimulatorSettings()


_probability = argtypes.number(float, minimum=0, maximum=1)
_non_negative_int = argtypes.number(int, minimum=0)
_non_negative_float = argtypes.number(float, minimum=0)
_positive_int = argtypes.number(int, minimum=1)
_zone_offset = argtypes.number(int, minimum=-720, maximum=840)

#: The options that set a field of the settings: option, field, type,
#: metavar and help.
_SETTING_OPTIONS: tuple[tuple[str, str, typing.Callable[[str], typing.Any],
                              str | None, str], ...] = (
    ('--latency', 'latency_ms', _non_negative_float, 'MS',
     'delay every API answer by MS milliseconds'),
    ('--error-rate', 'error_rate', _probability, 'P',
     'answer compute API requests with 503 with probability P'),
    ('--seed', 'seed', int, None,
     'seed of boot sequences, generated fleet and random errors '
     '(default: %(default)s)'),
    ('--token-ttl', 'token_ttl', _non_negative_float, 'S',
     'token lifetime in seconds (default: %(default)s)'),
    ('--step-seconds', 'step_seconds', _non_negative_float, 'S',
     'duration of each boot-sequence step (default: %(default)s)'),
    ('--max-limit', 'max_limit', _positive_int, 'N',
     'maximum page size of server listings (default: %(default)s)'),
    ('--zone-offset', 'zone_offset_minutes', _zone_offset, 'MINUTES',
     "PowerVC's time zone in minutes east of UTC: query times are "
     'written in its local time (e.g. 330 for UTC+05:30; default: '
     '%(default)s)'),
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog='powervc-osc-simulator',
        description='Serve a simulated IBM PowerVC (Keystone v3 + Nova '
                    'compute v2.1 with reference-code metadata).',
        epilog='Run "powervc-osc-simulator demo --help" for the guided '
               'demo.')
    parser.add_argument('--host', default=DEFAULTS.host,
                        help='listen address (default: %(default)s)')
    parser.add_argument('--port', type=_non_negative_int,
                        default=DEFAULTS.port,
                        help='listen port; 0 picks a free port '
                             '(default: %(default)s)')
    parser.add_argument('--clouds-yaml', metavar='PATH',
                        help='write (merge) the clouds "%s", "%s-operator" '
                             'and "%s-other" into this clouds.yaml'
                             % ((sim_server.CLOUD_NAME,) * 3))
    parser.add_argument('--servers', type=_non_negative_int, metavar='N',
                        help='generate a fleet of N servers instead of the '
                             'default fleet')
    for flag, field, kind, metavar, text in _SETTING_OPTIONS:
        parser.add_argument(flag, type=kind, metavar=metavar,
                            default=getattr(DEFAULTS, field), help=text)
    parser.add_argument('--verbose', '-v', action='store_true',
                        help='log every request on stderr')
    _add_keystone_arguments(parser)
    return parser


# -- Keystone mode (see powervc_osc.simulator.keystone_mode) -------------

KEYSTONE_PASSWORD_ENV = 'POWERVC_OSC_SIM_KEYSTONE_PASSWORD'  # nosec B105

#: The options of Keystone mode: option, metavar, default and help (the
#: password's default is $KEYSTONE_PASSWORD_ENV when the parser is built).
_KEYSTONE_OPTIONS: tuple[tuple[str, str, str | None, str], ...] = (
    ('--keystone-url', 'URL', None,
     'Keystone v3 URL, e.g. http://127.0.0.1:5000/v3 (turns Keystone mode '
     'on)'),
    ('--keystone-username', 'NAME', 'powervc-sim',
     'service user of auth_token, with the service role (default: '
     '%(default)s)'),
    ('--keystone-password', 'PASSWORD', None,
     'its password (default: $%s)' % KEYSTONE_PASSWORD_ENV),
    ('--keystone-project', 'NAME', 'service',
     "the service user's project (default: %(default)s)"),
    ('--keystone-region', 'REGION', None,
     'region of the identity endpoint that validates tokens (default: any)'),
)


def _add_keystone_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        'Keystone mode',
        'Validate tokens with a real Keystone (keystonemiddleware.auth_token'
        ') instead of the built-in identity service; project scope and '
        'roles come from the validated token.  Register the printed compute '
        'URL in Keystone\'s catalog.  Needs keystonemiddleware.')
    defaults = {'--keystone-password': os.environ.get(KEYSTONE_PASSWORD_ENV)}
    for flag, metavar, default, text in _KEYSTONE_OPTIONS:
        group.add_argument(flag, metavar=metavar,
                           default=defaults.get(flag, default), help=text)


def _keystone_auth(args: argparse.Namespace,
                   parser: argparse.ArgumentParser,
                   ) -> 'keystone_mode.KeystoneAuth | None':
    if not getattr(args, 'keystone_url', None):
        return None
    if not args.keystone_password:
        parser.error('--keystone-url needs --keystone-password or $%s'
                     % KEYSTONE_PASSWORD_ENV)
    from powervc_osc.simulator import keystone_mode
    return keystone_mode.KeystoneAuth(
        args.keystone_url, username=args.keystone_username,
        password=args.keystone_password,
        project_name=args.keystone_project,
        region_name=args.keystone_region)


def settings_from(args: argparse.Namespace,
                  keystone: 'keystone_mode.KeystoneAuth | None' = None,
                  ) -> sim_settings.SimulatorSettings:
    """The :class:`~.settings.SimulatorSettings` of parsed ``args``."""
    return sim_settings.SimulatorSettings(
        servers=args.servers, host=args.host, port=args.port,
        latency_ms=args.latency, seed=args.seed, token_ttl=args.token_ttl,
        error_rate=args.error_rate, step_seconds=args.step_seconds,
        max_limit=args.max_limit, keystone=keystone,
        zone_offset_minutes=args.zone_offset)


def serve(args: argparse.Namespace, stdout: typing.TextIO | None = None,
          stderr: typing.TextIO | None = None,
          stop_event: threading.Event | None = None,
          keystone: 'keystone_mode.KeystoneAuth | None' = None) -> int:
    """Run until ``stop_event`` is set (by SIGINT/SIGTERM); returns 0.

    :param keystone: a ``keystone_mode.KeystoneAuth`` for Keystone mode.
    """
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    if not sim_server.is_loopback(args.host):
        print('WARNING: listening on %s, which is not a loopback address: '
              'anyone who can reach it can use the simulator and its '
              'well-known passwords, without TLS.' % args.host,
              file=stderr, flush=True)
    sim = sim_server.Simulator(settings=settings_from(args, keystone))
    try:
        sim.start()
    except OSError as exc:
        print('powervc-osc-simulator: cannot listen on %s:%s: %s'
              % (args.host, args.port, exc), file=stderr, flush=True)
        return 1
    try:
        line = 'PowerVC simulator listening on %s (auth_url %s)' % (
            sim.url, sim.auth_url)
        if keystone is not None:
            line += '; compute endpoint %s/v2.1/$(project_id)s' % (
                sim.compute_root)
        if args.clouds_yaml:
            sim.write_clouds_yaml(args.clouds_yaml)
            line += '; clouds.yaml %s (cloud %s)' % (
                args.clouds_yaml, sim_server.CLOUD_NAME)
        print(line, file=stdout, flush=True)
        stop_event = stop_event or threading.Event()
        while not stop_event.wait(0.5):
            pass
    finally:
        sim.stop()
    return 0


def main(argv: typing.Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] == 'demo':
        from powervc_osc.simulator import demo
        return demo.main(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    keystone = _keystone_auth(args, parser)
    if args.verbose:
        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr,
                            format='%(asctime)s %(message)s')
    stop_event = threading.Event()

    def _stop(signum: int, frame: typing.Any) -> None:
        stop_event.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        return serve(args, stop_event=stop_event, keystone=keystone)
    except KeyboardInterrupt:
        return 0


if __name__ == '__main__':
    sys.exit(main())
