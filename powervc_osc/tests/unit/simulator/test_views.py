# Copyright 2026 The powervc_osc Authors
#
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

"""The server and flavor views."""

from powervc_osc.simulator import records as sim_records
from powervc_osc.tests.unit.simulator import base

REQUIRED = sim_records.REQUIRED


class TestServerViews(base.HTTPTestCase):

    def test_show(self):
        response = self.get('/servers/' + self.sid('ibmi-prod-1'),
                            headers={'OpenStack-API-Version':
                                     'compute 2.88'})
        self.assertEqual(200, response.status_code)
        self.assertEqual('compute 2.88',
                         response.headers['OpenStack-API-Version'])
        server = response.json()['server']
        self.assertEqual('ibmi-prod-1', server['name'])
        self.assertEqual('9109RMD_1031CAT', server['OS-EXT-SRV-ATTR:host'])
        self.assertEqual('ibmi-medium', server['flavor']['original_name'])
        self.assertEqual('', server['image'])
        self.assertEqual('true', server['metadata'][REQUIRED])

    def test_old_microversion_flavor(self):
        server = self.get('/servers/' + self.sid('ibmi-prod-1')).json()[
            'server']
        self.assertIn('id', server['flavor'])
        response = self.get('/flavors/' + server['flavor']['id'])
        self.assertEqual('ibmi-medium', response.json()['flavor']['name'])

    def test_host_attributes_admin_only(self):
        server = self.get('/servers/' + self.sid('ibmi-prod-1'),
                          user='operator').json()['server']
        self.assertNotIn('OS-EXT-SRV-ATTR:host', server)
