#!/usr/bin/env bash
# Re-resolve tools/nova/constraints.txt: build the functional-nova
# environment with Keystone's pins (tools/keystone/constraints.txt), then
# pin what pip resolved for Nova too.
exec "$(dirname "$0")/../freeze_constraints.sh" nova \
    'nova 34 needs Python >= 3.11' \
    -r tools/keystone/requirements.txt -r tools/nova/requirements.txt \
    -c tools/keystone/constraints.txt
