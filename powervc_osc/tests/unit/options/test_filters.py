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

"""The server filters shared by ``refcode list`` and the exporter."""

import argparse

import testtools

from powervc_osc.options import filters


class TestListFilters(testtools.TestCase):

    def parse(self, *argv, project_names=False):
        parser = argparse.ArgumentParser()
        filters.add_list_filters(parser, project_names=project_names)
        return parser.parse_args(argv)

    def test_every_filter_reaches_the_client(self):
        args = self.parse('--host', 'h1', '--project', 'p1', '--name', '^a',
                          '--status', 'active', '--enabled-only')
        self.assertEqual({'host': 'h1', 'all_projects': False,
                          'project': 'p1', 'name': '^a', 'status': 'ACTIVE',
                          'enabled_only': True},
                         filters.list_filters(args))

    def test_project_domain_only_with_project_names(self):
        self.assertFalse(hasattr(self.parse(), 'project_domain'))
        args = self.parse('--project', 'demo', '--project-domain', 'Default',
                          project_names=True)
        self.assertEqual(('demo', 'Default'),
                         (args.project, args.project_domain))
