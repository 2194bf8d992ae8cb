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

"""The options of ``refcode history --prometheus`` and the source they make.

Secrets never come from the command line, where ``ps`` shows them: a
token or a password is read from a file or from the environment.
"""

from __future__ import annotations

import argparse
import os
import typing as ty

from powervc_osc.options import argtypes

if ty.TYPE_CHECKING:
    from powervc_osc.history import prometheus

URL_ENV = 'OS_REFCODE_PROMETHEUS'
# The names of variables, not secrets.
TOKEN_ENV = 'OS_REFCODE_PROMETHEUS_TOKEN'  # nosec B105
PASSWORD_ENV = 'OS_REFCODE_PROMETHEUS_PASSWORD'  # nosec B105

RESOLUTION = (
    'Resolution: a change is placed between the last scrape that showed the '
    'old code and the first that showed the new one (at the exporter\'s own '
    'time of the change when it published one); a code held for less than '
    'the scrape interval, or than --step, may be missing; a time without any '
    'series of the server (exporter down, target missing) is a row of '
    'category "gap". --since defaults to 24 hours before --until.')


#: Headers that carry credentials: refused by ``--prometheus-header``.
_SECRET_HEADERS = frozenset(('authorization', 'proxy-authorization',
                             'cookie'))


def _header(text: str) -> tuple[str, str]:
    """argparse type of ``--prometheus-header``: ``Name: value``."""
    name, colon, value = text.partition(':')
    if not colon or not name.strip() or name != name.strip() or any(
            c in text for c in '\r\n'):
        raise argparse.ArgumentTypeError(
            'expected "Name: value", got %r' % text.split(':')[0])
    if name.lower() in _SECRET_HEADERS:
        # A secret on the command line is seen by every user of the host.
        raise argparse.ArgumentTypeError(
            '%s would put a secret on the command line: use '
            '--prometheus-token-file or --prometheus-password-file' % name)
    return name, value.strip()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``--prometheus`` group of ``refcode history``."""
    group = parser.add_argument_group(
        'Prometheus', 'Read the history from Prometheus (or Thanos Querier, '
        'Mimir, VictoriaMetrics) instead of a local store. ' + RESOLUTION)
    group.add_argument(
        '--prometheus', metavar='<url>',
        help='Root of the Prometheus query API, with any path prefix '
             '(e.g. http://prometheus:9090, https://mimir/prometheus); '
             'default: $%s' % URL_ENV)
    group.add_argument(
        '--step', metavar='<duration>', type=argtypes.duration(minimum=1),
        help='The grid the series are read on (default 60s; the scrape '
             'interval is the finest that helps)')
    group.add_argument(
        '--prometheus-header', metavar='<name: value>', type=_header,
        action='append', default=[],
        help='Send this HTTP header (repeatable), e.g. "X-Scope-OrgID: '
             'tenant" for Mimir')
    group.add_argument(
        '--prometheus-ca-file', metavar='<path>',
        help='CA bundle that signs the server\'s certificate')
    group.add_argument(
        '--prometheus-token-file', metavar='<path>',
        help='File holding a bearer token (default: $%s)' % TOKEN_ENV)
    group.add_argument(
        '--prometheus-user', metavar='<name>',
        help='Basic authentication user; the password comes from '
             '--prometheus-password-file or $%s' % PASSWORD_ENV)
    group.add_argument(
        '--prometheus-password-file', metavar='<path>',
        help='File holding the basic authentication password')


def url(parsed_args: argparse.Namespace) -> str | None:
    """The Prometheus to read, or None for the local store."""
    if parsed_args.prometheus:
        return str(parsed_args.prometheus)
    if parsed_args.history is None:
        return os.environ.get(URL_ENV) or None
    return None


def usage_problem(parsed_args: argparse.Namespace) -> str | None:
    """What is wrong with the Prometheus options, or None."""
    if parsed_args.prometheus and parsed_args.history:
        return 'give --prometheus or --history, not both'
    if url(parsed_args) is None:
        given = [name for name, value in (
            ('--step', parsed_args.step),
            ('--prometheus-header', parsed_args.prometheus_header),
            ('--prometheus-ca-file', parsed_args.prometheus_ca_file),
            ('--prometheus-token-file', parsed_args.prometheus_token_file),
            ('--prometheus-user', parsed_args.prometheus_user),
            ('--prometheus-password-file',
             parsed_args.prometheus_password_file)) if value]
        if given:
            return '%s needs --prometheus (or $%s)' % (given[0], URL_ENV)
    if parsed_args.prometheus_password_file and not (
            parsed_args.prometheus_user):
        return '--prometheus-password-file needs --prometheus-user'
    return None


def _secret(path: str | None, env: str, what: str) -> str | None:
    if path is None:
        return os.environ.get(env) or None
    from powervc_osc import exceptions

    try:
        with open(os.path.expanduser(path), encoding='utf-8') as f:
            return f.read().strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise exceptions.RefcodeError('Cannot read the %s file %s: %s' % (
            what, path, getattr(exc, 'strerror', None) or exc))


def source(address: str, parsed_args: argparse.Namespace,
           ) -> prometheus.PrometheusHistory:
    """The :class:`PrometheusHistory` at ``address`` the options describe."""
    from powervc_osc.history import prometheus

    credentials = prometheus.Credentials(
        headers=dict(parsed_args.prometheus_header),
        ca_file=parsed_args.prometheus_ca_file,
        token=_secret(parsed_args.prometheus_token_file, TOKEN_ENV,
                      'token'),
        username=parsed_args.prometheus_user,
        password=(_secret(parsed_args.prometheus_password_file,
                          PASSWORD_ENV, 'password')
                  if parsed_args.prometheus_user else None))
    step = (parsed_args.step.total_seconds() if parsed_args.step
            else prometheus.DEFAULT_STEP)
    return prometheus.PrometheusHistory(address, credentials, step=step)
