#!/usr/bin/python
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

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: refcode_info
short_description: Read the reference codes of PowerVC virtual machines
description:
  - Reads fresh reference codes of one server, or of the servers the
    filters pick, as C(openstack server refcode list) does (one paged
    server listing, then the metadata of each server whose collection is
    on, a few at once).
  - Never changes anything.
version_added: 1.0.0
author:
  - powervc_osc developers
extends_documentation_fragment:
  - powervc.refcode.cloud
options:
  server:
    description:
      - One server, by ID or exact name; the filters cannot be combined
        with it (except O(all_projects), to look its name up in every
        project, and O(enabled_only)).
    type: str
  host:
    description:
      - Only servers on this host, such as V(9109RMD_1031CAT) (admin only).
    type: str
  name:
    description:
      - Only servers whose name matches this regular expression (Nova's
        semantics, a search, not a whole match).
    type: str
  status:
    description:
      - Only servers in this Nova status (V(ACTIVE), V(SHUTOFF)...; any
        case).
    type: str
  project:
    description:
      - Only servers of this project ID (admin only; implies
        O(all_projects)).
    type: str
  all_projects:
    description:
      - Servers of every project (admin only).
    type: bool
    default: false
  enabled_only:
    description:
      - Only servers with reference-code collection on.
    type: bool
    default: false
  max_age:
    description:
      - Take the code the server listing carries, without asking PowerVC
        again, when PowerVC stamped it at most this many seconds ago by its
        own clock; V(0) reads every code fresh.
    type: float
    default: 0
notes:
  - A server PowerVC could not answer for fails the task, with every
    failure in C(msg) (one line).
attributes:
  check_mode:
    support: full
    details: The module changes nothing, so it runs as usual.
  diff_mode:
    support: none
'''

EXAMPLES = r'''
- name: Every IBM i and AIX code on a host
  powervc.refcode.refcode_info:
    cloud: powervc
    host: 9109RMD_1031CAT
    all_projects: true
    enabled_only: true
  register: fleet

- name: The servers that report an error code
  ansible.builtin.debug:
    msg: "{{ fleet.refcodes | selectattr('category', 'eq', 'error')
             | map(attribute='name') | list }}"

- name: One server
  powervc.refcode.refcode_info:
    cloud: powervc
    server: ibmi-prod-1
'''

RETURN = r'''
refcodes:
  description:
    - One dict per server, in PowerVC's order, with the keys of
      C(openstack server refcode show -f json) (see the
      M(powervc.refcode.refcode) module).
  returned: success
  type: list
  elements: dict
  sample:
    - id: b86f3613-437d-5708-beea-71012bec4538
      name: ibmi-prod-1
      refcode: '00000000'
      led_code: Running
      queried_at: '2020-10-14T05:21:53.955450'
      required: true
      category: running
      meaning: The operator-panel text says the virtual machine is running
'''

from ansible_collections.powervc.refcode.plugins.module_utils.powervc import (
    RefcodeModule)

#: The filters that pick servers from the listing.
LISTING_FILTERS = ('host', 'name', 'status', 'project')


def main():
    rm = RefcodeModule(dict(
        server=dict(type='str'),
        host=dict(type='str'),
        name=dict(type='str'),
        status=dict(type='str'),
        project=dict(type='str'),
        all_projects=dict(type='bool', default=False),
        enabled_only=dict(type='bool', default=False),
        max_age=dict(type='float', default=0),
    ), supports_check_mode=True)
    from powervc_osc.options import filters
    from powervc_osc.options import limits

    params = rm.params
    given = [f for f in LISTING_FILTERS if params[f] is not None]
    if params['server'] is not None and given:
        rm.fail('server cannot be combined with %s' % ', '.join(given))
    status = rm.checked('status', filters.nova_status)
    max_age = rm.checked('max_age', limits.max_age)
    with rm.failures(dict(changed=False)):
        client = rm.client()
        rows = client.list(
            [params['server']] if params['server'] else None,
            host=params['host'], name=params['name'], status=status,
            project=params['project'], all_projects=params['all_projects'],
            enabled_only=params['enabled_only'], max_age=max_age)
        refcodes = [rm.refcode_dict(rc) for rc in rows]
    rm.exit(changed=False, refcodes=refcodes)


if __name__ == '__main__':
    main()
