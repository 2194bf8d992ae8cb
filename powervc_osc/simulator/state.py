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

"""The simulated PowerVC fleet and its semantics (no HTTP here).

Directory (fixed; domain ``Default``, id ``default``):

==============  ================================  =========  ===========
project         id                                user       roles
==============  ================================  =========  ===========
ibm-default     f09a6cc067cc5ac0b968dcf5e2e08480  admin      admin,member
ibm-default     f09a6cc067cc5ac0b968dcf5e2e08480  operator   member
other-project   c34e37caa20c5da5b566aa31120683aa  other      member
==============  ================================  =========  ===========

Every password is ``passw0rd``.  User ids: admin
``5f421e8df14254ccbbf816fa2d7f0065``, operator
``b8aecb4bcb2f55cb80af395366dd40c9``, other
``d71bfbb440a4563ea2682c7d4f8cb9b6``.

Hosts: ``9109RMD_1031CAT`` and ``8286-42A_21A7B2V`` (NovaLink),
``9009-42A_HMC01`` (HMC).

Default fleet (server ids are ``uuid5(SERVER_NAMESPACE, name)``, see
:func:`server_uuid`):

* ``ibmi-prod-1``   IBM i, NovaLink, refcode on, booted (``00000000``)
* ``ibmi-prod-2``   IBM i, NovaLink, refcode on, in the middle of a slow
  IPL (its steps last 5 ``step_seconds``)
* ``ibmi-dev-1``    IBM i, NovaLink, refcode off (no refcode keys)
* ``ibmi-stuck-1``  IBM i, NovaLink, refcode on, hung at ``B2008105``
* ``ibmi-off-1``    IBM i, NovaLink, SHUTOFF, refcode on (``00000000``,
  ``Not_activated``)
* ``ibmi-hmc-1``    IBM i on an HMC host: enabling answers 400
* ``aix-prod-1``    AIX on the HMC host, refcode on, booted (``0000``)
* ``aix-dev-1``     AIX, NovaLink, refcode off
* ``linux-web-1``   Linux: enabling answers 400
* ``other-proj-vm`` IBM i in ``other-project`` (403 for ``operator``)

Every server has the ordinary metadata keys ``owner`` and ``app``.

Refcode semantics:

* Setting ``powervc:vm_refcode_required`` (POST merge, PUT replace or the
  single-key PUT) accepts ``true``/``false`` in any case (else 400), only
  for IBM i and AIX (else 400) and, for IBM i, only on a NovaLink host
  (else 400).  A rejected request writes nothing.
* When it turns true, the VM starts a boot sequence
  (:mod:`powervc_osc.simulator.bootseq`) and the old refcode keys are
  removed; the first code appears after one ``step_seconds``.
* Each metadata GET of a VM whose flag is true refreshes
  ``powervc:vm_refcode``, ``powervc:vm_led_code`` and
  ``powervc:vm_refcode_query_ts`` (``YYYYMMDDhhmmssffffff`` in the local
  time of ``zone_offset_minutes``, UTC by default; strictly increasing
  over the whole simulator).
* When it turns false, the refcode keys stay with their last values and
  are no longer refreshed.
* The server listing and ``GET /servers/{id}`` show the stored metadata
  without refreshing it.
"""

import dataclasses
import datetime
import random
import re
import threading
import typing
import uuid

from powervc_osc.simulator import bootseq
from powervc_osc.simulator import settings as sim_settings

REFCODE = 'powervc:vm_refcode'
LED_CODE = 'powervc:vm_led_code'
QUERY_TS = 'powervc:vm_refcode_query_ts'
REQUIRED = 'powervc:vm_refcode_required'
REFCODE_KEYS = (REFCODE, LED_CODE, QUERY_TS)
ORIGINAL_HOST = 'original_host'

OS_IBMI = 'ibmi'
OS_AIX = 'aix'
OS_LINUX = 'linux'
OS_TYPES = (OS_IBMI, OS_AIX, OS_LINUX)
REFCODE_OS_TYPES = (OS_IBMI, OS_AIX)

NOVALINK = 'novalink'
HMC = 'hmc'

