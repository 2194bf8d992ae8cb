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


"""The mixins of the refcode commands.

Usage checks, the ``Interrupted.`` line, the line naming an option that
needs the admin role, no GC walk at exit, and no credentials for a
command that sends nothing.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import typing as ty

from powervc_osc.options import argtypes


class UsageChecked:
    """Mixin: refuse a bad combination of options before anything is sent.

    A command names the problem in :meth:`usage_problem`, the one place
    for its usage checks; :meth:`run` then prints it the way argparse
    does and exits 2.
    """

    app: ty.Any
    cmd_name: str | None

    def usage_problem(self, parsed_args: argparse.Namespace) -> str | None:
        """What is wrong with this combination of options, or None."""
        return None

    def run(self, parsed_args: argparse.Namespace) -> int:
        problem = self.usage_problem(parsed_args)
        if problem:
            self.app.stderr.write('openstack %s: error: %s\n'
                                  % (self.cmd_name, problem))
            return argtypes.USAGE_EXIT
        return super().run(parsed_args)  # type: ignore[misc]


class SaysInterrupted:
    """Mixin: Ctrl-C ends the command with one line on stderr.

    cliff turns the interrupt into exit status 130 without a word; a
    bulk operation's :meth:`ProgressLine.counting` already said how many
    servers were done, so only the other commands get ``Interrupted.``.
    """

    app: ty.Any

    def run(self, parsed_args: argparse.Namespace) -> int:
        try:
            return super().run(parsed_args)  # type: ignore[misc]
        except KeyboardInterrupt as exc:
            if not getattr(exc, 'reported', False):
                self.app.stderr.write('Interrupted.\n')
                self.app.stderr.flush()
            raise


def error_line(error: BaseException) -> str:
    """The line printed for an error of the client.

    :class:`~powervc_osc.exceptions.AdminRequired` names the option as the
    user typed it (``--all-projects needs the admin role: ...``).
    """
    from powervc_osc import exceptions

    if isinstance(error, exceptions.AdminRequired):
        return '--%s needs the admin role: %s.' % (
            error.option.replace('_', '-'), error.reason)
    return str(error)


class SaysAdminRequired:
    """Mixin: an option that needs the admin role ends the command.

    In one line naming the option (see :func:`error_line`).
    """

    def run(self, parsed_args: argparse.Namespace) -> int:
        from powervc_osc import exceptions

        try:
            return super().run(parsed_args)  # type: ignore[misc]
        except exceptions.AdminRequired as exc:
            from osc_lib import exceptions as osc_exceptions

            raise osc_exceptions.CommandError(error_line(exc))


class FreezeGCAtExit:
    """Mixin: let a one-shot ``openstack`` exit without a final GC walk.

    ``openstack`` exits right after the command, and the interpreter's
    last garbage collection walks the ~100,000 objects OSC loaded: about
    0.3 s, a sixth of a ``set`` (see doc/source/benchmarks.rst). A
    ``gc.freeze()`` registered with :mod:`atexit` runs before that walk
    and spares it, and only at exit: a program that runs OSC commands in
    its own process keeps collecting as usual until then. The interactive
    ``openstack`` shell is left alone.
    """

    app: ty.Any
    _freeze_registered = False

    def run(self, parsed_args: argparse.Namespace) -> int:
        try:
            return super().run(parsed_args)  # type: ignore[misc]
        finally:
            if not (getattr(self.app, 'interactive_mode', False) or
                    FreezeGCAtExit._freeze_registered):
                FreezeGCAtExit._freeze_registered = True
                atexit.register(gc.freeze)


class NeedsNoCloud:
    """Mixin: a command that sends nothing (``explain``, ``history``).

    osc-lib then asks for no credentials: no cloud configuration is needed.
    """

    auth_required = False
