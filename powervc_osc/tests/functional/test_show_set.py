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

"""``server refcode show`` and ``set`` through the real ``openstack``."""

import yaml

from powervc_osc.tests.functional import base


class TestShow(base.FunctionalTestCase):

    def test_show_by_id_json(self):
        server_id = self.sim.server_id('ibmi-prod-1')
        self.sim.requests.clear()
        rc = self.openstack('server', 'refcode', 'show', server_id,
                            '-f', 'json').json()
        self.assertEqual(['id', 'name', 'refcode', 'led_code', 'queried_at',
                          'required', 'category', 'meaning'], list(rc))
        self.assertEqual((server_id, 'ibmi-prod-1', '00000000', 'Running',
                          True),
                         (rc['id'], rc['name'], rc['refcode'],
                          rc['led_code'], rc['required']))
        self.assertRegex(rc['queried_at'],
                         r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$')
        calls = self.compute_requests()
        self.assertEqual(2, len(calls), calls)
        self.assertEqual(['GET', 'GET'], [m for m, _ in calls])
        # No compute version discovery: nothing outside /v2.1/<project>.
        self.assertEqual([], [r for r in self.sim.requests
                              if '/compute' in r.path and
                              '/compute/v2.1/' not in r.path])

    def test_show_by_id_requests_overlap(self):
        self.sim.simulator.latency_ms = 300
        server_id = self.sim.server_id('ibmi-prod-1')
        self.sim.requests.clear()
        self.openstack('server', 'refcode', 'show', server_id)
        calls = [r for r in self.sim.requests if '/servers/' in r.path]
        self.assertEqual(2, len(calls))
        first, second = sorted(calls, key=lambda r: r.started)
        self.assertLess(second.started, first.finished)

    def test_show_by_name_every_format(self):
        self.sim.requests.clear()
        out = self.openstack('server', 'refcode', 'show', 'ibmi-dev-1').out
        self.assertIn('| name       | ibmi-dev-1', out)
        self.assertIn('| required   | False', out)
        self.assertEqual(2, len(self.compute_requests()))
        rc = self.openstack('server', 'refcode', 'show', 'ibmi-dev-1',
                            '-f', 'json').json()
        self.assertEqual((None, None, None, False),
                         (rc['refcode'], rc['led_code'], rc['queried_at'],
                          rc['required']))
        rc = yaml.safe_load(self.openstack(
            'server', 'refcode', 'show', 'ibmi-stuck-1', '-f', 'yaml').out)
        self.assertEqual('B2008105', rc['refcode'])
        out = self.openstack('server', 'refcode', 'show', 'ibmi-stuck-1',
                             '-f', 'value', '-c', 'refcode').out
        self.assertEqual('B2008105\n', out)
        out = self.openstack('server', 'refcode', 'show', 'ibmi-stuck-1',
                             '-f', 'shell', '-c', 'refcode').out
        self.assertEqual('refcode="B2008105"\n', out)

    def test_name_is_matched_exactly(self):
        self.sim.state.add_server('web.1', refcode=True)
        self.sim.state.add_server('web.11', refcode=True)
        rc = self.openstack('server', 'refcode', 'show', 'web.1',
                            '-f', 'json').json()
        self.assertEqual(self.sim.server_id('web.1'), rc['id'])
        result = self.openstack('server', 'refcode', 'show', 'web.1+',
                                status=1, stderr=True)
        self.assertEqual("No server with a name or ID of 'web.1+' exists.\n",
                         result.err)

    def test_ambiguous_name_lists_ids(self):
        one = self.sim.state.add_server('dup').id
        two = self.sim.state.add_server('dup').id
        result = self.openstack('server', 'refcode', 'show', 'dup',
                                status=1, stderr=True)
        self.assertIn(one, result.err)
        self.assertIn(two, result.err)
        self.assertEqual(1, len(result.err.splitlines()))

    def test_unknown_id(self):
        missing = '12345678-1234-4234-8234-123456789012'
        result = self.openstack('server', 'refcode', 'show', missing,
                                status=1, stderr=True)
        self.assertIn(missing, result.err)

    def test_other_project_is_not_found_for_a_member(self):
        # As Nova: another project's server does not exist for a member.
        other = self.sim.server_id('other-proj-vm')
        result = self.openstack('server', 'refcode', 'show', other,
                                cloud=base.OPERATOR, status=1, stderr=True)
        self.assertEqual("No server with a name or ID of '%s' exists.\n"
                         % other, result.err)
        rc = self.openstack('server', 'refcode', 'show', other,
                            '-f', 'json').json()
        self.assertEqual('other-proj-vm', rc['name'])


class TestSet(base.FunctionalTestCase):

    def test_enable_keeps_every_other_key(self):
        server_id = self.sim.server_id('ibmi-dev-1')
        before = self.sim.state.raw_metadata(server_id)
        self.assertIn('owner', before)
        self.assertIn('app', before)
        self.sim.requests.clear()
        result = self.openstack('server', 'refcode', 'set', '--enable',
                                'ibmi-dev-1')
        self.assertEqual('', result.out)
        after = self.sim.state.raw_metadata(server_id)
        self.assertEqual('true', after['powervc:vm_refcode_required'])
        for key, value in before.items():
            if key != 'powervc:vm_refcode_required':
                self.assertEqual(value, after[key], key)
        self.assertEqual(['GET', 'POST'],
                         [m for m, _ in self.compute_requests()])
        self.assertNotIn('PUT', [r.method for r in self.sim.requests])
        self.assertNotIn('DELETE', [r.method for r in self.sim.requests])

    def test_disable_by_id(self):
        server_id = self.sim.server_id('ibmi-prod-1')
        self.sim.requests.clear()
        self.openstack('server', 'refcode', 'set', '--disable', server_id)
        self.assertEqual('false', self.sim.state.raw_metadata(server_id)[
            'powervc:vm_refcode_required'])
        self.assertEqual([('POST', 'metadata')],
                         [(m, p.rsplit('/', 1)[1])
                          for m, p in self.compute_requests()])

    def test_linux_is_rejected_with_explanation(self):
        server_id = self.sim.server_id('linux-web-1')
        before = self.sim.state.raw_metadata(server_id)
        result = self.openstack('server', 'refcode', 'set', '--enable',
                                'linux-web-1', status=1, stderr=True)
        self.assertIn('HTTP 400', result.err)
        self.assertIn('IBM i and AIX', result.err)
        self.assertIn('PowerVC said:', result.err)
        self.assertEqual(1, len(result.err.splitlines()))
        self.assertEqual(before, self.sim.state.raw_metadata(server_id))

    def test_ibmi_on_hmc_host_is_rejected(self):
        result = self.openstack('server', 'refcode', 'set', '--enable',
                                'ibmi-hmc-1', status=1, stderr=True)
        self.assertIn('NovaLink', result.err)

    def test_usage_errors_exit_2(self):
        result = self.openstack('server', 'refcode', 'set', 'ibmi-dev-1',
                                status=2, stderr=True)
        self.assertIn('one of the arguments --enable --disable is required',
                      result.err)
        self.assertEqual([], self.compute_requests())

    def test_bulk_set_attempts_every_server(self):
        result = self.openstack(
            'server', 'refcode', 'set', '--enable', 'ibmi-dev-1',
            'linux-web-1', 'aix-dev-1', 'no-such-vm', status=1, stderr=True)
        errors = result.err.splitlines()
        self.assertEqual(2, len(errors), result)
        self.assertIn('linux-web-1', errors[0])
        self.assertIn("'no-such-vm'", errors[1])
        for name in ('ibmi-dev-1', 'aix-dev-1'):
            self.assertEqual('true', self.sim.state.raw_metadata(
                self.sim.server_id(name))['powervc:vm_refcode_required'])