DOMAIN_ID = 'default'
DOMAIN_NAME = 'Default'
# The documented password of the simulated users.
PASSWORD = 'passw0rd'  # nosec B105

PROJECT_DEFAULT = 'ibm-default'
PROJECT_OTHER = 'other-project'
PROJECTS = {
    PROJECT_DEFAULT: 'f09a6cc067cc5ac0b968dcf5e2e08480',
    PROJECT_OTHER: 'c34e37caa20c5da5b566aa31120683aa',
}
ROLES = {
    'admin': '3c522e1a7e4553c0ad3f222a6841938c',
    'member': '1eb5d923577159628ba9bbee8c236ef2',
}


class User(typing.NamedTuple):
    id: str
    name: str
    password: str
    project: str
    roles: tuple


USERS = {
    'admin': User('5f421e8df14254ccbbf816fa2d7f0065', 'admin', PASSWORD,
                  PROJECT_DEFAULT, ('admin', 'member')),
    'operator': User('b8aecb4bcb2f55cb80af395366dd40c9', 'operator',
                     PASSWORD, PROJECT_DEFAULT, ('member',)),
    'other': User('d71bfbb440a4563ea2682c7d4f8cb9b6', 'other', PASSWORD,
                  PROJECT_OTHER, ('member',)),
}

HOST_NL1 = '9109RMD_1031CAT'
HOST_NL2 = '8286-42A_21A7B2V'
HOST_HMC = '9009-42A_HMC01'

SERVER_NAMESPACE = uuid.UUID('a8cbe309-e433-51ce-9166-af9336854c7c')

# 2025-01-06T09:00:00Z: the creation time of the first default server.
FLEET_EPOCH = 1736154000.0

MAX_METADATA_ITEMS = 128

STATUSES = {
    'ACTIVE': ('active', 1),
    'SHUTOFF': ('stopped', 4),
    'PAUSED': ('paused', 3),
    'SUSPENDED': ('suspended', 7),
    'ERROR': ('error', 0),
    'BUILD': ('building', 0),
}


# Nova's error body keys, by HTTP status: ``{"itemNotFound": {...}}``.
NOVA_FAULT_NAMES = {400: 'badRequest', 401: 'unauthorized',
                    403: 'forbidden', 404: 'itemNotFound',
                    405: 'badMethod', 409: 'conflictingRequest',
                    413: 'overLimit', 415: 'badMediaType',
                    429: 'overLimit', 501: 'notImplemented',
                    503: 'serviceUnavailable'}


def nova_fault_name(code):
    """Nova's error body key for HTTP status ``code``."""
    return NOVA_FAULT_NAMES.get(code, 'computeFault')


class SimulatorError(Exception):
    """An API error; ``code`` is the HTTP status, ``kind`` Nova's key."""

    code = 500

    def __init__(self, message):
        super().__init__(message)
        self.message = message

    @property
    def kind(self):
        return nova_fault_name(self.code)


class BadRequest(SimulatorError):
    code = 400


class Forbidden(SimulatorError):
    code = 403


class NotFound(SimulatorError):
    code = 404


class Context(typing.NamedTuple):
    """Who is asking: the scope of a token."""

    user_id: str
    project_id: str
    roles: tuple = ('member',)

    @property
    def is_admin(self):
        return 'admin' in self.roles

    @classmethod
    def for_user(cls, name):
        user = USERS[name]
        return cls(user.id, PROJECTS[user.project], tuple(user.roles))


@dataclasses.dataclass
class Host:
    name: str
    manager: str
    hypervisor_hostname: str
    availability_zone: str = 'Default Group'


@dataclasses.dataclass
class Flavor:
    id: str
    name: str
    vcpus: int
    ram: int
    disk: int = 0
    extra_specs: dict = dataclasses.field(default_factory=dict)


