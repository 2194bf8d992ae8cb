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

"""Real ``ansible-playbook`` runs of the powervc.refcode collection.

Each test gets its own simulator on loopback (see
:class:`~powervc_osc.tests.functional.base.FunctionalTestCase`) and runs
playbooks on ``localhost`` with ``connection: local`` and this Python as
``ansible_python_interpreter``.  Ansible's own files (``ANSIBLE_HOME``,
its local and remote temporary folders) go to the test's private home.
"""

from __future__ import annotations

import itertools
import json
import os
import sys
import typing as ty

import yaml

from powervc_osc.tests import cli_runner
from powervc_osc.tests.functional import base

#: The folder ANSIBLE_COLLECTIONS_PATH names: ansible_collections/ is in it.
COLLECTIONS = os.path.abspath(os.path.join(
    os.path.dirname(__file__), '..', '..', '..', 'ansible'))
#: The collection's own folder.
COLLECTION = os.path.join(COLLECTIONS, 'ansible_collections', 'powervc',
                          'refcode')
BIN = os.path.dirname(sys.executable)
ADMIN = base.ADMIN
OPERATOR = base.OPERATOR


def ansible_tool(name: str) -> str:
    """``ansible-playbook``, ``ansible-doc``... of this Python's venv."""
    return os.path.join(BIN, name)


class AnsibleTestCase(base.FunctionalTestCase):
    """Run playbooks against this test's simulator.

    The simulator's clock moves only when it is read (two steps of the
    boot sequences at each read), so that an IPL progresses with the
    polls that watch it, not with the wall clock.
    """

    def setUp(self) -> None:
        step = 1.0
        ticks = itertools.count(0.0, 2 * step)
        self.simulator_kwargs = dict(self.simulator_kwargs,
                                     step_seconds=step,
                                     clock=lambda: next(ticks))
        super().setUp()

    def ansible_environment(self, **extra: str) -> dict[str, str]:
        """:meth:`environment` with Ansible's files in the test's home."""
        return self.environment(
            ANSIBLE_HOME=os.path.join(self.home, '.ansible'),
            ANSIBLE_LOCAL_TEMP=os.path.join(self.home, 'ansible-local'),
            ANSIBLE_REMOTE_TEMP=os.path.join(self.home, 'ansible-remote'),
            ANSIBLE_COLLECTIONS_PATH=COLLECTIONS,
            ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0',
            ANSIBLE_RETRY_FILES_ENABLED='0',
            ANSIBLE_LOCALHOST_WARNING='0',
            # The deprecation warnings of Ansible's own dependencies.
            PYTHONWARNINGS='ignore', **extra)

    def playbook(self, tasks: list[dict[str, ty.Any]],
                 *options: str, status: cli_runner.Status = 0,
                 interpreter: str | None = None) -> cli_runner.Result:
        """Run one play of ``tasks`` on localhost, as an operator sees it.

        Each task's result is registered; :meth:`results` reads them.

        :param options: more ``ansible-playbook`` options (``--check``...).
        """
        number = len(self._results)
        self._results_file = os.path.join(self.home, 'results %d.json'
                                          % number)
        names = ['result_%d' % n for n in range(len(tasks))]
        tasks = [dict(t, register=name) for t, name in zip(tasks, names)]
        tasks.append({
            'ansible.builtin.copy': {
                'dest': self._results_file,
                'content': '{{ [%s] | to_json }}' % ', '.join(names)},
            'check_mode': False, 'diff': False})
        play = [{'hosts': 'localhost', 'connection': 'local',
                 'gather_facts': False,
                 'vars': {'ansible_python_interpreter':
                          interpreter or sys.executable},
                 'tasks': tasks}]
        path = os.path.join(self.home, 'play %d.yml' % number)
        with open(path, 'w') as stream:
            yaml.safe_dump(play, stream)
        return self.run_command(
            [ansible_tool('ansible-playbook'), '-i', 'localhost,', path]
            + list(options), env=self.ansible_environment(), status=status)

    def results(self, result: cli_runner.Result,
                ) -> list[dict[str, ty.Any]]:
        """Each task's result in the last :meth:`playbook` (``result``)."""
        self.assertNotIn('Traceback', result.out)
        with open(self._results_file) as stream:
            return json.load(stream)

    def metadata_posts(self) -> list[ty.Any]:
        """The simulator's metadata POSTs so far."""
        return [r for r in self.sim.requests
                if r.method == 'POST' and r.path.endswith('/metadata')]


def task(module: str, cloud: str | None = ADMIN, ignore_errors: bool = False,
         **args: ty.Any) -> dict[str, ty.Any]:
    """A task of a powervc.refcode module (``refcode``, ``refcode_info``)."""
    if cloud is not None:
        args['cloud'] = cloud
    entry: dict[str, ty.Any] = {'powervc.refcode.' + module: args}
    if ignore_errors:
        entry['ignore_errors'] = True
    return entry
