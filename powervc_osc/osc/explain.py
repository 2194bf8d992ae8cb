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

"""``openstack server refcode explain``: the table, offline.

OSC imports this module for every command of the compute group, so the
table (:mod:`powervc_osc.codes`) is imported only when the command runs.
"""

from __future__ import annotations

import argparse
import typing as ty

from osc_lib.command import command

from powervc_osc.osc import mixins

EXPLAIN_COLUMNS = ('Code', 'Category', 'Meaning', 'Source')


class ExplainRefcode(mixins.NeedsNoCloud, command.Lister):
    _description = (
        "Explain reference codes (IBM i SRCs, AIX LED codes).\n\n"
        "Looks each code up in the plugin's table of public IBM "
        "documentation: no login, no cloud and no PowerVC call. Every "
        "argument gets one row, in order; a code the table cannot explain "
        "gets category 'unknown' and a pointer to IBM's own look-up, and "
        "text that is not a code (or an empty argument) gets 'unknown' "
        "too. A 4-digit AIX code with a leading 0 is read as its last "
        "three digits (0553 is LED 553).")

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument(
            'codes', metavar='<code>', nargs='+',
            help='Reference code(s) as PowerVC shows them, e.g. C6004031, '
                 'B2008105, 0553')
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> tuple:
        from powervc_osc import codes

        rows: list[tuple[ty.Any, ...]] = []
        for code in parsed_args.codes:
            explanation = codes.explain(code)
            rows.append((explanation.code, explanation.category,
                         explanation.meaning, explanation.source))
        return EXPLAIN_COLUMNS, rows
