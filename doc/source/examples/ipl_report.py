#!/usr/bin/env python3
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

"""Report the IBM i and AIX servers that are not (yet) up.

Usage: ipl_report.py [CLOUD]   (default: $OS_CLOUD, as ``openstack``)

Prints one line per server that is not running: not ACTIVE (a SHUTOFF
partition keeps its last code, often the steady one), or not at the steady
"running" code.  Exits 1 if any server could not be read.
"""

import sys

import powervc_osc

STEADY = {'00000000', '0000'}


def is_running(rc):
    """ACTIVE in Nova and at the steady code of IBM i or AIX."""
    return (rc.status or '').upper() == 'ACTIVE' and rc.refcode in STEADY


def main(argv):
    cloud = argv[1] if len(argv) > 1 else None
    client = powervc_osc.RefcodeClient.from_cloud(cloud)
    failed = []
    for rc in client.list(enabled_only=True, on_error=failed.append):
        if not is_running(rc):
            print('%-20s %-8s %-10s %-32s %s' % (
                rc.server_name, rc.status or '-', rc.refcode or '-',
                rc.led_code or '', rc.queried_at_text or ''))
    for failure in failed:
        print('could not read %s: %s' % (failure.server, failure.error),
              file=sys.stderr)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
