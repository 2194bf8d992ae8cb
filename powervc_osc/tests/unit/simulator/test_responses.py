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

"""The shared request and answer helpers."""

import testtools
from werkzeug import test as wz_test

from powervc_osc.simulator import responses


def request(data=b''):
    return responses.Request(wz_test.EnvironBuilder(
        base_url='http://127.0.0.1:8080/', method='POST',
        data=data).get_environ())


class TestResponses(testtools.TestCase):

    def test_json_body(self):
        self.assertEqual({'a': [1]}, responses.json_body(
            request(b'{"a": [1]}')))
        self.assertEqual({}, responses.json_body(request(), empty={}))
        self.assertIsNone(responses.json_body(request(), empty=None))
        self.assertRaises(ValueError, responses.json_body, request())
        self.assertRaises(ValueError, responses.json_body, request(b'{'),
                          empty=None)

    def test_roots(self):
        self.assertEqual('http://127.0.0.1:8080',
                         responses.host_root(request()))
        self.assertEqual(
            'http://127.0.0.1:8080/powervc/openstack/identity/v3',
            responses.identity_url(request()))
        self.assertEqual('http://127.0.0.1:8080/powervc/openstack/compute',
                         responses.compute_root(request()))

    def test_nova_error_names(self):
        response = responses.nova_error(404, 'gone')
        self.assertEqual((404, b'{"itemNotFound": {"code": 404, '
                               b'"message": "gone"}}'),
                         (response.status_code, response.get_data()))
        response = responses.nova_error(418, 'teapot')
        self.assertIn(b'computeFault', response.get_data())
