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

"""The two virtualenvs of the start-up comparison.

Both are built from ``pip freeze`` of the virtualenv running the benchmark
minus powervc-osc, so that they hold the same OSC, SDK, keystoneauth... as
it.  ``baseline`` stops there; ``plugin`` also gets this working tree
installed the way users install it (a regular, non-editable install).
They are cached (keyed by the pinned list and the Python version) under
``~/.cache/powervc-osc-bench``; the plugin is reinstalled on every run.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv

PLUGIN_NAMES = ('powervc-osc', 'powervc_osc')
COMPLETE = '.bench-complete'


def default_root() -> str:
    cache = os.environ.get('XDG_CACHE_HOME') or os.path.expanduser(
        '~/.cache')
    return os.path.join(cache, 'powervc-osc-bench')


def pinned_requirements(python: str = sys.executable) -> list[str]:
    """``pip freeze`` of ``python``'s environment without the plugin."""
    out = subprocess.run(
        [python, '-m', 'pip', 'freeze', '--exclude-editable'],
        check=True, capture_output=True, text=True,
        env=dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK='1')).stdout
    pins = []
    for line in out.splitlines():
        line = line.strip()
        if not line or line.startswith(('#', '-e')):
            continue
        name = line.split('==')[0].split(' @ ')[0].strip().lower()
        if name.replace('_', '-') in PLUGIN_NAMES:
            continue
        pins.append(line)
    return sorted(pins, key=str.lower)


def _key(pins: list[str]) -> str:
    text = '\n'.join(pins) + '\n' + sys.version
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _pip(prefix: str, *args: str, env: dict | None = None) -> None:
    proc = subprocess.run(
        [os.path.join(prefix, 'bin', 'python'), '-m', 'pip', '-q',
         '--disable-pip-version-check', *args],
        env=env, capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError('pip %s failed:\n%s%s' % (
            ' '.join(args), proc.stdout, proc.stderr))


def _create(prefix: str, pins: list[str], log) -> None:
    if os.path.exists(os.path.join(prefix, COMPLETE)):
        return
    log('creating %s (%d pinned packages; takes a minute once)'
        % (prefix, len(pins)))
    venv.EnvBuilder(with_pip=True, clear=True).create(prefix)
    requirements = os.path.join(prefix, 'bench-requirements.txt')
    with open(requirements, 'w') as f:
        f.write('\n'.join(pins) + '\n')
    _pip(prefix, 'install', '-r', requirements)
    open(os.path.join(prefix, COMPLETE), 'w').close()


def prepare(source: str, root: str | None = None, log=print,
            ) -> dict[str, str]:
    """Build (or reuse) both virtualenvs; returns their prefixes."""
    pins = pinned_requirements()
    root = root or default_root()
    key = _key(pins)
    prefixes = {'baseline': os.path.join(root, 'baseline-' + key),
                'plugin': os.path.join(root, 'plugin-' + key)}
    for prefix in prefixes.values():
        _create(prefix, pins, log)
    # The working tree as a regular install; pbr must not write AUTHORS
    # or ChangeLog into it.
    env = dict(os.environ, SKIP_GENERATE_AUTHORS='1',
               SKIP_WRITE_GIT_CHANGELOG='1')
    log('installing %s into %s (regular install)'
        % (source, prefixes['plugin']))
    _pip(prefixes['plugin'], 'install', '--no-deps', '--force-reinstall',
         source, env=env)
    return prefixes
