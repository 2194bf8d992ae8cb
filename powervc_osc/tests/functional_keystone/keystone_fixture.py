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

"""A real Keystone in a subprocess, and simulators that trust it.

:class:`KeystoneServer` writes a ``keystone.conf`` (sqlite and fernet keys
in a temporary directory), starts ``tools/keystone/serve.py`` on an
ephemeral ``127.0.0.1`` port and runs ``tools/keystone/bootstrap.py``
(every ``keystone-manage`` step in one process) while Keystone loads.

:class:`KeystoneEnvironment` is the whole test cloud: one Keystone, two
simulators in Keystone mode (``RegionOne`` and ``RegionTwo``), the users
of the simulator's directory (``admin``, ``operator``, ``other``) with the
simulator's fixed project IDs, and the service user the simulators'
``auth_token`` middleware uses.  Everything listens on loopback only and
is stopped on cleanup.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import fixtures
from keystoneauth1.identity import v3
from keystoneauth1 import session as ks_session
import yaml

from powervc_osc.simulator import identity
from powervc_osc.simulator import keystone_mode
from powervc_osc.simulator import records as sim_records
from powervc_osc.simulator import server as sim_server

HERE = os.path.dirname(os.path.abspath(__file__))
CLOUDS_DIR = os.path.join(HERE, 'clouds')
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
TOOLS_DIR = os.environ.get('POWERVC_OSC_KEYSTONE_TOOLS',
                           os.path.join(REPO_ROOT, 'tools', 'keystone'))

REGION_ONE = 'RegionOne'
REGION_TWO = 'RegionTwo'
PASSWORD = sim_records.PASSWORD
SERVICE_USER = 'powervc-sim'
SERVICE_PROJECT = 'service'
#: Token lifetime (seconds) of the second Keystone process, which shares
#: the database and keys of the first: short, so that a token expires
#: while ``server refcode show --watch`` runs.  The first process keeps
#: Keystone's default (3600): keystoneauth renews a token that expires in
#: less than 120 seconds before *every* request, which would make every
#: other test slow and unlike real use.
SHORT_TOKEN_EXPIRATION = 6
#: The RegionTwo simulator runs ``powervc-osc-simulator --servers 3``.
REGION_TWO_SERVERS = ('ibmi-0001', 'ibmi-0002', 'ibmi-0003')

START_TIMEOUT = 120.0

KEYSTONE_CONF = """\
[DEFAULT]
log_file = {dir}/keystone.log
[database]
connection = sqlite:///{data}/keystone.db
[token]
provider = fernet
expiration = {expiration}
[fernet_tokens]
key_repository = {data}/fernet-keys
[fernet_receipts]
key_repository = {data}/fernet-keys
[credential]
key_repository = {data}/credential-keys
[identity]
# The fewest bcrypt rounds allowed: every password check stays cheap.
password_hash_rounds = 4
# bcrypt's own limit (Keystone warns on every password check otherwise).
max_password_length = 72
"""


class KeystoneError(Exception):
    """Keystone did not start; the message ends with its log."""


def _tail(path, lines=40):
    try:
        with open(path, errors='replace') as stream:
            return ''.join(stream.readlines()[-lines:])
    except OSError:
        return ''


def stop_process(process, timeout=15):
    """SIGTERM, then SIGKILL if ``process`` is still there ``timeout`` s on."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout)


