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
module: refcode
short_description: Turn PowerVC reference-code collection on or off, wait
description:
  - Reads the reference code of one IBM PowerVC virtual machine (the SRC
    of IBM i, the LED code of AIX), as C(openstack server refcode show)
    does.
  - With O(state), turns reference-code collection on or off for it with
    one C(POST /servers/{id}/metadata) of the one key
    C(powervc:vm_refcode_required), and only when it is not so already.
  - With O(wait) or O(wait_for), polls until the server reports a code, or
    a code that matches O(wait_for).
version_added: 1.0.0
author:
  - powervc_osc developers
extends_documentation_fragment:
  - powervc.refcode.cloud
options:
  server:
    description:
      - The server, by ID or by exact name (a name that several servers
        have is refused; give the ID).
    type: str
    required: true
  state:
    description:
      - V(enabled) turns collection on, V(disabled) off. Without it the
        module only reads (and waits).
    type: str
    choices: [enabled, disabled]
  wait:
    description:
      - Poll until the server reports a reference code (its first one,
        after collection was turned on).
      - Fails at once when collection is off for the server.
    type: bool
    default: false
  wait_for:
    description:
      - Poll until the reference code matches this regular expression as a
        whole, in any case (a plain code such as V(00000000) matches only
        itself, as C(--until) does). Implies O(wait).
      - For example V([^C].*) waits until an IBM i partition has left the
        IPL progress codes C(C1xx)...C(C9xx).
    type: str
  timeout:
    description:
      - Seconds a wait may take in all; then the task fails.
    type: float
    default: 300
  interval:
    description:
      - Seconds between polls while waiting, at least 1 (default 2 for
        O(wait), 5 for O(wait_for)).
    type: float
  all_projects:
    description:
      - Look a server name up in every project (admin only).
    type: bool
    default: false
notes:
  - Idempotent; C(changed) is true only when the module sent (or, in
    check mode, would send) the C(POST).
  - In check mode nothing is sent but the lookup and one read, and no wait
    happens; RV(refcode) is the code as it is.
  - With C(--diff), the diff shows C(required) before and after.
  - A failure (an unknown server, an ambiguous name, a server PowerVC does
    not support such as a Linux VM (HTTP 400), a refusal (HTTP 403), a
    wait that timed out) is one line in C(msg), with PowerVC's reason.
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
'''

EXAMPLES = r'''
- name: Collect reference codes for an IBM i partition and wait for one
  powervc.refcode.refcode:
    cloud: powervc
    server: ibmi-prod-1
    state: enabled
    wait: true
  register: result

- name: Wait until the partition runs (SRC 00000000), at most 30 minutes
  powervc.refcode.refcode:
    cloud: powervc
    server: ibmi-prod-1
    wait_for: '00000000'
    timeout: 1800
    interval: 10

- name: Stop collecting
  powervc.refcode.refcode:
    cloud: powervc
    server: aix-prod-1
    state: disabled
'''

RETURN = r'''
refcode:
  description:
    - The server's reference code, with the keys of
      C(openstack server refcode show -f json).
  returned: success
  type: dict
  contains:
    id:
      description: The server ID.
      type: str
      sample: b86f3613-437d-5708-beea-71012bec4538
    name:
      description: The server name.
      type: str
      sample: ibmi-prod-1
    refcode:
      description: The reference code (null when there is none).
      type: str
      sample: C6004031
    led_code:
      description: The operator-panel text, without its trailing padding.
      type: str
      sample: LIC IPL in progress
    queried_at:
      description:
        - When PowerVC asked the hypervisor, ISO 8601 in PowerVC's zone
          (which it does not say), or PowerVC's own text if unparseable.
      type: str
      sample: '2020-10-14T05:21:53.955450'
    required:
      description: Whether reference-code collection is on.
      type: bool
      sample: true
    category:
      description:
        - What kind of code it is (progress, attention, error,
          informational, running, off, stale, unknown).
      type: str
      sample: progress
    meaning:
      description: What the code means, from public IBM sources.
      type: str
      sample: Licensed Internal Code IPL status (C6xx)
