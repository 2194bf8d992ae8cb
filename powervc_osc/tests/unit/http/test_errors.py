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

"""Failures and error bodies as one line naming the server and the request."""

import requests
import urllib3

from powervc_osc import exceptions
from powervc_osc import model
from powervc_osc.tests.unit import fakes
from powervc_osc.tests.unit.http import base

METADATA_URL = base.METADATA_URL
RetryTestCase = base.RetryTestCase


class TestFailuresNameTheServer(RetryTestCase):
    """Failures without an answer name the server and what happened."""

    def test_reset_during_set_names_the_server(self):
        other = fakes.uuid(1)
        reset = requests.exceptions.ConnectionError(
            urllib3.exceptions.ProtocolError(
                'Connection aborted.',
                ConnectionResetError(104, 'Connection reset by peer')))
        self.requests.post(METADATA_URL, exc=reset)
        self.requests.post(fakes.COMPUTE_URL + '/servers/%s/metadata'
                           % other, json={'metadata': {}})
        failures = []
        self.client.set_required_many([fakes.SERVER_ID, other], True,
                                      on_error=failures.append)
        message = str(failures[0].error)
        self.assertIn('for server %s (tried 4 times)' % fakes.SERVER_ID,
                      message)
        self.assertIn('broke during POST', message)
        self.assertIn('Connection reset by peer', message)
        self.assertNotIn('Could not connect', message)

    def test_read_timeout_names_the_server_and_is_no_connect_failure(self):
        self.requests.get(fakes.DETAIL_URL, json={'servers': [
            fakes.server_body(metadata={model.REQUIRED_KEY: 'true'})]})
        self.requests.get(METADATA_URL, exc=requests.exceptions.ReadTimeout(
            'Read timed out. (read timeout=7)'))
        failures = []
        list(self.client.list(on_error=failures.append))
        message = str(failures[0].error)
        self.assertIn('did not answer GET', message)
        self.assertIn('for server %s within 7 seconds' % fakes.SERVER_ID,
                      message)
        self.assertNotIn('connect', message.lower().split(';')[0])

    def test_connection_refused_is_a_connect_failure(self):
        refused = requests.exceptions.ConnectionError(
            urllib3.exceptions.NewConnectionError(
                None, 'Failed to establish a new connection: [Errno 111] '
                'Connection refused'))
        self.requests.post(METADATA_URL, exc=refused)
        exc = self.assertRaises(exceptions.CommunicationError,
                                self.client.set_required, fakes.SERVER_ID,
                                True)
        self.assertIn('Could not connect to PowerVC for server %s (tried 4 '
                      'times)' % fakes.SERVER_ID, str(exc))


class TestErrorBodies(RetryTestCase):
    """What PowerVC said, as the one line of the error."""

    def test_nova_500_message_on_several_lines_is_one_line(self):
        # Nova's 500 body: its message ends with the exception class on a
        # line of its own.
        self.requests.post(METADATA_URL, status_code=500, json={
            'computeFault': {'code': 500, 'message': (
                'Unexpected API Error. Please report this at '
                'http://bugs.launchpad.net/nova/ and attach the Nova API '
                'log if possible.\n<class \'nova.exception.DBError\'>\n')}})
        exc = self.assertRaises(exceptions.ServerError,
                                self.client.set_required, fakes.SERVER_ID,
                                True)
        message = str(exc)
        self.assertIn("log if possible. <class 'nova.exception.DBError'>",
                      message)
        self.assertNotIn('\ufffd', message)
        self.assertNotIn('\n', message)

    def test_control_characters_are_still_replaced(self):
        self.requests.post(METADATA_URL, status_code=400, json={
            'badRequest': {'code': 400, 'message': 'bad\x1b[2Jvalue'}})
        exc = self.assertRaises(exceptions.RefcodeError,
                                self.client.set_required, fakes.SERVER_ID,
                                True)
        self.assertIn('bad\ufffd[2Jvalue', str(exc))
