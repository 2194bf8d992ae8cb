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

"""Listing filters: the query, and what PowerVC's answer is held to."""

import typing as ty

import testtools

from powervc_osc import client as client_mod
from powervc_osc import exceptions
from powervc_osc.fleet import listing
from powervc_osc.tests.unit import fakes

OTHER_PROJECT = 'c34e37caa20c5da5b566aa31120683aa'


class _Listed(ty.NamedTuple):
    host: str | None = fakes.HOST
    host_shown: bool = True
    status: str | None = 'ACTIVE'
    project_id: str | None = fakes.PROJECT_ID


class TestFilters(testtools.TestCase):

    def test_query(self):
        self.assertEqual({}, listing.Filters().query())
        self.assertEqual(
            {'all_tenants': 'True', 'project_id': 'p1', 'host': 'h1',
             'name': '^vm-', 'status': 'SHUTOFF'},
            listing.Filters(host='h1', project='p1', name='^vm-',
                            status='shutoff').query())
        self.assertEqual({'all_tenants': 'True'},
                         listing.Filters(all_projects=True).query())

    def test_own_project_needs_no_all_tenants(self):
        # Nova's policy refuses all_tenants to a member, even for the
        # member's own project: that one is listed without it.
        self.assertEqual({}, listing.Filters(project='p1').query('p1'))
        self.assertEqual({'all_tenants': 'True', 'project_id': 'p2'},
                         listing.Filters(project='p2').query('p1'))
        self.assertEqual({'all_tenants': 'True', 'project_id': 'p1'},
                         listing.Filters(project='p1',
                                         all_projects=True).query('p1'))

    def test_scope_option(self):
        self.assertIsNone(listing.Filters(host='h').scope_option)
        self.assertEqual('all_projects',
                         listing.Filters(all_projects=True).scope_option)
        self.assertEqual('project', listing.Filters(
            all_projects=True, project='p').scope_option)


class TestCheck(testtools.TestCase):

    def check(self, admin=True, **filters):
        return listing.Check(listing.Filters(**filters), fakes.PROJECT_ID,
                             admin)

    def test_rows_that_contradict_a_filter_are_dropped(self):
        check = self.check(host=fakes.HOST, status='active')
        self.assertTrue(check.admits(_Listed()))
        self.assertFalse(check.admits(_Listed(host='8286-42A_21A7B2V')))
        self.assertFalse(check.admits(_Listed(status='SHUTOFF')))
        self.assertFalse(check.admits(_Listed(status=None)))
        check = self.check(project=OTHER_PROJECT)
        self.assertFalse(check.admits(_Listed()))
        self.assertTrue(check.admits(_Listed(project_id=OTHER_PROJECT)))
        # What the answer does not say is not held against it.
        self.assertTrue(check.admits(_Listed(project_id=None)))

    def test_name_is_left_to_powervc(self):
        self.assertTrue(self.check(name='^nothing$').admits(_Listed()))

    def test_hidden_host_needs_the_admin_role(self):
        check = self.check(admin=False, host=fakes.HOST)
        exc = self.assertRaises(exceptions.AdminRequired, check.admits,
                                _Listed(host=None, host_shown=False))
        self.assertEqual('host', exc.option)
        self.assertEqual(
            'Filtering by host needs the admin role: PowerVC does not show '
            'this user which host a server runs on.', str(exc))
        # Without a host filter a hidden host does not matter.
        self.assertTrue(self.check(admin=False).admits(
            _Listed(host=None, host_shown=False)))

    def test_other_projects_invisible_to_a_member(self):
        for filters, option in (({'all_projects': True}, 'all_projects'),
                                ({'project': OTHER_PROJECT}, 'project')):
            check = self.check(admin=False, **filters)
            check.admits(_Listed())
            exc = self.assertRaises(exceptions.AdminRequired, check.finish)
            self.assertEqual(option, exc.option)
            self.assertIn('only the servers of its own project', str(exc))

    def test_other_projects_visible(self):
        # An admin, or a listing that shows another project, is believed.
        self.check(admin=True, all_projects=True).finish()
        check = self.check(admin=False, all_projects=True)
        check.admits(_Listed(project_id=OTHER_PROJECT))
        check.finish()

    def test_own_project_needs_no_admin_role(self):
        check = self.check(admin=False, project=fakes.PROJECT_ID)
        self.assertTrue(check.admits(_Listed()))
        check.finish()
        self.check(admin=False).finish()


