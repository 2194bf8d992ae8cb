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


"""The real Nova API from PyPI, and the real Keystone it trusts.

:class:`NovaServer` serves ``nova-api``'s WSGI application (sqlite,
``transport_url = fake://``, no hypervisor, no scheduler) from
``tools/nova/serve.py`` on an ephemeral ``127.0.0.1`` port.  Its
databases are copied from a template that :func:`database_template`
makes once per test run (``tools/nova/prepare.py databases``: every
``nova-manage`` step in one process); its servers are written by
``tools/nova/prepare.py servers`` while the Nova code loads.

:class:`NovaEnvironment` is the whole test cloud: the Keystone of
:mod:`~powervc_osc.tests.functional_keystone.keystone_fixture` with the
simulator's users and project IDs, a ``nova`` service user with the
``service`` role (Nova's ``auth_token`` middleware validates tokens with
it), a compute endpoint to Nova, and the fleet of :data:`FLEET`.
Everything listens on loopback only and is stopped on cleanup.
"""

import atexit
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

import fixtures

from powervc_osc.simulator import records as sim_records
from powervc_osc.tests.functional_keystone import keystone_fixture as kf

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS_DIR = os.environ.get(
    'POWERVC_OSC_NOVA_TOOLS', os.path.join(kf.REPO_ROOT, 'tools', 'nova'))
#: Where pip puts Nova's paste pipeline (a data file of the wheel).
API_PASTE = os.path.join(sys.prefix, 'etc', 'nova', 'api-paste.ini')

REGION = kf.REGION_ONE
PASSWORD = sim_records.PASSWORD
SERVICE_USER = 'nova'
#: ``[api] max_limit``: a page holds at most this many servers.
MAX_LIMIT = 3
DATABASES = ('nova_api.sqlite', 'nova_cell0.sqlite', 'nova.sqlite')

NL1 = sim_records.HOST_NL1
NL2 = sim_records.HOST_NL2
HMC = sim_records.HOST_HMC
DEFAULT = sim_records.PROJECT_DEFAULT
OTHER = sim_records.PROJECT_OTHER
_SERVER_NAMESPACE = uuid.UUID('2f0a3c1e-6c4d-4b8e-9a53-0d4f7b1e6c29')


def refcode_keys(refcode, led_code, required='true',
                 queried='20261127144252827393'):
    """The ``powervc:*`` keys PowerVC writes (Nova never moves them)."""
    return {'powervc:vm_refcode': refcode, 'powervc:vm_led_code': led_code,
            'powervc:vm_refcode_query_ts': queried,
            'powervc:vm_refcode_required': required}


def server(name, host, project=DEFAULT, metadata=None, **fields):
    """One server of the fleet; its ID is derived from its name."""
    return dict(fields, name=name, host=host, project=project,
                id=str(uuid.uuid5(_SERVER_NAMESPACE,
                                  '%s/%s' % (project, name))),
                metadata=metadata or {})


#: The servers, oldest first (Nova lists the newest first).  ``set-*``
#: and ``osc-prop-1`` are the servers that tests change.
FLEET = (
    server('ibmi-prod-1', NL1, metadata=dict(
        refcode_keys('00000000', '__________'), owner='finance', app='erp')),
    server('ibmi-prod-2', NL1, metadata=dict(
        refcode_keys('C6004072', 'LIC_IPL_in_progress'), owner='finance')),
    server('ibmi-dev-1', NL2, metadata={'owner': 'dev'}),
    server('ibmi-off-1', NL2, vm_state='stopped', power_state=4,
           metadata=dict(refcode_keys('D6000010', 'Shutdown', 'false'),
                         owner='ops')),
    server('aix-prod-1', HMC, metadata=dict(refcode_keys('0517', 'ALT_DISK'),
                                            owner='sales')),
    server('ibmi-error-1', NL2, vm_state='error', power_state=0,
           metadata=refcode_keys('B2008105', 'LP_FAILED', 'false')),
    server('web.1', NL1),
    server('web.11', NL1),
    server('webX1', NL1),
    server('set-1', NL2, metadata={'owner': 'ops', 'app': 'payroll',
                                   'powervc:vm_refcode_required': 'false'}),
    server('set-2', NL2, metadata={'owner': 'ops', 'tier': 'gold'}),
    server('set-3', NL2, metadata=dict(
        refcode_keys('00000000', '__________', 'false'), owner='dba')),
    server('osc-prop-1', HMC, metadata={'owner': 'osc'}),
    server('other-proj-vm', NL1, OTHER, metadata=refcode_keys(
        'C9002960', 'OS_IPL_in_progress')),
    server('other-2', NL2, OTHER),
    # The newest: Nova fails (500) on any request that asks Neutron about
    # it alone (see tools/nova/serve.py --broken-server).
    server('broken-1', NL2, OTHER),
)
BY_NAME = {s['name']: s for s in FLEET}
BROKEN = BY_NAME['broken-1']['id']

