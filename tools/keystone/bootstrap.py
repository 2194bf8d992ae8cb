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

"""Bootstrap a test Keystone in one process, then describe it as JSON.

Usage::

    python tools/keystone/bootstrap.py --config-file DIR/keystone.conf \\
        --spec spec.json [--output result.json]

Does what ``keystone-manage db_sync``, ``fernet_setup``,
``credential_setup`` and ``bootstrap`` do, in that order, without starting
four interpreters, then adds what the spec asks for: regions, projects
(with fixed IDs if given: the REST API cannot choose an ID), users with
role assignments, and services with their endpoints.  The spec (JSON)::

    {
      "admin": {"username": "admin", "password": "...",
                "project": "ibm-default", "role": "admin"},
      "identity": {"region": "RegionOne",
                   "url": "http://127.0.0.1:PORT/v3"},
      "regions": ["RegionOne", "RegionTwo"],
      "projects": [{"name": "ibm-default", "id": "f09a..."}],
      "users": [{"name": "operator", "password": "...",
                 "project": "ibm-default", "roles": ["member"]}],
      "services": [{"type": "compute", "name": "nova", "endpoints": [
          {"region": "RegionOne", "interface": "public",
           "url": "http://127.0.0.1:PORT/compute/v2.1/$(project_id)s"}]}]
    }

Projects are created before the bootstrap, so the admin may be given a
project of the spec.  The result (JSON, on stdout or in ``--output``)
maps names to IDs: ``{"projects": {...}, "users": {...},
"roles": {...}, "services": {...}}``.
"""

import argparse
import json
import os
import sys
import uuid


def _configure(config_file):
    # Keystone (oslo.config) parses sys.argv: give it nothing to parse.
    sys.argv = sys.argv[:1]
    import keystone.server

    keystone.server.configure(config_files=[os.path.abspath(config_file)])


def _keys():
    """fernet_setup and credential_setup."""
    from keystone.common import fernet_utils
    import keystone.conf
    from keystone.credential.providers import fernet as credential_fernet

    conf = keystone.conf.CONF
    repos = [(conf.fernet_tokens.key_repository,
              conf.fernet_tokens.max_active_keys, 'fernet_tokens')]
    if (os.path.abspath(conf.fernet_receipts.key_repository) !=
            os.path.abspath(conf.fernet_tokens.key_repository)):
        repos.append((conf.fernet_receipts.key_repository,
                      conf.fernet_receipts.max_active_keys,
                      'fernet_receipts'))
    repos.append((conf.credential.key_repository,
                  credential_fernet.MAX_ACTIVE_KEYS, 'credential'))
    for path, max_keys, group in repos:
        utils = fernet_utils.FernetUtils(path, max_keys, group)
        utils.create_key_directory()
        if utils.validate_key_repository(requires_write=True):
            utils.initialize_key_repository()


def _ensure_service(providers, service_type, name):
    for service in providers.catalog_api.list_services():
        if service['type'] == service_type and service.get('name') == name:
            return service['id']
    service_id = uuid.uuid4().hex
    providers.catalog_api.create_service(service_id, {
        'id': service_id, 'type': service_type, 'name': name,
        'enabled': True})
    return service_id


def bootstrap(config_file, spec):
    """Run every step; returns the name -> id maps."""
    _configure(config_file)
    from keystone.cmd import bootstrap as ks_bootstrap
    from keystone.common import provider_api
    from keystone.common.sql import upgrades
    import keystone.conf

    conf = keystone.conf.CONF
    upgrades.offline_sync_database_to_version()
    _keys()

    boot = ks_bootstrap.Bootstrapper()   # loads the backends
    providers = provider_api.ProviderAPIs
    domain_id = conf.identity.default_domain_id
    result = {'projects': {}, 'users': {}, 'roles': {}, 'services': {}}

    # Regions and projects first: the bootstrap uses them.
    for region in spec.get('regions', ()):
        providers.catalog_api.create_region({'id': region})
    boot._bootstrap_default_domain()
    for project in spec.get('projects', ()):
        project_id = project.get('id') or uuid.uuid4().hex
        providers.resource_api.create_project(project_id, {
            'id': project_id, 'name': project['name'],
            'domain_id': domain_id, 'enabled': True,
            'description': project.get('description', '')})
        result['projects'][project['name']] = project_id

    admin = spec['admin']
    identity = spec.get('identity') or {}
    boot.admin_username = admin.get('username', 'admin')
    boot.admin_password = admin['password']
    boot.project_name = admin.get('project', 'admin')
    boot.admin_role_name = admin.get('role', 'admin')
    boot.service_name = 'keystone'
    boot.region_id = identity.get('region')
    boot.public_url = identity.get('url')
    boot.internal_url = identity.get('url')
    boot.immutable_roles = True
    boot.bootstrap()
    result['projects'][boot.project_name] = boot.project_id
    result['users'][boot.admin_username] = boot.admin_user_id
    for role in providers.role_api.list_roles():
        if not role.get('domain_id'):
            result['roles'][role['name']] = role['id']

    for user in spec.get('users', ()):
        ref = providers.identity_api.create_user({
            'name': user['name'], 'password': user['password'],
            'domain_id': domain_id, 'enabled': True,
            'default_project_id': result['projects'][user['project']]})
        result['users'][user['name']] = ref['id']
        for role in user.get('roles', ()):
            providers.assignment_api.create_grant(
                result['roles'][role], user_id=ref['id'],
                project_id=result['projects'][user['project']])

    for service in spec.get('services', ()):
        service_id = _ensure_service(providers, service['type'],
                                     service['name'])
        result['services'][service['name']] = service_id
        for endpoint in service.get('endpoints', ()):
            endpoint_id = uuid.uuid4().hex
            providers.catalog_api.create_endpoint(endpoint_id, {
                'id': endpoint_id, 'service_id': service_id,
                'region_id': endpoint['region'],
                'interface': endpoint['interface'],
                'url': endpoint['url'], 'enabled': True})
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config-file', required=True)
    parser.add_argument('--spec', required=True,
                        help='the JSON spec (a file name, or - for stdin)')
    parser.add_argument('--output', help='write the result JSON here')
    args = parser.parse_args(argv)
    if args.spec == '-':
        spec = json.load(sys.stdin)
    else:
        with open(args.spec) as stream:
            spec = json.load(stream)
    result = bootstrap(args.config_file, spec)
    text = json.dumps(result, indent=2, sort_keys=True)
    if args.output:
        # Atomically: serve.py --wait-for may be waiting for this file.
        with open(args.output + '.tmp', 'w') as stream:
            stream.write(text + '\n')
        os.replace(args.output + '.tmp', args.output)
    else:
        print(text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
