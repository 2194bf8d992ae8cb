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

"""The one way tests run the installed ``openstack`` executable.

Both functional suites (``tests/functional`` against the simulator and
``tests/functional_keystone`` against a real Keystone) derive from
:class:`CLITestCase`.  Each command runs in a clean environment (none of
the caller's ``OS_*`` variables, a private ``HOME``), gives a
:class:`Result`, and fails the test when its exit status is not the
expected one, when it prints a traceback (unless it ran with ``--debug``)
or when it writes to stderr while the test expects nothing there.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import typing

import fixtures
import testtools
from testtools import content

from powervc_osc.simulator import demo

#: The ``openstack`` under test: next to this Python, else on PATH.
OPENSTACK = demo.find_openstack() or 'openstack'
#: A generous bound for one command; a hang fails the test, not CI.
COMMAND_TIMEOUT = 120
#: Never expected on stdout or stderr, unless the command ran with --debug.
TRACEBACK = 'Traceback'

Status = typing.Union[int, typing.Collection[int]]


def default_sigint() -> None:
    """``preexec_fn`` for a child the test interrupts with SIGINT.

    An ignored signal stays ignored across exec, and ``nohup``, ``&`` in a
    non-interactive shell and many CI runners start the suite with SIGINT
    ignored: the child would never see the test's Ctrl-C.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@dataclasses.dataclass(frozen=True)
class Result:
    """What one command did: its arguments, exit status, stdout, stderr."""

    args: tuple[str, ...]
    status: int
    out: str
    err: str

    def json(self) -> typing.Any:
        """stdout, decoded as JSON."""
        return json.loads(self.out)


class CLITestCase(testtools.TestCase):
    """A test that runs commands and checks what they printed."""

    #: The ``--os-cloud`` of :meth:`openstack` when the call names none.
    cloud = 'powervc'
    #: The clouds.yaml of :meth:`openstack` when the call names none.
    clouds_yaml: str | None = None

    def setUp(self) -> None:
        super().setUp()
        self.home = self.useFixture(fixtures.TempDir()).path
        self._results: list[Result] = []
        self.addOnException(self._attach_results)

    def environment(self, clouds_yaml: str | None = None,
                    **extra: str) -> dict[str, str]:
        """The environment of a command: no ``OS_*``, a private ``HOME``.

        :param extra: more variables (``OS_API_TIMEOUT``...).
        """
        return demo.clean_environment(
            clouds_yaml or self.clouds_yaml, HOME=self.home,
            XDG_CONFIG_HOME=os.path.join(self.home, '.config'),
            XDG_CACHE_HOME=os.path.join(self.home, '.cache'), **extra)

    def openstack_command(self, args: typing.Sequence[str],
                          cloud: str | None = None) -> list[str]:
        return [OPENSTACK, '--os-cloud', cloud or self.cloud] + list(args)

    def openstack(self, *args: str, cloud: str | None = None,
                  clouds_yaml: str | None = None, status: Status = 0,
                  stderr: bool = False,
                  env: dict[str, str] | None = None) -> Result:
        """Run ``openstack --os-cloud <cloud> *args`` and check it.

        :param status: the exit status expected, or the ones allowed.
        :param stderr: whether stderr may hold anything (else it must be
            empty).
        :param env: variables added to :meth:`environment`.
        """
        return self.run_command(
            self.openstack_command(args, cloud), status=status,
            stderr=stderr, env=self.environment(clouds_yaml, **(env or {})))

    def run_command(self, argv: list[str], env: dict[str, str],
                    status: Status = 0, stderr: bool = False) -> Result:
        """Run any command (``argv``) and check it as :meth:`openstack`."""
        done = subprocess.run(
            argv, env=env, cwd=self.home, stdin=subprocess.DEVNULL,
            capture_output=True, text=True, timeout=COMMAND_TIMEOUT,
            preexec_fn=default_sigint)
        return self.check(Result(tuple(argv), done.returncode, done.stdout,
                                 done.stderr), status, stderr)

    def start_openstack(self, *args: str,
                        cloud: str | None = None) -> subprocess.Popen:
        """Start ``openstack`` in the background; see :meth:`finish`.

        The process is killed at cleanup if it still runs.
        """
        process = subprocess.Popen(
            self.openstack_command(args, cloud), env=self.environment(),
            cwd=self.home, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, preexec_fn=default_sigint)
        self.addCleanup(_kill, process)
        return process

    def finish(self, process: subprocess.Popen, status: Status = 0,
               stderr: bool = False) -> Result:
        """Wait for a :meth:`start_openstack` command and check it."""
        out, err = process.communicate(timeout=COMMAND_TIMEOUT)
        return self.check(Result(tuple(process.args), process.returncode,
                                 out, err), status, stderr)

    def check(self, result: Result, status: Status = 0,
              stderr: bool = False) -> Result:
        """Fail unless ``result`` is what the test expects."""
        self._results.append(result)
        if '--debug' not in result.args:
            self.assertNotIn(TRACEBACK, result.out + result.err, result)
        allowed = (status,) if isinstance(status, int) else status
        self.assertIn(result.status, allowed, result)
        if not stderr:
            self.assertEqual('', result.err, result)
        return result

    def _attach_results(self, exc_info) -> None:
        """On failure, every command the test ran and what it printed."""
        for number, result in enumerate(self._results, 1):
            self.addDetail('command-%d' % number, content.text_content(
                '%s\nexit status %s\n--- stdout ---\n%s--- stderr ---\n%s'
                % (' '.join(result.args), result.status, result.out,
                   result.err)))


def _kill(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
    process.communicate()
