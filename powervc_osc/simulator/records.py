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

"""The simulated PowerVC's records: directory, hosts, servers, errors.

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
"""

import dataclasses
import datetime
import random
import typing
import uuid

from powervc_osc.simulator import bootseq

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


def nova_fault_name(code: int) -> str:
    """Nova's error body key for HTTP status ``code``."""
    return NOVA_FAULT_NAMES.get(code, 'computeFault')


class SimulatorError(Exception):
    """An API error; ``code`` is the HTTP status, ``kind`` Nova's key."""

    code = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def kind(self) -> str:
        return nova_fault_name(self.code)


class BadRequest(SimulatorError):
    code = 400


class Forbidden(SimulatorError):
    code = 403


class NotFound(SimulatorError):
    code = 404


class Conflict(SimulatorError):
    code = 409


#: Nova changes metadata only of a server in one of these vm_states.
METADATA_VM_STATES = ('active', 'paused', 'suspended', 'stopped')


class Context(typing.NamedTuple):
    """Who is asking: the scope of a token."""

    user_id: str
    project_id: str
    roles: tuple = ('member',)

    @property
    def is_admin(self) -> bool:
        return 'admin' in self.roles

    @classmethod
    def for_user(cls, name: str) -> 'Context':
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
    boot_loop: bool = False
    pace: float = 1.0
    boot_started: typing.Optional[float] = None
    boot_steps: list = dataclasses.field(default_factory=list)
    boot_runs: int = 0

    @property
    def vm_state(self) -> str:
        return STATUSES.get(self.status, ('active', 1))[0]

    @property
    def power_state(self) -> int:
        return STATUSES.get(self.status, ('active', 1))[1]

    @property
    def refcode_required(self) -> bool:
        return is_true(self.metadata.get(REQUIRED))

    def copy(self) -> 'Server':
        return dataclasses.replace(self, metadata=dict(self.metadata),
                                   boot_steps=list(self.boot_steps))


def is_true(value: typing.Any) -> bool:
    return isinstance(value, str) and value.strip().lower() == 'true'


def server_uuid(name: str, index: int = 1) -> str:
    """The stable id of the ``index``-th server called ``name``."""
    key = name if index == 1 else '%s#%d' % (name, index)
    return str(uuid.uuid5(SERVER_NAMESPACE, key))


def format_query_ts(microseconds: int,
                    zone_offset_minutes: int = 0) -> str:
    """Format epoch microseconds as PowerVC's ``YYYYMMDDhhmmssffffff``.

    In the local time of a zone ``zone_offset_minutes`` east of UTC.
    """
    epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    moment = epoch + datetime.timedelta(
        microseconds=microseconds, minutes=zone_offset_minutes)
    return moment.strftime('%Y%m%d%H%M%S%f')


def format_time(epoch_seconds: float) -> str:
    """Nova's ``2025-01-06T09:00:00Z``."""
    moment = datetime.datetime.fromtimestamp(int(epoch_seconds),
                                             datetime.timezone.utc)
    return moment.strftime('%Y-%m-%dT%H:%M:%SZ')


def default_fleet() -> list[dict[str, typing.Any]]:
    """The ten servers of the default fleet, as add_server() keywords."""
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


def generated_fleet(count: int, seed: typing.Any,
                    ) -> list[dict[str, typing.Any]]:
    """``count`` generated servers, the same for the same ``seed``."""
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
        spec: dict[str, typing.Any] = dict(
            name='%s-%04d' % (os_type, i), os_type=os_type,
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
