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

"""``powervc-osc-simulator demo``: a guided tour of the plugin.

Starts the simulator in-process on an ephemeral loopback port, writes a
temporary clouds.yaml, runs the real ``openstack`` executable for each of
:data:`STEPS` and prints each command line (``$ ...``) and its output.
The exit status is 0 when every step behaved as expected.
"""

import argparse
import os
import shutil
import subprocess  # nosec B404
import sys
import typing

from powervc_osc.simulator import server as sim_server


class Step(typing.NamedTuple):
    """One demo command: ``openstack <args>``.

    ``expect_error`` marks a step that must fail (non-zero exit).
    """

    args: tuple
    comment: str = ''
    expect_error: bool = False


STEPS = (
    Step(('server', 'refcode', 'list'),
         'Reference codes of every server of the project.'),
    Step(('server', 'refcode', 'show', 'ibmi-dev-1'),
         'ibmi-dev-1 does not collect reference codes yet.'),
    Step(('server', 'refcode', 'set', '--enable', 'ibmi-dev-1'),
         'Turn collection on (prints nothing on success).'),
    Step(('server', 'refcode', 'show', 'ibmi-dev-1', '--wait',
          '--timeout', '60'),
         'Wait for the first reference code.'),
    Step(('server', 'refcode', 'show', 'ibmi-dev-1', '--watch', '--until',
          'C6004031', '--interval', '1', '--timeout', '90'),
         'Follow the IPL: a row per change, until the Licensed Internal '
         'Code IPL starts.'),
    Step(('server', 'refcode', 'show', 'ibmi-prod-2', '-f', 'json'),
         'A server in the middle of an IPL, as JSON.'),
    Step(('server', 'refcode', 'list', '--enabled-only', '--long'),
         'Only servers that collect codes, with host and status.'),
    Step(('server', 'refcode', 'set', '--enable', 'linux-web-1'),
         'Linux has no reference codes: PowerVC answers 400.',
         expect_error=True),
)

STEP_TIMEOUT = 120


def find_openstack() -> str | None:
    """The ``openstack`` next to this Python, else the one on PATH."""
    candidate = os.path.join(os.path.dirname(sys.executable), 'openstack')
    if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
        return candidate
    return shutil.which('openstack')


def clean_environment(clouds_yaml: str, **extra: str) -> dict[str, str]:
    """The current environment for ``openstack`` to read only ``clouds_yaml``.

    Every ``OS_*`` variable is dropped (a user's ``OS_CLOUD`` or
    ``OS_AUTH_URL`` would override the file); ``extra`` variables are
    added last.  The demo and the functional tests use it.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
    env['OS_CLIENT_CONFIG_FILE'] = clouds_yaml
    env.update(extra)
    return env


def run_steps(steps: typing.Sequence[Step], openstack: str, cloud: str,
              env: dict[str, str], out: typing.TextIO | None = None,
              runner: typing.Callable[..., typing.Any] | None = None,
              timeout: float = STEP_TIMEOUT) -> int:
    """Run ``steps``; returns the number of steps that misbehaved.

    :param runner: ``subprocess.run``-like callable (for tests).
    """
    out = out or sys.stdout
    runner = runner or subprocess.run
    failures = 0
    for step in steps:
        shown = ['openstack', '--os-cloud', cloud] + list(step.args)
        if step.comment:
            out.write('# %s\n' % step.comment)
        out.write('$ %s\n' % ' '.join(shown))
        out.flush()
        command = [openstack, '--os-cloud', cloud] + list(step.args)
        try:
            result = runner(command, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True,
                            timeout=timeout)
            output, code = result.stdout or '', result.returncode
        except subprocess.TimeoutExpired:
            output, code = 'timed out after %s seconds\n' % timeout, None
        except OSError as exc:
            output, code = '%s\n' % exc, None
        out.write(output)
        if output and not output.endswith('\n'):
            out.write('\n')
        failed = code is None or code != 0
        if step.expect_error and failed and code is not None:
            out.write('(expected error, exit status %s)\n' % code)
        elif failed != step.expect_error:
            failures += 1
            out.write('!! unexpected %s (exit status %s)\n'
                      % ('failure' if failed else 'success', code))
        out.write('\n')
        out.flush()
    return failures


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog='powervc-osc-simulator demo',
        description='Run the plugin commands against an in-process '
                    'simulator and show what they print.')
    parser.add_argument('--openstack', metavar='PATH',
                        help='the openstack executable (default: next to '
                             'this Python, else on PATH)')
    parser.add_argument('--step-seconds', type=float, default=1.0,
                        metavar='S',
                        help='boot-sequence pace (default: %(default)s)')
    parser.add_argument('--seed', type=int, default=0)
    return parser


def main(argv: typing.Sequence[str] | None = None,
         steps: typing.Sequence[Step] = STEPS,
         out: typing.TextIO | None = None,
         runner: typing.Callable[..., typing.Any] | None = None) -> int:
    """Run the demo; returns the exit status."""
    args = build_parser().parse_args(argv)
    out = out or sys.stdout
    openstack = args.openstack or find_openstack()
    if not openstack:
        sys.stderr.write('powervc-osc-simulator demo: cannot find the '
                         'openstack executable\n')
        return 1
    sim = sim_server.Simulator(step_seconds=args.step_seconds,
                               seed=args.seed)
    sim.start()
    try:
        clouds_yaml = sim.write_clouds_yaml()
        out.write('# PowerVC simulator on %s; OS_CLIENT_CONFIG_FILE=%s\n\n'
                  % (sim.url, clouds_yaml))
        failures = run_steps(steps, openstack, sim_server.CLOUD_NAME,
                             clean_environment(clouds_yaml), out=out,
                             runner=runner)
    finally:
        sim.stop()
    if failures:
        out.write('%d step(s) did not behave as expected.\n' % failures)
        return 1
    out.write('Every step behaved as expected.\n')
    return 0
