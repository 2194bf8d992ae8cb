#!/usr/bin/env bash
# Re-resolve tools/keystone/constraints.txt: build the functional-keystone
# environment without constraints, then pin what pip resolved.
set -euo pipefail
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install -q -r requirements.txt -r test-requirements.txt \
    -r tools/keystone/requirements.txt
{
    echo "# Every package of the functional-keystone tox environment, as resolved on"
    echo "# $(date -u +%Y-%m-%d) with $("$tmp/venv/bin/python" -V) (keystone needs Python >= 3.11)."
    echo "# Regenerate with tools/keystone/freeze.sh after changing requirements."
    "$tmp/venv/bin/pip" freeze --all | grep -v -i '^\(pip\|setuptools\|wheel\)=='
} > tools/keystone/constraints.txt
echo "wrote tools/keystone/constraints.txt"