def wait_for_file(path, process, timeout=START_TIMEOUT):
    """Wait until ``path`` has content; False if ``process`` ended first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path) and os.path.getsize(path):
            return True
        if process.poll() is not None:
            return False
        time.sleep(0.05)
    return False


class ServeProcess(fixtures.Fixture):
    """A ``tools/<name>/serve.py`` subprocess and its port file.

    Subclasses set :attr:`name` (``keystone``, ``nova``: the log is
    ``<name>.log``) and :attr:`error`, the exception a failed start raises,
    and call :meth:`_spawn` from ``_setUp`` once :attr:`dir` exists.
    """

    name = 'serve'
    error = Exception

    def __init__(self):
        super().__init__()
        self.port = None
        self.process = None
        self.timings = {}

    @property
    def url(self):
        return 'http://127.0.0.1:%d' % self.port

    def _spawn(self, command):
        """Start ``command`` in :attr:`dir`; returns the port it bound."""
        self.log_file = os.path.join(self.dir, self.name + '.log')
        self.access_log = os.path.join(self.dir, 'access.log')
        self.output_file = os.path.join(self.dir, 'serve.out')
        self._port_file = os.path.join(self.dir, 'port')
        command = command + ['--port-file', self._port_file,
                             '--access-log', self.access_log,
                             '--host', '127.0.0.1']
        with open(self.output_file, 'wb') as output:
            self.process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=output,
                stderr=subprocess.STDOUT, cwd=self.dir)
        self.addCleanup(self._stop)
        return int(self._wait_port_file(lambda lines: lines)[0])

    def _wait_port_file(self, done):
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                with open(self._port_file) as stream:
                    lines = stream.read().split()
            except FileNotFoundError:
                lines = []
            if lines and done(lines):
                return lines
            if self.process.poll() is not None:
                raise self.error('%s exited with status %s:\n%s' % (
                    self.name, self.process.returncode, self.logs()))
            if time.monotonic() > deadline:
                raise self.error('%s did not start within %gs:\n%s'
                                 % (self.name, START_TIMEOUT, self.logs()))
            time.sleep(0.05)

    def wait_ready(self):
        self._wait_port_file(lambda lines: 'ready' in lines)
        self.timings['start'] = time.monotonic() - self._started

    def _stop(self):
        process, self.process = self.process, None
        if process is not None:
            stop_process(process)

    def logs(self):
        """The serve wrapper's output and the end of ``<name>.log``."""
        return '%s\n--- %s.log ---\n%s' % (
            _tail(self.output_file), self.name, _tail(self.log_file))

    def _access_log(self):
        """Each access log line so far, split: time, method, path ..."""
        try:
            with open(self.access_log) as stream:
                return [line.split() for line in stream]
        except OSError:
            return []


class KeystoneServer(ServeProcess):
    """Keystone served from a subprocess, in three steps.

    :meth:`start` (via ``setUp``) binds the port, :meth:`bootstrap` fills
    the database while Keystone loads, :meth:`wait_ready` waits for both.

    :param expiration: ``[token] expiration`` in seconds.
    :param share: another :class:`KeystoneServer` whose database and keys
        this one serves too (then do not :meth:`bootstrap` this one).
    :param python: the interpreter that has Keystone installed.
    """

    name = 'keystone'
    error = KeystoneError

    def __init__(self, expiration=3600, share=None, python=None):
        super().__init__()
        self.expiration = expiration
        self.share = share
        self.python = python or sys.executable

    @property
    def auth_url(self):
        return self.url + '/v3'

    def _setUp(self):
        self._started = time.monotonic()
        self.dir = tempfile.mkdtemp(prefix='powervc-osc-keystone-')
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.config_file = os.path.join(self.dir, 'keystone.conf')
        with open(self.config_file, 'w') as stream:
            stream.write(KEYSTONE_CONF.format(
                dir=self.dir, expiration=self.expiration,
                data=self.share.dir if self.share else self.dir))
        self.result_file = os.path.join(self.dir, 'bootstrap.json')
        # Keystone loads once the bootstrap made its keys.
        wait_for = (self.share or self).result_file
        self.port = self._spawn(
            [self.python, os.path.join(TOOLS_DIR, 'serve.py'),
             '--config-file', self.config_file, '--wait-for', wait_for])

    def bootstrap(self, spec):
        """Run the bootstrap helper with ``spec``; returns its result."""
        spec_file = os.path.join(self.dir, 'spec.json')
        result_file = self.result_file
        with open(spec_file, 'w') as stream:
            json.dump(spec, stream)
        started = time.monotonic()
        done = subprocess.run(
            [self.python, os.path.join(TOOLS_DIR, 'bootstrap.py'),
             '--config-file', self.config_file, '--spec', spec_file,
             '--output', result_file],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, cwd=self.dir, timeout=START_TIMEOUT)
        self.timings['bootstrap'] = time.monotonic() - started
        if done.returncode:
            raise KeystoneError('keystone bootstrap failed (%d):\n%s\n%s' % (
                done.returncode, done.stdout.decode(errors='replace')[-4000:],
                _tail(self.log_file)))
        with open(result_file) as stream:
            return json.load(stream)

    def token_requests(self):
        """``(time, status)`` of each ``POST /v3/auth/tokens`` so far."""
        return [(float(parts[0]), parts[-1]) for parts in self._access_log()
                if parts[1:3] == ['POST', '/v3/auth/tokens']]


