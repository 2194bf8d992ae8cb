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

"""The request log."""

from powervc_osc.tests.unit.simulator import base


class TestRequestLog(base.HTTPTestCase):

    def test_request_log(self):
        self.sim.requests.clear()
        self.get('/servers')
        records = list(self.sim.requests)
        self.assertEqual(('POST', '/powervc/openstack/identity/v3/auth/'
                          'tokens', 201), records[0])
        method, path, status = records[1]
        self.assertEqual(('GET', 200), (method, status))
        self.assertTrue(path.endswith('/servers'))
        self.assertLessEqual(records[1].started, records[1].finished)