NOVA_CONF = """\
[DEFAULT]
host = powervc-osc-nova
state_path = {dir}/state
log_file = {dir}/nova.log
use_stderr = False
transport_url = fake://
compute_driver = fake.SmallFakeDriver

[api]
max_limit = {max_limit}
# A record that is not realistic fails loudly.
response_validation = error

[api_database]
connection = sqlite:///nova_api.sqlite

[database]
connection = sqlite:///nova.sqlite

[oslo_concurrency]
lock_path = {dir}/lock
"""

AUTHTOKEN_CONF = """
[keystone_authtoken]
www_authenticate_uri = {auth_url}
auth_url = {auth_url}
auth_type = password
username = {username}
password = {password}
project_name = {project}
user_domain_name = Default
project_domain_name = Default
"""


class NovaError(Exception):
    """Nova did not start; the message ends with its log."""


def _tail(path, lines=40):
    return kf._tail(path, lines)


def _write_conf(directory, extra=''):
    with open(os.path.join(directory, 'nova.conf'), 'w') as stream:
        stream.write(NOVA_CONF.format(dir=directory, max_limit=MAX_LIMIT))
        stream.write(extra)


def _run(step, directory, timeout=kf.START_TIMEOUT, *args):
    """``tools/nova/prepare.py step``, in ``directory``."""
    done = subprocess.run(
        [sys.executable, os.path.join(TOOLS_DIR, 'prepare.py'), step,
         '--config-file', 'nova.conf'] + list(args),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, cwd=directory, timeout=timeout)
    if done.returncode:
        output = done.stdout.decode(errors='replace')[-4000:]
        raise NovaError('prepare.py %s failed (%d):\n%s\n%s' % (
            step, done.returncode, output,
            _tail(os.path.join(directory, 'nova.log'))))


_TEMPLATE = {}


def database_template():
    """A directory with Nova's three empty databases, made once per run.

    Returns ``(path, seconds it took)``; the directory is removed when the
    test process exits.
    """
    if not _TEMPLATE:
        started = time.monotonic()
        path = tempfile.mkdtemp(prefix='powervc-osc-nova-template-')
        atexit.register(shutil.rmtree, path, True)
        _write_conf(path)
        _run('databases', path)
        _TEMPLATE.update(path=path, seconds=time.monotonic() - started)
    return _TEMPLATE['path'], _TEMPLATE['seconds']


class NovaServer(kf.ServeProcess):
    """Nova's compute API served from a subprocess, in three steps.

    :meth:`start` (via ``setUp``) copies the databases and binds the port,
    :meth:`prepare` writes the servers while Nova loads, and
    :meth:`wait_ready` waits for both.

    :param auth_url: the Keystone that Nova's ``auth_token`` trusts.
    :param broken_server: the ID of a server that Nova fails on (500).
    """

    name = 'nova'
    error = NovaError

    def __init__(self, auth_url, broken_server=None):
        super().__init__()
        self.auth_url = auth_url
        self.broken_server = broken_server

    def _setUp(self):
        self._started = time.monotonic()
        template, self.timings['template'] = database_template()
        self.dir = tempfile.mkdtemp(prefix='powervc-osc-nova-')
        self.addCleanup(shutil.rmtree, self.dir, True)
        for name in DATABASES:
            shutil.copy(os.path.join(template, name), self.dir)
        shutil.copy(API_PASTE, self.dir)
        _write_conf(self.dir, AUTHTOKEN_CONF.format(
            auth_url=self.auth_url, username=SERVICE_USER,
            password=PASSWORD, project=kf.SERVICE_PROJECT))
        self._prepared = os.path.join(self.dir, 'servers.json')
        command = [sys.executable, os.path.join(TOOLS_DIR, 'serve.py'),
                   '--config-dir', self.dir, '--wait-for', self._prepared]
        if self.broken_server:
            command += ['--broken-server', self.broken_server]
        self.port = self._spawn(command)

    def prepare(self, servers):
        """Write ``servers`` (dicts with the keys of ``prepare.py``)."""
        started = time.monotonic()
        spec = os.path.join(self.dir, 'spec.json')
        with open(spec, 'w') as stream:
            json.dump({'servers': list(servers)}, stream)
        _run('servers', self.dir, kf.START_TIMEOUT, '--spec', spec)
        # serve.py loads Nova once this file exists.
        os.replace(spec, self._prepared)
        self.timings['servers'] = time.monotonic() - started

    def requests(self):
        """``(method, path, status)`` of each request so far."""
        return [(parts[1], parts[2], parts[-1])
                for parts in self._access_log()]