class TestClientListChecks(fakes.FleetMixin, fakes.TestCase):
    """RefcodeClient.list over requests-mock, as an admin and a member."""

    def setUp(self):
        super().setUp()
        self.client = client_mod.RefcodeClient(self.powervc.session(),
                                               retries=0, max_workers=4)

    def test_contradicting_rows_never_come_back(self):
        servers = fakes.fleet(6)
        for server in servers:
            server['tenant_id'] = fakes.PROJECT_ID
        servers[1]['OS-EXT-SRV-ATTR:host'] = 'elsewhere'
        servers[2]['status'] = 'SHUTOFF'
        servers[3]['tenant_id'] = OTHER_PROJECT
        self.mock_fleet(servers)
        rows = list(self.client.list(host=fakes.HOST, status='ACTIVE'))
        self.assertEqual([fakes.uuid(n) for n in (0, 3, 4, 5)],
                         [r.server_id for r in rows])
        self.mock_fleet(servers)
        rows = list(self.client.list(project=OTHER_PROJECT))
        self.assertEqual([fakes.uuid(3)], [r.server_id for r in rows])
        # Dropped rows cost no metadata request.
        self.assertNotIn(fakes.uuid(1), ' '.join(
            r.path for r in self.metadata_requests()))

    def test_member_host_filter_fails_before_any_metadata_request(self):
        self.powervc.log_in_as_member()
        servers = fakes.fleet(4)
        for server in servers:
            del server['OS-EXT-SRV-ATTR:host']
        self.mock_fleet(servers)
        rows = []
        exc = self.assertRaises(
            exceptions.AdminRequired,
            lambda: rows.extend(self.client.list(host=fakes.HOST)))
        self.assertEqual(('host', []), (exc.option, rows))
        self.assertEqual([], self.metadata_requests())

    def test_member_all_projects_fails_without_rows(self):
        self.powervc.log_in_as_member()
        servers = fakes.fleet(2)
        for server in servers:
            server['tenant_id'] = fakes.PROJECT_ID
        self.mock_fleet(servers)
        rows = []
        exc = self.assertRaises(
            exceptions.AdminRequired,
            lambda: rows.extend(self.client.list(all_projects=True)))
        self.assertEqual(('all_projects', []), (exc.option, rows))
        exc = self.assertRaises(
            exceptions.AdminRequired, list,
            self.client.list(project=OTHER_PROJECT))
        self.assertEqual('project', exc.option)
        # Nothing was read for servers that could never be shown.
        self.assertEqual([], self.metadata_requests())
        # The member's own project is what PowerVC shows: no error.
        rows = list(self.client.list(project=fakes.PROJECT_ID))
        self.assertEqual(2, len(rows))

    def test_member_reads_start_once_another_project_shows(self):
        # A policy that shows this member other projects' servers: the
        # listing is then what was asked for, and every row is read.
        self.powervc.log_in_as_member()
        servers = fakes.fleet(3)
        for server in servers:
            server['tenant_id'] = fakes.PROJECT_ID
        servers[1]['tenant_id'] = OTHER_PROJECT
        self.mock_fleet(servers)
        rows = list(self.client.list(all_projects=True))
        self.assertEqual([fakes.uuid(n) for n in range(3)],
                         [r.server_id for r in rows])
        self.assertEqual(3, len(self.metadata_requests()))

    def test_listing_refused_to_a_member_says_admin(self):
        self.requests.get(fakes.DETAIL_URL, status_code=403, json={
            'forbidden': {'code': 403, 'message': 'Policy does not allow'}})
        exc = self.assertRaises(exceptions.AdminRequired, list,
                                self.client.list(all_projects=True))
        self.assertEqual('all_projects', exc.option)
        self.assertRaises(exceptions.Forbidden, list, self.client.list())

    def test_progress_counts_every_server(self):
        self.mock_fleet(fakes.fleet(5, required_every=2))
        seen = []
        rows = list(self.client.list(on_progress=lambda *a: seen.append(a)))
        self.assertEqual(5, len(rows))
        self.assertEqual([(n, 5) for n in range(1, 6)], seen)
