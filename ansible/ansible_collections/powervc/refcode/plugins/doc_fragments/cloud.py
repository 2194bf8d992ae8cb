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

"""The cloud options every powervc.refcode module takes."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):

    DOCUMENTATION = r'''
options:
  cloud:
    description:
      - The cloud of C(clouds.yaml) to log in to, as the C(openstack.cloud)
        modules and C(openstack --os-cloud) take it.
      - Without it, C(OS_CLOUD) or the C(OS_*) variables of the environment
        of the module are used, as C(openstack.connect) does.
    type: str
  auth:
    description:
      - Authentication settings (C(auth_url), C(username), C(password),
        C(project_name)...) merged over those of O(cloud), or the whole
        login without one.
      - Never logged (C(no_log)).
    type: dict
  auth_type:
    description:
      - The keystoneauth plugin of O(auth) (C(password), C(token),
        C(v3applicationcredential)...).
    type: str
  region_name:
    description:
      - The region of the compute endpoint in the Keystone catalog.
    type: str
  interface:
    description:
      - The catalog interface of the compute endpoint.
    type: str
    choices: [public, internal, admin]
  validate_certs:
    description:
      - Whether to check PowerVC's TLS certificate (default the cloud's
        C(verify), else true).
    type: bool
  ca_cert:
    description:
      - A CA bundle to check PowerVC's TLS certificate with.
    type: path
  client_cert:
    description:
      - A client certificate for TLS.
    type: path
  client_key:
    description:
      - The key of O(client_cert).
    type: path
  api_timeout:
    description:
      - Seconds each HTTP request may take (default the cloud's
        C(api_timeout), else 60).
    type: float
requirements:
  - python >= 3.10
  - powervc-osc (C(pip install powervc-osc)) in the Python that runs the
    module, with its openstacksdk and keystoneauth1
notes:
  - The module runs on the host it is delegated to, usually C(localhost)
    with C(connection=local); that host's C(ansible_python_interpreter)
    must have powervc-osc installed, or the task fails saying so.
  - Requests go to the compute endpoint of the Keystone catalog, only
    C(GET) and C(POST) of C(/servers/{id}/metadata) and the server lookup,
    as the C(openstack server refcode) commands send.
'''
