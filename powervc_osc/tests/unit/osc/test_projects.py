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

import types

from openstack import exceptions as sdk_exceptions
from osc_lib import exceptions as osc_exceptions
import testtools

from powervc_osc.osc import projects

OWN = types.SimpleNamespace(project_id='p-own', project_name='demo',
                            project_domain_id='default',
                            project_domain_name='Default')


class _Identity:
    """Keystone as the SDK's identity proxy answers a project lookup."""

    api_version = '3'

    def __init__(self, projects=None, domains=('default',), forbidden=False):
        self.projects = projects or {}
        self.domains = domains
        self.forbidden = forbidden

    def find_project(self, name_or_id, ignore_missing, domain_id=None):
        if self.forbidden:
            raise sdk_exceptions.ForbiddenException()
        if name_or_id not in self.projects:
            raise sdk_exceptions.ResourceNotFound()
        return types.SimpleNamespace(id=self.projects[name_or_id])

    def find_domain(self, name_or_id, ignore_missing):
        if self.forbidden:
            raise sdk_exceptions.ForbiddenException()
        if name_or_id not in self.domains:
            raise sdk_exceptions.ResourceNotFound()
        return types.SimpleNamespace(id=name_or_id)


def _app(identity):
    manager = types.SimpleNamespace(
        sdk_connection=types.SimpleNamespace(identity=identity),
        auth_ref=OWN)
    return types.SimpleNamespace(client_manager=manager)


class TestFindProjectId(testtools.TestCase):

    def test_a_name_keystone_knows(self):
        app = _app(_Identity({'other': 'p-other'}))
        self.assertEqual('p-other', projects.find_project_id(app, 'other'))

    def test_refused_listing_keeps_the_value_but_own_name_is_its_id(self):
        app = _app(_Identity(forbidden=True))
        self.assertEqual('p-other', projects.find_project_id(app, 'p-other'))
        self.assertEqual('p-own', projects.find_project_id(app, 'demo'))
        self.assertEqual('p-own',
                         projects.find_project_id(app, 'demo', 'Default'))

    def test_unknown_project_or_domain_named(self):
        app = _app(_Identity())
        exc = self.assertRaises(osc_exceptions.CommandError,
                                projects.find_project_id, app, 'nope')
        self.assertEqual("No project with a name or ID of 'nope' exists.",
                         str(exc))
        exc = self.assertRaises(osc_exceptions.CommandError,
                                projects.find_project_id, app, 'x', 'nodom')
        self.assertEqual("No domain with a name or ID of 'nodom' exists.",
                         str(exc))
