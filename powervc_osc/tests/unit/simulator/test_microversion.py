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

"""Compute microversions."""

import testtools

from powervc_osc.simulator import microversion
from powervc_osc.simulator import records as sim_records
from powervc_osc.tests.unit.simulator import base


class TestMicroversionHTTP(base.HTTPTestCase):

    def test_microversions(self):
        response = self.get('/servers', headers={
            'X-OpenStack-Nova-API-Version': 'latest'})
        self.assertEqual('2.88',
                         response.headers['X-OpenStack-Nova-API-Version'])
        response = self.get('/servers', headers={
            'OpenStack-API-Version': 'compute 3.0'})
        self.assertEqual(406, response.status_code)


class TestParseMicroversion(testtools.TestCase):

    def test_default_and_latest(self):
        self.assertEqual((2, 1), microversion.parse_microversion({}))
        self.assertEqual((2, 88), microversion.parse_microversion(
            {'OpenStack-API-Version': 'compute latest'}))

    def test_headers(self):
        parse = microversion.parse_microversion
        self.assertEqual((2, 47), parse(
            {'OpenStack-API-Version': 'volume 3.0, compute 2.47'}))
        self.assertEqual((2, 50), parse(
            {'X-OpenStack-Nova-API-Version': '2.50'}))
        self.assertEqual((2, 60), parse(
            {'OpenStack-API-Version': 'compute 2.60',
             'X-OpenStack-Nova-API-Version': '2.50'}))

    def test_bad_versions(self):
        error = self.assertRaises(
            sim_records.SimulatorError, microversion.parse_microversion,
            {'OpenStack-API-Version': 'compute x.y'})
        self.assertEqual((400, 'badRequest'), (error.code, error.kind))
        error = self.assertRaises(
            sim_records.SimulatorError, microversion.parse_microversion,
            {'OpenStack-API-Version': 'compute 2.0'})
        self.assertEqual(406, error.code)
        self.assertEqual('Version 2.0 is not supported by the API. Minimum '
                         'is 2.1 and maximum is 2.88.', error.message)

    def test_response_headers(self):
        self.assertEqual(
            {'OpenStack-API-Version': 'compute 2.47',
             'X-OpenStack-Nova-API-Version': '2.47',
             'Vary': 'OpenStack-API-Version, X-OpenStack-Nova-API-Version'},
            microversion.response_headers((2, 47)))
