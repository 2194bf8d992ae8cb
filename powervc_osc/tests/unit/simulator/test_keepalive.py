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

"""The simulator keeps connections open, as PowerVC's Apache does."""

import http.client
import json

import testtools

from powervc_osc.simulator import server as sim_server

COMPUTE = '/powervc/openstack/compute/'


class TestKeepAlive(testtools.TestCase):

    def setUp(self):
        super().setUp()
        sim = sim_server.Simulator(servers=3, host='127.0.0.1').start()
        self.addCleanup(sim.stop)
        self.connection = http.client.HTTPConnection('127.0.0.1', sim.port,
                                                     timeout=10)
        self.addCleanup(self.connection.close)

    def get(self, path=COMPUTE, **headers):
        self.connection.request('GET', path, headers=headers)
        answer = self.connection.getresponse()
        return answer, answer.read()

    def test_answers_share_one_connection(self):
        answers = [self.get() for _ in range(3)]
        for answer, body in answers:
            self.assertEqual(200, answer.status)
            self.assertIsNone(answer.getheader('Connection'))
            self.assertEqual(len(body),
                             int(answer.getheader('Content-Length')))
            self.assertIn('versions', json.loads(body))
        self.assertFalse(answers[-1][0].will_close)

    def test_connection_close_is_honoured(self):
        answer, _ = self.get(Connection='close')
        self.assertEqual('close', answer.getheader('Connection'))
        self.assertTrue(answer.will_close)

    def test_an_unread_request_body_does_not_spoil_the_next(self):
        self.connection.request('POST', COMPUTE, body=b'x' * 5000,
                                headers={'Content-Type': 'text/plain'})
        first = self.connection.getresponse()
        first.read()
        answer, body = self.get()
        self.assertEqual(200, answer.status)
        self.assertIn('versions', json.loads(body))

    def test_a_content_length_that_is_no_length_gets_an_answer(self):
        for length in ('abc', '-5'):
            connection = http.client.HTTPConnection(
                '127.0.0.1', self.connection.port, timeout=10)
            self.addCleanup(connection.close)
            connection.putrequest('POST', COMPUTE)
            connection.putheader('Content-Length', length)
            connection.endheaders()
            answer = connection.getresponse()
            answer.read()
            self.assertTrue(answer.will_close, length)
