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


"""``--project`` by name or ID, as OSC finds it."""

from __future__ import annotations

import typing as ty


def find_project_id(app: ty.Any, project: str,
                    domain: str | None = None) -> str:
    """The ID of a project given by name or ID, as OSC's --project finds it.

    OSC's own helper asks Keystone; when Keystone refuses to list projects
    (a user without the admin role), the value is kept as given, except
    that the user's own project name becomes its ID.

    :raises CommandError: when Keystone knows no such project or domain.
    """
    from openstack import utils as sdk_utils
    from openstackclient.identity import common as identity_common
    from osc_lib import exceptions

    manager = app.client_manager
    identity = sdk_utils.ensure_service_version(
        manager.sdk_connection.identity, '3')
    if domain is not None:
        try:
            identity_common.find_domain_id_sdk(identity, domain)
        except exceptions.CommandError:
            raise exceptions.CommandError(
                'No domain with a name or ID of %r exists.' % domain)
    try:
        project_id = identity_common.find_project_id_sdk(identity, project,
                                                         domain)
    except exceptions.CommandError:
        raise exceptions.CommandError(
            'No project with a name or ID of %r exists%s.' % (
                project, '' if domain is None else ' in domain %r' % domain))
    own = manager.auth_ref
    if project_id == project == own.project_name and domain in (
            None, own.project_domain_id, own.project_domain_name):
        return own.project_id
    return project_id
