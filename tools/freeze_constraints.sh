#!/usr/bin/env bash
# Re-resolve tools/TIER/constraints.txt for the functional-TIER tox
# environment: install the project, its test requirements and the pip
# arguments given (requirements, constraints) in a fresh venv, then pin
# what pip resolved.  Called by tools/keystone/freeze.sh and
# tools/nova/freeze.sh.
#
# Usage: tools/freeze_constraints.sh TIER NOTE PIP-ARGS...
#   NOTE ends the "resolved with Python x.y" line, e.g. "nova needs ...".
set -euo pipefail
tier=$1 note=$2
shift 2
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install -q -r requirements.txt -r test-requirements.txt "$@"
{
    echo "# Every package of the functional-$tier tox environment, as resolved on"
    echo "# $(date -u +%Y-%m-%d) with $("$tmp/venv/bin/python" -V) ($note)."
    echo "# Regenerate with tools/$tier/freeze.sh after changing requirements."
    "$tmp/venv/bin/pip" freeze --all | grep -v -i '^\(pip\|setuptools\|wheel\)=='
} > "tools/$tier/constraints.txt"
echo "wrote tools/$tier/constraints.txt"