'''

import re

from ansible_collections.powervc.refcode.plugins.module_utils.powervc import (
    RefcodeModule)


def main():
    rm = RefcodeModule(dict(
        server=dict(type='str', required=True),
        state=dict(type='str', choices=['enabled', 'disabled']),
        wait=dict(type='bool', default=False),
        wait_for=dict(type='str'),
        timeout=dict(type='float', default=300),
        interval=dict(type='float'),
        all_projects=dict(type='bool', default=False),
    ), supports_check_mode=True)
    params = rm.params
    waiting = params['wait'] or params['wait_for'] is not None
    if waiting and params['state'] == 'disabled':
        rm.fail('wait and wait_for need collection on: they cannot be '
                'combined with state: disabled')
    pattern = _pattern(rm, params['wait_for'])
    timeout, interval = _wait_times(rm, pattern)
    result = dict(changed=False)
    with rm.failures(result, params['server']):
        client = rm.client()
        rc = client.show(params['server'], all_projects=params['all_projects'])
        posted = False
        if params['state'] is not None:
            required = params['state'] == 'enabled'
            result['diff'] = dict(before=dict(required=rc.required),
                                  after=dict(required=required))
            if rc.required != required:
                if not rm.module.check_mode:
                    rc = client.set_required(rc.server_id, required)
                    posted = True
                result['changed'] = True
        if waiting and not rm.module.check_mode:
            rc = _wait(rm, client, rc, pattern, posted, timeout, interval)
    result['refcode'] = rm.refcode_dict(rc)
    rm.exit(**result)


def _pattern(rm, wait_for):
    """``wait_for`` compiled (whole match, any case), or None."""
    if wait_for is None:
        return None
    try:
        return re.compile(wait_for, re.IGNORECASE)
    except re.error as exc:
        rm.fail('wait_for: %r is not a regular expression: %s'
                % (wait_for, exc))


def _wait_times(rm, pattern):
    """``timeout`` and ``interval`` checked, the interval's default set."""
    from powervc_osc import defaults
    from powervc_osc.options import argtypes

    timeout = rm.checked('timeout', argtypes.seconds)
    interval = rm.checked('interval', argtypes.seconds)
    if interval is None:
        interval = (defaults.WAIT_INTERVAL if pattern is None
                    else defaults.WATCH_INTERVAL)
    if interval < defaults.MIN_POLL_INTERVAL:
        rm.fail('interval: %g is shorter than %g second: polling faster '
                'would only load PowerVC'
                % (interval, defaults.MIN_POLL_INTERVAL))
    return timeout, interval


def _wait(rm, client, rc, pattern, posted, timeout, interval):
    """The code once it came (or matched ``pattern``); fails otherwise."""
    from powervc_osc import exceptions

    server = rm.params['server']
    if not rc.required:
        rm.fail('Reference-code collection is off for server %s, so no code '
                'will come: add state: enabled' % server)
    if pattern is None:
        if rc.refcode is not None and not posted:
            return rc
        try:
            return client.wait(rc.server_id, timeout=timeout,
                               interval=interval)
        except exceptions.WaitTimeout:
            rm.fail('Server %s reported no reference code within %s'
                    % (server, exceptions.seconds_text(timeout)),
                    changed=posted)
    if _matches(pattern, rc):
        return rc
    last = rc
    try:
        for last in client.watch(
                rc.server_id, interval=interval, timeout=timeout,
                on_error=lambda failure: rm.module.warn(str(failure.error))):
            if _matches(pattern, last):
                return last
    except exceptions.WaitTimeout:
        pass
    rm.fail('Server %s reported no code matching %r within %s (last: %s)'
            % (server, pattern.pattern, exceptions.seconds_text(timeout),
               last.refcode), changed=posted, refcode=rm.refcode_dict(last))


def _matches(pattern, rc):
    return rc.refcode is not None and pattern.fullmatch(rc.refcode)


if __name__ == '__main__':
    main()
