#!/usr/bin/env bash
# Re-resolve tools/nova/constraints.txt: build the functional-nova
# environment with Keystone's pins (tools/keystone/constraints.txt), then
# pin what pip resolved for Nova too.
set -euo pipefail
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install -q -r requirements.txt -r test-requirements.txt \
    -r tools/keystone/requirements.txt -r tools/nova/requirements.txt \
    -c tools/keystone/constraints.txt
{
    echo "# Every package of the functional-nova tox environment, as resolved on"
    echo "# $(date -u +%Y-%m-%d) with $("$tmp/venv/bin/python" -V) (nova 34 needs Python >= 3.11)."
    echo "# Regenerate with tools/nova/freeze.sh after changing requirements."
    "$tmp/venv/bin/pip" freeze --all | grep -v -i '^\(pip\|setuptools\|wheel\)=='
} > tools/nova/constraints.txt
echo "wrote tools/nova/constraints.txt"
