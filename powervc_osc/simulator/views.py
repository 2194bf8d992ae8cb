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

"""The JSON documents the simulator answers: servers, flavors, versions."""

import hashlib
import typing as ty

from werkzeug import wrappers

from powervc_osc.simulator import microversion
from powervc_osc.simulator import records as sim_records
from powervc_osc.simulator import responses


def _iso(epoch: float) -> str:
    return sim_records.format_time(epoch)


class ComputeViews:
    """Nova's views of servers and flavors for one compute request.

    :param request: the request (its host makes the links).
    :param project_id: the project of the request's URL.
    :param version: the request's microversion tuple.
    :param show_host: show the ``OS-EXT-SRV-ATTR:*`` attributes and the
        embedded flavor's extra specs (admins, or everybody when
        ``admin_only_host`` is off).
    """

    def __init__(self, request: wrappers.Request, project_id: str,
                 version: tuple[int, int], show_host: bool) -> None:
        self.root = responses.compute_root(request)
        self.project_id = project_id
        self.version = version
        self.show_host = show_host

    def links(self, kind: str, item_id: str) -> list[dict[str, str]]:
        return [
            {'rel': 'self', 'href': '%s/v2.1/%s/%s/%s'
             % (self.root, self.project_id, kind, item_id)},
            {'rel': 'bookmark', 'href': '%s/%s/%s/%s'
             % (self.root, self.project_id, kind, item_id)},
        ]

    def server_flavor(self, flavor: sim_records.Flavor) -> dict[str, ty.Any]:
        """The flavor embedded in a server."""
        if self.version >= (2, 47):
            view = {'vcpus': flavor.vcpus, 'ram': flavor.ram,
                    'disk': flavor.disk, 'ephemeral': 0, 'swap': 0,
                    'original_name': flavor.name}
            if self.show_host:
                view['extra_specs'] = dict(flavor.extra_specs)
            return view
        return {'id': flavor.id,
                'links': self.links('flavors', flavor.id)[1:]}

    def server(self, server: sim_records.Server,
               detail: bool = True) -> dict[str, ty.Any]:
        links = self.links('servers', server.id)
        if not detail:
            return {'id': server.id, 'name': server.name, 'links': links}
        version = self.version
        host_id = hashlib.sha224(
            (server.project_id + server.host).encode()).hexdigest()
        view = {
            'id': server.id,
            'name': server.name,
            'status': server.status,
            'tenant_id': server.project_id,
            'user_id': server.user_id,
            'metadata': dict(server.metadata),
            'hostId': host_id,
            'image': '',
            'flavor': self.server_flavor(server.flavor),
            'created': _iso(server.created),
            'updated': _iso(server.updated),
            'addresses': {},
            'accessIPv4': '',
            'accessIPv6': '',
            'links': links,
            'OS-DCF:diskConfig': 'MANUAL',
            'progress': 0,
            'OS-EXT-AZ:availability_zone': server.availability_zone,
            'config_drive': '',
            'key_name': None,
            'OS-SRV-USG:launched_at': _iso(server.created)[:-1] + '.000000',
            'OS-SRV-USG:terminated_at': None,
            'OS-EXT-STS:task_state': None,
            'OS-EXT-STS:vm_state': server.vm_state,
            'OS-EXT-STS:power_state': server.power_state,
            'os-extended-volumes:volumes_attached': [],
            'security_groups': [{'name': 'default'}],
        }
        if self.show_host:
            view.update({
                'OS-EXT-SRV-ATTR:host': server.host,
                'OS-EXT-SRV-ATTR:hypervisor_hostname':
                    server.hypervisor_hostname,
                'OS-EXT-SRV-ATTR:instance_name': server.instance_name,
            })
            if version >= (2, 3):
                view.update({
                    'OS-EXT-SRV-ATTR:hostname': server.name,
                    'OS-EXT-SRV-ATTR:reservation_id': 'r-%s'
                    % server.id[:8],
                    'OS-EXT-SRV-ATTR:launch_index': 0,
                    'OS-EXT-SRV-ATTR:kernel_id': '',
                    'OS-EXT-SRV-ATTR:ramdisk_id': '',
                    'OS-EXT-SRV-ATTR:root_device_name': '/dev/sda',
                    'OS-EXT-SRV-ATTR:user_data': None,
                })
            if version >= (2, 16):
                view['host_status'] = 'UP'
        if version >= (2, 9):
            view['locked'] = False
        if version >= (2, 19):
            view['description'] = None
        if version >= (2, 26):
            view['tags'] = []
        if version >= (2, 63):
            view['trusted_image_certificates'] = None
        if version >= (2, 73):
            view['locked_reason'] = None
        # PowerVC-flavoured extras (ignored by Nova clients).
        view['powervc:os_type'] = server.os_type
        view['powervc:host_manager'] = server.manager
        return view

    def flavor_summary(self, flavor: sim_records.Flavor) -> dict[str, ty.Any]:
        return {'id': flavor.id, 'name': flavor.name,
                'links': self.links('flavors', flavor.id)}

    def flavor(self, flavor: sim_records.Flavor) -> dict[str, ty.Any]:
        view = {
            'id': flavor.id, 'name': flavor.name, 'ram': flavor.ram,
            'disk': flavor.disk, 'vcpus': flavor.vcpus, 'swap': 0,
            'OS-FLV-EXT-DATA:ephemeral': 0,
            'OS-FLV-DISABLED:disabled': False,
            'os-flavor-access:is_public': True, 'rxtx_factor': 1.0,
            'links': self.links('flavors', flavor.id),
        }
        if self.version >= (2, 55):
            view['description'] = None
        if self.version >= (2, 61):
            view['extra_specs'] = dict(flavor.extra_specs)
        return view


