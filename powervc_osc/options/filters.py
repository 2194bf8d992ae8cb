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


"""The server filters of ``refcode list``, shared with the exporter.

Neutral ground between the OSC commands (:mod:`powervc_osc.osc`) and
the exporter (:mod:`powervc_osc.exporter`): neither imports the other.
"""

from __future__ import annotations

import argparse
import typing as ty


#: Nova's server statuses (``openstack server list --status`` takes these).
NOVA_STATUSES = (
    'ACTIVE', 'BUILD', 'DELETED', 'ERROR', 'HARD_REBOOT', 'MIGRATING',
    'PASSWORD', 'PAUSED', 'REBOOT', 'REBUILD', 'RESCUE', 'RESIZE',
    'REVERT_RESIZE', 'SHELVED', 'SHELVED_OFFLOADED', 'SHUTOFF',
    'SOFT_DELETED', 'SUSPENDED', 'UNKNOWN', 'VERIFY_RESIZE')


def nova_status(text: str) -> str:
    """argparse type: one of :data:`NOVA_STATUSES`, in any case."""
    if text.upper() not in NOVA_STATUSES:
        raise argparse.ArgumentTypeError(
            '%r is not a Nova server status (one of %s)'
            % (text, ', '.join(NOVA_STATUSES)))
    return text.upper()


def add_list_filters(parser: ty.Any, project_names: bool = False) -> None:
    """Add the server filters of ``refcode list`` to ``parser``.

    With ``project_names`` (the OSC command), ``--project`` takes a name
    or an ID and ``--project-domain`` is added, for the caller to resolve
    through Keystone; otherwise (the exporter) it takes an ID.
    """
    parser.add_argument(
        '--host', metavar='<host>',
        help='Only servers on this host (e.g. 9109RMD_1031CAT; admin only)')
    parser.add_argument(
        '--all-projects', action='store_true',
        help='Servers of every project (admin only)')
    parser.add_argument(
        '--project', metavar='<project>' if project_names else '<project-id>',
        help='Only servers of this project %s; implies --all-projects)' % (
            '(name or ID; admin only' if project_names else 'ID (admin only'))
    if project_names:
        from openstackclient.identity import common as identity_common

        identity_common.add_project_domain_option_to_parser(parser)
    parser.add_argument(
        '--name', metavar='<regex>',
        help='Only servers whose name matches this regular expression '
             '(Nova semantics)')
    parser.add_argument(
        '--status', metavar='<status>', type=nova_status,
        help='Only servers in this Nova status (e.g. ACTIVE, SHUTOFF; '
             'any case)')
    parser.add_argument(
        '--enabled-only', action='store_true',
        help='Only servers with reference-code collection on')


def list_filters(parsed_args: argparse.Namespace) -> dict[str, ty.Any]:
    """The ``RefcodeClient.list`` arguments of :func:`add_list_filters`."""
    return {'host': parsed_args.host,
            'all_projects': parsed_args.all_projects,
            'project': parsed_args.project, 'name': parsed_args.name,
            'status': parsed_args.status,
            'enabled_only': parsed_args.enabled_only}