FLAVORS = {
    f.name: f for f in (
        Flavor('1b3f6a2e-3c1d-4a53-9d63-7a1f3e0c0a01', 'ibmi-small', 1,
               8192, 0, {'powervm:proc_units': '0.5',
                         'powervm:dedicated_proc': 'false'}),
        Flavor('1b3f6a2e-3c1d-4a53-9d63-7a1f3e0c0a02', 'ibmi-medium', 2,
               32768, 0, {'powervm:proc_units': '1.0',
                          'powervm:dedicated_proc': 'false'}),
        Flavor('1b3f6a2e-3c1d-4a53-9d63-7a1f3e0c0a03', 'aix-medium', 2,
               16384, 0, {'powervm:proc_units': '0.5'}),
        Flavor('1b3f6a2e-3c1d-4a53-9d63-7a1f3e0c0a04', 'linux-small', 1,
               4096, 0, {'powervm:proc_units': '0.2'}),
    )
}
DEFAULT_FLAVOR = {OS_IBMI: 'ibmi-medium', OS_AIX: 'aix-medium',
                  OS_LINUX: 'linux-small'}


@dataclasses.dataclass
class Server:
    """One virtual machine.  The state hands out copies of these."""

    id: str
    name: str
    project_id: str
    user_id: str
    host: str
    hypervisor_hostname: str
    manager: str
    availability_zone: str
    os_type: str
    status: str
    flavor: Flavor
    metadata: dict
    created: float
    updated: float
    instance_name: str
    stuck_at: typing.Optional[str] = None
    pace: float = 1.0
    boot_started: typing.Optional[float] = None
    boot_steps: list = dataclasses.field(default_factory=list)
    boot_runs: int = 0

    @property
    def vm_state(self):
        return STATUSES.get(self.status, ('active', 1))[0]

    @property
    def power_state(self):
        return STATUSES.get(self.status, ('active', 1))[1]

    @property
    def refcode_required(self):
        return is_true(self.metadata.get(REQUIRED))

    def copy(self):
        return dataclasses.replace(self, metadata=dict(self.metadata),
                                   boot_steps=list(self.boot_steps))


def is_true(value):
    return isinstance(value, str) and value.strip().lower() == 'true'


def server_uuid(name, index=1):
    """The stable id of the ``index``-th server called ``name``."""
    key = name if index == 1 else '%s#%d' % (name, index)
    return str(uuid.uuid5(SERVER_NAMESPACE, key))


def format_query_ts(microseconds, zone_offset_minutes=0):
    """Format epoch microseconds as PowerVC's ``YYYYMMDDhhmmssffffff``.

    In the local time of a zone ``zone_offset_minutes`` east of UTC.
    """
    epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    moment = epoch + datetime.timedelta(
        microseconds=microseconds, minutes=zone_offset_minutes)
    return moment.strftime('%Y%m%d%H%M%S%f')


def format_time(epoch_seconds):
    """Nova's ``2025-01-06T09:00:00Z``."""
    moment = datetime.datetime.fromtimestamp(int(epoch_seconds),
                                             datetime.timezone.utc)
    return moment.strftime('%Y-%m-%dT%H:%M:%SZ')


def _default_fleet():
    owner = {'owner': 'finance', 'app': 'erp'}
    return [
        dict(name='ibmi-prod-1', os_type=OS_IBMI, host=HOST_NL1,
             refcode=True, boot_progress=1.0, metadata=owner),
        dict(name='ibmi-prod-2', os_type=OS_IBMI, host=HOST_NL1,
             refcode=True, boot_progress=0.5, pace=5.0, metadata=owner),
        dict(name='ibmi-dev-1', os_type=OS_IBMI, host=HOST_NL2,
             metadata={'owner': 'dev', 'app': 'erp-test'}),
        dict(name='ibmi-stuck-1', os_type=OS_IBMI, host=HOST_NL2,
             refcode=True, boot_progress=1.0,
             stuck_at=bootseq.DEFAULT_STUCK_CODE,
             metadata={'owner': 'ops', 'app': 'batch'}),
        dict(name='ibmi-off-1', os_type=OS_IBMI, host=HOST_NL2,
             status='SHUTOFF', refcode=True, boot_progress=1.0,
             metadata={'owner': 'ops', 'app': 'archive'}),
        dict(name='ibmi-hmc-1', os_type=OS_IBMI, host=HOST_HMC,
             metadata={'owner': 'finance', 'app': 'payroll'}),
        dict(name='aix-prod-1', os_type=OS_AIX, host=HOST_HMC,
             refcode=True, boot_progress=1.0,
             metadata={'owner': 'sales', 'app': 'db2'}),
        dict(name='aix-dev-1', os_type=OS_AIX, host=HOST_NL1,
             metadata={'owner': 'dev', 'app': 'db2-test'}),
        dict(name='linux-web-1', os_type=OS_LINUX, host=HOST_NL2,
             metadata={'owner': 'web', 'app': 'nginx'}),
        dict(name='other-proj-vm', os_type=OS_IBMI, host=HOST_NL1,
             project=PROJECT_OTHER, user='other', refcode=True,
             boot_progress=1.0, metadata={'owner': 'other', 'app': 'erp'}),
    ]