def compute_version(request: wrappers.Request) -> dict[str, ty.Any]:
    """The ``v2.1`` version document."""
    root = responses.compute_root(request)
    return {
        'id': 'v2.1', 'status': 'CURRENT',
        'version': microversion.version_str(microversion.MAX_VERSION),
        'min_version': microversion.version_str(microversion.MIN_VERSION),
        'updated': '2013-07-23T11:33:21Z',
        'links': [{'rel': 'self', 'href': root + '/v2.1/'},
                  {'rel': 'describedby', 'type': 'text/html',
                   'href': 'http://docs.openstack.org/'}],
        'media-types': [{
            'base': 'application/json',
            'type': 'application/vnd.openstack.compute+json;'
                    'version=2.1'}],
    }


def identity_version(request: wrappers.Request) -> dict[str, ty.Any]:
    """The ``v3`` version document."""
    return {
        'id': 'v3.14', 'status': 'stable',
        'updated': '2020-04-07T00:00:00Z',
        'links': [{'rel': 'self', 'href': responses.identity_url(request)
                   + '/'}],
        'media-types': [{
            'base': 'application/json',
            'type': 'application/vnd.openstack.identity-v3+json'}],
    }


def index(request: wrappers.Request) -> dict[str, ty.Any]:
    """``GET /``: where the services are."""
    return {
        'simulator': 'powervc-osc-simulator',
        'identity': responses.identity_url(request),
        'compute': responses.compute_root(request) + '/v2.1',
        'control': responses.host_root(request) + '/_sim',
    }


def project(request: wrappers.Request, name: str,
            project_id: str) -> dict[str, ty.Any]:
    """A Keystone v3 project of the fixed directory."""
    return {
        'id': project_id, 'name': name, 'domain_id': sim_records.DOMAIN_ID,
        'parent_id': sim_records.DOMAIN_ID, 'is_domain': False,
        'enabled': True, 'description': '', 'tags': [],
        'links': {'self': responses.identity_url(request) + '/projects/'
                  + project_id},
    }


def domain(request: wrappers.Request) -> dict[str, ty.Any]:
    """The one Keystone v3 domain of the fixed directory."""
    return {
        'id': sim_records.DOMAIN_ID, 'name': sim_records.DOMAIN_NAME,
        'enabled': True, 'description': '', 'tags': [],
        'links': {'self': responses.identity_url(request) + '/domains/'
                  + sim_records.DOMAIN_ID},
    }