class SimulatorProcess(fixtures.Fixture):
    """``powervc-osc-simulator --keystone-url ...`` in a subprocess.

    :param args: more command-line arguments.
    """

    LISTENING = re.compile(r'listening on (http://127\.0\.0\.1:\d+) ')

    def __init__(self, keystone_url, region_name, args=()):
        super().__init__()
        self.keystone_url = keystone_url
        self.region_name = region_name
        self.args = list(args)

    def _setUp(self):
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.log_file = os.path.join(self.dir, 'simulator.log')
        env = dict(os.environ)
        env['POWERVC_OSC_SIM_KEYSTONE_PASSWORD'] = PASSWORD
        command = [
            os.path.join(os.path.dirname(sys.executable),
                         'powervc-osc-simulator'),
            '--host', '127.0.0.1', '--port', '0',
            '--keystone-url', self.keystone_url,
            '--keystone-username', SERVICE_USER,
            '--keystone-project', SERVICE_PROJECT,
            '--keystone-region', self.region_name] + self.args
        with open(self.log_file, 'wb') as log:
            self.process = subprocess.Popen(
                command, env=env, stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=log, cwd=self.dir)
        self.addCleanup(self._stop)
        line = self.process.stdout.readline().decode()
        match = self.LISTENING.search(line)
        if match is None:
            self.process.wait(10)
            raise KeystoneError('the simulator did not start: %s\n%s'
                                % (line, _tail(self.log_file)))
        self.url = match.group(1)
        self.compute_root = self.url + identity.COMPUTE_PATH

    def _stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(15)
        self.process.stdout.close()

    def requests(self):
        """The request log, from the control API."""
        sess = ks_session.Session()
        return sess.get(self.url + '/_sim/requests').json()['requests']