class NovaEnvironment(fixtures.Fixture):
    """Keystone, Nova, the users below and the servers of :data:`FLEET`.

    ==============  ==================================  =======  =========
    user            project (simulator's fixed ID)      role     password
    ==============  ==================================  =======  =========
    admin           ibm-default                         admin    passw0rd
    operator        ibm-default                         member   passw0rd
    other           other-project                       member   passw0rd
    nova            service                             service  passw0rd
    ==============  ==================================  =======  =========
    """

    def _setUp(self):
        started = time.monotonic()
        self.keystone = self.useFixture(kf.KeystoneServer())
        self.nova = self.useFixture(NovaServer(self.keystone.auth_url,
                                               broken_server=BROKEN))
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            ids = pool.submit(self.keystone.bootstrap, self._spec())
            prepared = pool.submit(self.nova.prepare, self._servers())
            self.ids = ids.result()
            prepared.result()
        self.keystone.wait_ready()
        self.nova.wait_ready()
        self.timings = dict(self.nova.timings,
                            bootstrap=self.keystone.timings['bootstrap'],
                            total=time.monotonic() - started)

    def _spec(self):
        compute = [{'region': REGION, 'interface': interface,
                    'url': self.nova.url + '/v2.1/$(project_id)s'}
                   for interface in ('public', 'internal')]
        projects = [{'name': name, 'id': project_id} for name, project_id
                    in sorted(sim_records.PROJECTS.items())]
        projects.append({'name': kf.SERVICE_PROJECT})
        users = [{'name': u.name, 'password': u.password,
                  'project': u.project,
                  'roles': [r for r in u.roles if r != 'admin']}
                 for u in sim_records.USERS.values() if u.name != 'admin']
        users.append({'name': SERVICE_USER, 'password': PASSWORD,
                      'project': kf.SERVICE_PROJECT, 'roles': ['service']})
        admin = sim_records.USERS['admin']
        return {
            'admin': {'username': admin.name, 'password': admin.password,
                      'project': admin.project, 'role': 'admin'},
            'identity': {'region': REGION, 'url': self.keystone.auth_url},
            'regions': [REGION],
            'projects': projects,
            'users': users,
            'services': [{'type': 'compute', 'name': 'nova',
                          'endpoints': compute}],
        }

    def _servers(self):
        owners = {}
        for user in sim_records.USERS.values():
            owners.setdefault(sim_records.PROJECTS[user.project], user.id)
        servers = []
        for entry in FLEET:
            project_id = sim_records.PROJECTS[entry['project']]
            servers.append(dict(
                {k: v for k, v in entry.items() if k != 'project'},
                project_id=project_id, user_id=owners[project_id]))
        return servers

    def project_id(self, name):
        return self.ids['projects'][name]

    def metadata(self, name):
        """A server's metadata, read by ``admin`` from the API directly."""
        server = BY_NAME[name]
        url = '%s/v2.1/%s/servers/%s/metadata' % (
            self.nova.url, self.project_id(server['project']), server['id'])
        session = _session(self.keystone, sim_records.USERS['admin'])
        return session.get(url).json()['metadata']

    def token(self, username):
        """A token of a directory user, scoped to its project."""
        return _session(self.keystone,
                        sim_records.USERS[username]).get_token()


def _session(keystone, user):
    from keystoneauth1.identity import v3
    from keystoneauth1 import session as ks_session

    return ks_session.Session(auth=v3.Password(
        auth_url=keystone.auth_url, username=user.name,
        password=user.password, user_domain_name=sim_records.DOMAIN_NAME,
        project_name=user.project,
        project_domain_name=sim_records.DOMAIN_NAME))
