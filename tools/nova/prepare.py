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


"""Prepare a test Nova's databases and server records, without a scheduler.

Usage (run with the working directory holding ``nova.conf``)::

    python tools/nova/prepare.py databases --config-file nova.conf
    python tools/nova/prepare.py servers --config-file nova.conf \\
        --spec servers.json

``databases`` does what ``nova-manage api_db sync``, ``cell_v2
map_cell0``, ``cell_v2 create_cell`` and ``db sync`` do, in that order, in
one interpreter.  The cell databases are named by relative sqlite URLs
(``nova_cell0.sqlite`` and ``nova.sqlite``, next to ``nova_api.sqlite``),
so a copy of the three files in another directory is a working Nova.

``servers`` writes what a boot would leave behind, through Nova's own
objects: a flavor, a compute ``Service`` and ``ComputeNode`` per host,
and per server an ``Instance`` (with an empty network info cache), its
``RequestSpec`` and its ``InstanceMapping``.  The spec (JSON)::

    {"servers": [{"id": "<uuid>", "name": "web.1", "host": "HOST",
                  "project_id": "...", "user_id": "...",
                  "vm_state": "active", "power_state": 1,
                  "metadata": {"powervc:vm_refcode": "00000000"}}]}

``vm_state``, ``power_state`` and ``metadata`` are optional.
"""

import argparse
import json
import sys

CELL0_DATABASE = 'sqlite:///nova_cell0.sqlite'
CELL1_NAME = 'cell1'
CELL1_UUID = '6b5f1f52-4a3c-4b3e-9d1a-3c0e5e1f0c11'
FLAVOR = dict(name='ibmi-medium', flavorid='ibmi-medium', memory_mb=8192,
              vcpus=2, root_gb=100, ephemeral_gb=0, swap=0, rxtx_factor=1.0,
              vcpu_weight=0, disabled=False, is_public=True, extra_specs={},
              description=None)


def _configure(config_file):
    """Parse nova.conf; returns Nova's ``(context, objects)`` modules."""
    # oslo.config parses sys.argv: give it nothing to parse.
    sys.argv = sys.argv[:1]
    from nova import monkey_patch
    monkey_patch.patch(backend='threading')
    from nova import config
    from nova import context
    from nova import objects

    config.parse_args(['powervc-osc-nova', '--config-file', config_file])
    objects.register_all()
    return context, objects


def databases(config_file):
    """The API database, cell0 and cell1, with their schemas."""
    context, objects = _configure(config_file)
    import nova.conf
    from nova.db import migration

    conf = nova.conf.CONF
    migration.db_sync(database='api')
    admin = context.get_admin_context()
    objects.CellMapping(
        admin, uuid=objects.CellMapping.CELL0_UUID, name='cell0',
        transport_url='none:///',
        database_connection=CELL0_DATABASE).create()
    objects.CellMapping(
        admin, uuid=CELL1_UUID, name=CELL1_NAME,
        transport_url=conf.transport_url,
        database_connection=conf.database.connection).create()
    migration.db_sync(database='main')
    cell0 = objects.CellMapping.get_by_uuid(admin,
                                            objects.CellMapping.CELL0_UUID)
    with context.target_cell(admin, cell0) as cell0_context:
        migration.db_sync(database='main', context=cell0_context)


def _compute_node(cell_context, objects, host):
    service = objects.Service(cell_context, host=host, binary='nova-compute',
                              topic='compute', report_count=1)
    service.create()
    node = objects.ComputeNode(
        cell_context, host=host, hypervisor_hostname=host,
        service_id=service.id, vcpus=64, memory_mb=1048576, local_gb=10000,
        vcpus_used=0, memory_mb_used=0, local_gb_used=0,
        hypervisor_type='fake', hypervisor_version=1, cpu_info='{}',
        disk_available_least=0, free_ram_mb=1048576, free_disk_gb=10000,
        current_workload=0, running_vms=0, host_ip='127.0.0.1',
        numa_topology=None, pci_device_pools=None, supported_hv_specs=[],
        stats={}, cpu_allocation_ratio=1.0, ram_allocation_ratio=1.0,
        disk_allocation_ratio=1.0)
    node.create()
    return node.id


def servers(config_file, spec):
    """The flavor, hosts and servers of ``spec``."""
    context, objects = _configure(config_file)
    from nova.compute import power_state
    from nova.compute import vm_states
    from nova.network import model as network_model
    from oslo_utils import timeutils

    admin = context.get_admin_context()
    cell = objects.CellMapping.get_by_uuid(admin, CELL1_UUID)
    flavor = objects.Flavor(admin, **FLAVOR)
    flavor.create()
    now = timeutils.utcnow()
    with context.target_cell(admin, cell) as cell_context:
        nodes = {host: _compute_node(cell_context, objects, host)
                 for host in sorted({s['host'] for s in spec['servers']})}
        for server in spec['servers']:
            project, user = server['project_id'], server['user_id']
            objects.Instance(
                context=cell_context, uuid=server['id'], project_id=project,
                user_id=user, display_name=server['name'],
                hostname=server['name'].lower(), host=server['host'],
                node=server['host'], compute_id=nodes[server['host']],
                vm_state=server.get('vm_state', vm_states.ACTIVE),
                power_state=server.get('power_state', power_state.RUNNING),
                task_state=None, image_ref='', flavor=flavor,
                instance_type_id=flavor.id, memory_mb=flavor.memory_mb,
                vcpus=flavor.vcpus, root_gb=flavor.root_gb, ephemeral_gb=0,
                launched_at=now, launch_index=0, availability_zone='nova',
                metadata=dict(server.get('metadata', {})),
                system_metadata={}, old_flavor=None, new_flavor=None,
                config_drive='', key_name=None, locked=False,
                reservation_id='r-%s' % server['id'][:8],
                info_cache=objects.InstanceInfoCache(
                    network_info=network_model.NetworkInfo([]))).create()
            # The API keeps one for every booted server; Nova shows its
            # scheduler hints from microversion 2.100 on.
            objects.RequestSpec.from_components(
                admin, server['id'], image=objects.ImageMeta.from_dict({}),
                flavor=flavor, numa_topology=None,
                pci_requests=objects.InstancePCIRequests(requests=[]),
                filter_properties={}, instance_group=None,
                availability_zone=None, project_id=project,
                user_id=user).create()
            objects.InstanceMapping(
                admin, instance_uuid=server['id'], cell_mapping=cell,
                project_id=project, user_id=user,
                queued_for_delete=False).create()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('step', choices=('databases', 'servers'))
    parser.add_argument('--config-file', required=True)
    parser.add_argument('--spec', help='the servers (JSON file)')
    args = parser.parse_args(argv)
    if args.step == 'databases':
        databases(args.config_file)
    else:
        if not args.spec:
            parser.error('servers needs --spec')
        with open(args.spec) as stream:
            servers(args.config_file, json.load(stream))
    return 0


if __name__ == '__main__':
    sys.exit(main())
