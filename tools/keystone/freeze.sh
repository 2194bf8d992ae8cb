#!/usr/bin/env bash
# Re-resolve tools/keystone/constraints.txt: build the functional-keystone
# environment without constraints, then pin what pip resolved.
exec "$(dirname "$0")/../freeze_constraints.sh" keystone \
    'keystone needs Python >= 3.11' -r tools/keystone/requirements.txt