def _generated_fleet(count, seed):
    # A simulation, not security.
    rng = random.Random('fleet/%s' % seed)  # nosec B311
    hosts = [HOST_NL1, HOST_NL2, 'S924_78ABCDX', HOST_HMC]
    specs = []
    for i in range(1, count + 1):
        kind = i % 10
        os_type = (OS_IBMI if kind < 6 else OS_AIX if kind < 9
                   else OS_LINUX)
        host = hosts[(i - 1) % len(hosts)]
        allowed = (os_type == OS_AIX or
                   (os_type == OS_IBMI and host != HOST_HMC))
        spec = dict(name='%s-%04d' % (os_type, i), os_type=os_type,
                    host=host, created=FLEET_EPOCH + i,
                    refcode=allowed and rng.random() < 0.8,
                    boot_progress=(1.0 if rng.random() < 0.5
                                   else rng.random()),
                    metadata={'owner': 'team-%d' % (i % 7),
                              'app': 'app-%d' % (i % 13)})
        if i % 20 == 0:
            spec.update(project=PROJECT_OTHER, user='other')
        specs.append(spec)
    return specs


class SimulatorState:
    """The fleet, thread-safe.

    :param settings: a
        :class:`~powervc_osc.simulator.settings.SimulatorSettings`; this
        class uses its ``servers``, ``seed``, ``step_seconds``,
        ``max_limit``, ``clock`` (advanced by :meth:`advance`),
        ``wall_clock`` and ``admin_only_host`` (which also ignores the
        ``host`` listing filter for non-admin users).
    :param fields: settings fields replacing those of ``settings``.
    """

    def __init__(self, settings=None, **fields):
        settings = sim_settings.resolve(settings, **fields)
        self.lock = threading.RLock()
        self.seed = settings.seed
        self.step_seconds = settings.step_seconds
        self.max_limit = settings.max_limit
        self.admin_only_host_filter = settings.admin_only_host
        self._clock = settings.clock
        self._wall_clock = settings.wall_clock
        self.zone_offset_minutes = settings.zone_offset_minutes
        self._offset = 0.0
        self._last_ts = 0
        self._servers = {}
        self._name_counts = {}
        self._instance_counter = 0
        self.hosts = {}
        for name, manager in ((HOST_NL1, NOVALINK), (HOST_NL2, NOVALINK),
                              ('S924_78ABCDX', NOVALINK), (HOST_HMC, HMC)):
            self.add_host(name, manager)
        servers = settings.servers
        if servers is None:
            specs = _default_fleet()
            for index, spec in enumerate(specs):
                spec.setdefault('created', FLEET_EPOCH + 60 * index)
        elif isinstance(servers, int):
            specs = _generated_fleet(servers, self.seed)
        else:
            specs = list(servers)
        for spec in specs:
            self.add_server(**spec)

    # -- clocks -------------------------------------------------------

    def now(self):
        """The monotonic time (with the :meth:`advance` offset)."""
        return self._clock() + self._offset

    def wall_now(self):
        """Epoch seconds (with the :meth:`advance` offset)."""
        return self._wall_clock() + self._offset

    def advance(self, seconds):
        """Move both clocks forward by ``seconds``."""
        with self.lock:
            self._offset += float(seconds)

    def _next_query_ts(self):
        micros = int(round(self.wall_now() * 1000000))
        if micros <= self._last_ts:
            micros = self._last_ts + 1
        self._last_ts = micros
        return format_query_ts(micros, self.zone_offset_minutes)

    # -- fleet management (no authorization) --------------------------

    def add_host(self, name, manager=NOVALINK, hypervisor_hostname=None):
        if manager not in (NOVALINK, HMC):
            raise ValueError('manager must be %r or %r' % (NOVALINK, HMC))
        with self.lock:
            host = Host(name, manager, hypervisor_hostname or name)
            self.hosts[name] = host
            return host

    def add_server(self, name, os_type=OS_IBMI, host=HOST_NL1,
                   project=PROJECT_DEFAULT, user=None, status='ACTIVE',
                   metadata=None, refcode=False, boot_progress=1.0,
                   stuck_at=None, server_id=None, created=None,
                   flavor=None, pace=1.0):
        """Add a server; returns a copy of it.

        :param os_type: ``ibmi``, ``aix`` or ``linux``.
        :param host: a host name (added as NovaLink if unknown).
        :param project: a project name or id.
        :param user: a user name (default: the project's first user).
        :param metadata: ordinary metadata.
        :param refcode: True to start with ``powervc:vm_refcode_required``
            true (regardless of the API's rules).
        :param boot_progress: for ``refcode=True``: the fraction of the
            boot sequence already done (1.0: steady, 0.0: just enabled).
        :param stuck_at: a code the boot sequence hangs at.
        :param pace: this server's steps last ``pace * step_seconds``.
        :param server_id: an explicit id (default :func:`server_uuid`).
        :param created: epoch seconds (default: now).
        """
        if os_type not in OS_TYPES:
            raise ValueError('os_type must be one of %s' % (OS_TYPES,))
        with self.lock:
            if host not in self.hosts:
                self.add_host(host)
            host_obj = self.hosts[host]
            project_id = PROJECTS.get(project, project)
            if user is None:
                user = next((u.name for u in USERS.values()
                             if PROJECTS[u.project] == project_id), 'admin')
            user_id = USERS[user].id if user in USERS else user
            count = self._name_counts.get(name, 0) + 1
            if server_id is None:
                server_id = server_uuid(name, count)
                while server_id in self._servers:
                    count += 1
                    server_id = server_uuid(name, count)
            if server_id in self._servers:
                raise ValueError('duplicate server id %s' % server_id)
            self._name_counts[name] = count
            self._instance_counter += 1
            created = self.wall_now() if created is None else created
            server = Server(
                id=server_id, name=name, project_id=project_id,
                user_id=user_id, host=host_obj.name,
                hypervisor_hostname=host_obj.hypervisor_hostname,
                manager=host_obj.manager,
                availability_zone=host_obj.availability_zone,
                os_type=os_type, status=status,
                flavor=FLAVORS[flavor or DEFAULT_FLAVOR[os_type]],
                metadata=dict(metadata or {}), created=created,
                updated=created,
                instance_name='%s-%08x' % (name[:20],
                                           self._instance_counter),
                stuck_at=stuck_at, pace=float(pace))
            self._servers[server_id] = server
            if refcode:
                server.metadata[REQUIRED] = 'true'
                self._start_boot(server)
                steps = len(server.boot_steps)
                elapsed = (boot_progress * steps * self.step_seconds *
                           server.pace)
                server.boot_started = self.now() - elapsed
                self._refresh(server)
            return server.copy()

    def servers(self):
        """Copies of every server, in listing order."""
        with self.lock:
            return [s.copy() for s in self._sorted(self._servers.values())]

    def find(self, name):
        """Copies of the servers called exactly ``name``."""
        return [s for s in self.servers() if s.name == name]

    def server_id(self, name):
        """The id of the only server called ``name``."""
        found = self.find(name)
        if len(found) != 1:
            raise LookupError('%d servers called %r' % (len(found), name))
        return found[0].id

    def raw_metadata(self, server_id):
        """The stored metadata, without refresh or authorization."""
        with self.lock:
            return dict(self._servers[server_id].metadata)

    def flavors(self):
        return list(FLAVORS.values())

    # -- the compute API ----------------------------------------------

    def _lookup(self, ctx, server_id):
        server = self._servers.get(server_id)
        if server is None:
            raise NotFound('Instance %s could not be found.' % server_id)
        if server.project_id != ctx.project_id and not ctx.is_admin:
            raise Forbidden(
                "Policy doesn't allow os_compute_api:servers:show to be "
                "performed.")
        return server

    def get_server(self, ctx, server_id):
        with self.lock:
            return self._lookup(ctx, server_id).copy()

    @staticmethod
    def _sort_key(server):
        return (server.created, server.id)

    def _sorted(self, servers):
        return sorted(servers, key=self._sort_key, reverse=True)

    def list_servers(self, ctx, name=None, host=None, status=None,
                     all_tenants=False, project_id=None, limit=None,
                     marker=None):
        """One page of servers, newest first (created, then id, desc).

        :param status: a status or a list of statuses (case-insensitive).
        :param limit: page size; None or 0 means ``max_limit``, larger
            values are capped to it.
        :returns: ``(servers, next_marker)``; ``next_marker`` is the last
            id when the page is full, else None.
        """
        if limit is None or limit == 0:
            limit = self.max_limit
        if limit < 0:
            raise BadRequest('limit param must be positive')
        limit = min(limit, self.max_limit)
        regex = None
        if name is not None:
            try:
                regex = re.compile(name)
            except re.error:
                raise BadRequest('Invalid regular expression: %s' % name)
        if isinstance(status, str):
            status = [status]
        statuses = {s.upper() for s in status or ()}
        with self.lock:
            if all_tenants and ctx.is_admin:
                visible = list(self._servers.values())
                if project_id:
                    visible = [s for s in visible
                               if s.project_id == project_id]
            else:
                visible = [s for s in self._servers.values()
                           if s.project_id == ctx.project_id]
            start_key = None
            if marker is not None:
                mark = self._servers.get(marker)
                if mark is None or all(s is not mark for s in visible):
                    raise BadRequest('marker [%s] not found' % marker)
                start_key = self._sort_key(mark)
            if self.admin_only_host_filter and not ctx.is_admin:
                host = None
            result = []
            for server in self._sorted(visible):
                if (start_key is not None and
                        self._sort_key(server) >= start_key):
                    continue
                if regex is not None and not regex.search(server.name):
                    continue
                if host is not None and server.host != host:
                    continue
                if statuses and server.status.upper() not in statuses:
                    continue
                result.append(server.copy())
                if len(result) >= limit:
                    break
            next_marker = result[-1].id if len(result) == limit else None
            return result, next_marker

    # -- metadata -----------------------------------------------------

    @staticmethod
    def validate_metadata(metadata):
        """Nova's schema: a dict of 1-255 char keys to <= 255 char str."""
        if not isinstance(metadata, dict):
            raise BadRequest('Malformed request body')
        for key, value in metadata.items():
            if not isinstance(key, str) or not 1 <= len(key) <= 255:
                raise BadRequest(
                    'Invalid input for field/attribute metadata. Value: '
                    '%r. Keys must be 1 to 255 characters long' % (key,))
            if not isinstance(value, str):
                raise BadRequest(
                    'Invalid input for field/attribute %s. Value: %r. '
                    '%r is not of type \'string\'' % (key, value, value))
            if len(value) > 255:
                raise BadRequest(
                    'Invalid input for field/attribute %s. Value is too '
                    'long (max 255 characters)' % key)

    def _check_refcode_rules(self, server, metadata):
        """400 unless the refcode flag may be set on ``server``."""
        if REQUIRED not in metadata:
            return False
        value = metadata[REQUIRED]
        if value.strip().lower() not in ('true', 'false'):
            raise BadRequest(
                "Invalid value %r for %s: it must be 'true' or 'false'."
                % (value, REQUIRED))
        if server.os_type not in REFCODE_OS_TYPES:
            raise BadRequest(
                'ref_code is supported only for IBM i and AIX virtual '
                'machines. Virtual machine %s is %s.'
                % (server.id, server.os_type))
        if server.os_type == OS_IBMI and server.manager != NOVALINK:
            raise BadRequest(
                'ref_code update for IBM i is only supported for virtual '
                'machines on a NovaLink host. Host %s is managed by an HMC.'
                % server.host)
        return True

    @staticmethod
    def _check_quota(metadata):
        if len(metadata) > MAX_METADATA_ITEMS:
            raise Forbidden(
                'Quota exceeded for metadata_items: Requested %d, but '
                'already used 0 of %d metadata_items'
                % (len(metadata), MAX_METADATA_ITEMS))

    def _start_boot(self, server):
        server.boot_runs += 1
        if server.status == 'SHUTOFF':
            server.boot_steps = bootseq.not_activated(server.os_type)
        else:
            server.boot_steps = bootseq.build_sequence(
                server.os_type, self.seed, server.name,
                run=server.boot_runs - 1, stuck_at=server.stuck_at)
        server.boot_started = self.now()

    def _write(self, server, new_metadata):
        """Store ``new_metadata``, handling refcode flag transitions."""
        was = server.refcode_required
        now = is_true(new_metadata.get(REQUIRED))
        if now and not was:
            for key in REFCODE_KEYS:
                new_metadata.pop(key, None)
            server.metadata = new_metadata
            self._start_boot(server)
        else:
            if was and not now:
                server.boot_started = None
            server.metadata = new_metadata
        server.updated = max(server.updated, self.wall_now())

    def _refresh(self, server):
        if (not server.refcode_required or server.boot_started is None or
                server.os_type not in REFCODE_OS_TYPES):
            return
        step = bootseq.position(server.boot_steps,
                                self.now() - server.boot_started,
                                self.step_seconds * server.pace)
        if step is None:
            return
        server.metadata[REFCODE], server.metadata[LED_CODE] = step
        server.metadata[QUERY_TS] = self._next_query_ts()

    def _answer(self, server, with_host):
        answer = dict(server.metadata)
        if with_host:
            answer[ORIGINAL_HOST] = server.host
        return answer

    def get_metadata(self, ctx, server_id):
        """``GET /servers/{id}/metadata``: refreshes refcode keys."""
        with self.lock:
            server = self._lookup(ctx, server_id)
            self._refresh(server)
            return dict(server.metadata)

    def update_metadata(self, ctx, server_id, metadata):
        """``POST /servers/{id}/metadata``: merge.

        The answer is the merged metadata, plus ``original_host`` when the
        request set the refcode flag.
        """
        self.validate_metadata(metadata)
        with self.lock:
            server = self._lookup(ctx, server_id)
            flag = self._check_refcode_rules(server, metadata)
            merged = dict(server.metadata)
            merged.update(metadata)
            self._check_quota(merged)
            self._write(server, merged)
            return self._answer(server, flag)

    def replace_metadata(self, ctx, server_id, metadata):
        """``PUT /servers/{id}/metadata``: replace everything."""
        self.validate_metadata(metadata)
        with self.lock:
            server = self._lookup(ctx, server_id)
            flag = self._check_refcode_rules(server, metadata)
            self._check_quota(metadata)
            self._write(server, dict(metadata))
            return self._answer(server, flag)

    def get_metadata_item(self, ctx, server_id, key):
        with self.lock:
            server = self._lookup(ctx, server_id)
            if key in REFCODE_KEYS:
                self._refresh(server)
            if key not in server.metadata:
                raise NotFound('Metadata item was not found')
            return server.metadata[key]

    def set_metadata_item(self, ctx, server_id, key, value):
        """``PUT /servers/{id}/metadata/{key}``."""
        self.validate_metadata({key: value})
        with self.lock:
            server = self._lookup(ctx, server_id)
            self._check_refcode_rules(server, {key: value})
            merged = dict(server.metadata)
            merged[key] = value
            self._check_quota(merged)
            self._write(server, merged)
            return value

    def delete_metadata_item(self, ctx, server_id, key):
        """``DELETE /servers/{id}/metadata/{key}``."""
        with self.lock:
            server = self._lookup(ctx, server_id)
            if key not in server.metadata:
                raise NotFound('Metadata item was not found')
            remaining = dict(server.metadata)
            del remaining[key]
            self._write(server, remaining)