class KeystoneEnvironment(fixtures.Fixture):
    """Keystone plus a simulator per region, with the directory below.

    ==============  ==================================  =======  =========
    user            project (simulator's fixed ID)      role     password
    ==============  ==================================  =======  =========
    admin           ibm-default                         admin    passw0rd
    operator        ibm-default                         member   passw0rd
    other           other-project                       member   passw0rd
    powervc-sim     service                             service  passw0rd
    ==============  ==================================  =======  =========

    Compute endpoints: ``RegionOne`` is an in-process simulator with the
    default fleet, ``RegionTwo`` a ``powervc-osc-simulator`` process with
    a generated fleet of three servers (:data:`REGION_TWO_SERVERS`).
    """

    def __init__(self, short_expiration=SHORT_TOKEN_EXPIRATION,
                 step_seconds=1.0):
        super().__init__()
        self.short_expiration = short_expiration
        self.step_seconds = step_seconds

    def _setUp(self):
        started = time.monotonic()
        self.keystone = self.useFixture(KeystoneServer())
        #: The same Keystone (database, keys) with short-lived tokens.
        self.short_keystone = self.useFixture(KeystoneServer(
            self.short_expiration, share=self.keystone))
        auth = keystone_mode.KeystoneAuth(
            self.keystone.auth_url, username=SERVICE_USER,
            password=PASSWORD, project_name=SERVICE_PROJECT,
            region_name=REGION_ONE)
        sim = sim_server.Simulator(host='127.0.0.1', port=0,
                                   step_seconds=self.step_seconds,
                                   keystone=auth)
        sim.start()
        self.addCleanup(sim.stop)
        self.simulators = {REGION_ONE: sim}
        self.simulators[REGION_TWO] = self.useFixture(SimulatorProcess(
            self.keystone.auth_url, REGION_TWO,
            ['--servers', str(len(REGION_TWO_SERVERS))]))
        self.ids = self.keystone.bootstrap(self._spec())
        self.keystone.wait_ready()
        self.short_keystone.wait_ready()
        self.timings = dict(self.keystone.timings,
                            total=time.monotonic() - started)

    def _spec(self):
        identity_url = self.keystone.auth_url
        compute = []
        identity = []
        for region, sim in self.simulators.items():
            url = sim.compute_root + '/v2.1/$(project_id)s'
            for interface in ('public', 'internal'):
                compute.append({'region': region, 'interface': interface,
                                'url': url})
                if region != REGION_ONE:
                    identity.append({'region': region,
                                     'interface': interface,
                                     'url': identity_url})
        projects = [{'name': name, 'id': project_id}
                    for name, project_id
                    in sorted(sim_records.PROJECTS.items())]
        projects.append({'name': SERVICE_PROJECT})
        users = [{'name': u.name, 'password': u.password,
                  'project': u.project,
                  'roles': [r for r in u.roles if r != 'admin']}
                 for u in sim_records.USERS.values() if u.name != 'admin']
        users.append({'name': SERVICE_USER, 'password': PASSWORD,
                      'project': SERVICE_PROJECT, 'roles': ['service']})
        admin = sim_records.USERS['admin']
        return {
            'admin': {'username': admin.name, 'password': admin.password,
                      'project': admin.project, 'role': 'admin'},
            'identity': {'region': REGION_ONE, 'url': identity_url},
            'regions': [REGION_ONE, REGION_TWO],
            'projects': projects,
            'users': users,
            'services': [
                {'type': 'compute', 'name': 'nova', 'endpoints': compute},
                {'type': 'identity', 'name': 'keystone',
                 'endpoints': identity},
            ],
        }

    # -- helpers for tests --------------------------------------------

    def session(self, username, project=None):
        """A keystoneauth session of a directory user."""
        user = sim_records.USERS[username]
        auth = v3.Password(
            auth_url=self.keystone.auth_url, username=user.name,
            password=user.password, user_domain_name=sim_records.DOMAIN_NAME,
            project_name=project or user.project,
            project_domain_name=sim_records.DOMAIN_NAME)
        return ks_session.Session(auth=auth)

    def issue_token(self, username):
        """A fresh unscoped-by-request token of the user (its project)."""
        return self.session(username).get_token()

    def create_application_credential(self, username, name):
        """``(id, secret)`` of a new application credential of the user."""
        sess = self.session(username)
        user_id = sess.get_user_id()
        body = sess.post(
            '/users/%s/application_credentials' % user_id,
            endpoint_filter={'service_type': 'identity',
                             'interface': 'public',
                             'region_name': REGION_ONE},
            json={'application_credential': {'name': name}}).json()
        cred = body['application_credential']
        return cred['id'], cred['secret']


def render_clouds(template, path, cloud='powervc', **values):
    """Write a clouds.yaml from a template of ``clouds/``.

    ``values`` replace the template's values by key, at the cloud level
    (``region_name``, ``cacert`` ...) or in its ``auth`` section
    (``auth_url``, ``username`` ...).  A key the template lacks is an
    error: the tests use exactly the keys the documentation shows.
    """
    with open(os.path.join(CLOUDS_DIR, template)) as stream:
        data = yaml.safe_load(stream)
    entry = data['clouds']['powervc']
    for key, value in values.items():
        if key in entry.get('auth', {}):
            entry['auth'][key] = value
        elif key in entry:
            entry[key] = value
        else:
            raise KeyError('%s has no %r' % (template, key))
    data['clouds'] = {cloud: entry}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as stream:
        yaml.safe_dump(data, stream, default_flow_style=False)
    return path
