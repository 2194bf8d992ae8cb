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

"""The WSGI application: routes and the request pipeline."""

import requests

from powervc_osc.simulator import app as sim_app
from powervc_osc.tests.unit.simulator import base

TIMEOUT = base.TIMEOUT


class TestPipeline(base.HTTPTestCase):

    def test_latency(self):
        self.sim.simulator.latency_ms = 30
        self.get('/servers')
        self.assertEqual([0.03, 0.03], self.sleep.calls)


class TestRoutes(base.HTTPTestCase):

    def test_every_route_has_a_handler(self):
        apis = self.sim.simulator.app.apis
        for route in sim_app.ROUTES:
            self.assertTrue(callable(getattr(apis[route.api], route.handler)),
                            route)

    def test_unknown_paths_and_methods(self):
        response = requests.get(self.sim.auth_url + '/nope', timeout=TIMEOUT)
        self.assertEqual((404, {'error': {
            'code': 404, 'title': 'Not Found',
            'message': 'The resource could not be found.'}}),
            (response.status_code, response.json()))
        response = self.get('/nope')
        self.assertEqual((404, {'itemNotFound': {
            'code': 404, 'message': 'The resource could not be found.'}}),
            (response.status_code, response.json()))
        response = self.call('POST', '/servers')
        self.assertEqual(405, response.status_code)
        self.assertEqual({'GET', 'HEAD'},
                         set(response.headers['Allow'].split(', ')))
        self.assertEqual(405, response.json()['badMethod']['code'])

    def test_request_id(self):
        response = requests.get(self.sim.url + '/', timeout=TIMEOUT)
        self.assertEqual(self.sim.url + '/_sim', response.json()['control'])
        self.assertRegex(response.headers['X-OpenStack-Request-Id'],
                         '^req-[0-9a-f-]{36}$')
