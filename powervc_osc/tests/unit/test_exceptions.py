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
"""The errors' messages: one clear line, naming the server and the cause."""

import testtools

from powervc_osc import exceptions

SERVER = '0f6d3c2e-9b1a-4c8e-a2f7-5d4e3c2b1a09'


class TestFromStatus(testtools.TestCase):

    def test_each_status_gets_its_error(self):
        for status, error in ((400, exceptions.BadRequest),
                              (401, exceptions.Unauthorized),
                              (403, exceptions.Forbidden),
                              (404, exceptions.NotFound),
                              (409, exceptions.HttpError),
                              (500, exceptions.ServerError),
                              (503, exceptions.ServerError)):
            exc = exceptions.from_status(status)
            self.assertIs(error, type(exc), status)
            self.assertEqual(status, exc.status_code)

    def test_names_the_server_or_the_target(self):
        exc = exceptions.from_status(404, server=SERVER)
        self.assertEqual('Server %s was not found (HTTP 404)' % SERVER,
                         str(exc))
        self.assertEqual(SERVER, exc.server)
        exc = exceptions.from_status(503, target='the server listing')
        self.assertEqual('PowerVC failed while handling the server listing '
                         '(HTTP 503)', str(exc))

    def test_retries_details_and_request_id_end_the_line(self):
        exc = exceptions.from_status(
            503, server=SERVER, retries=2, details='try later',
            request_id='req-1')
        self.assertEqual(
            'PowerVC failed while handling server %s (HTTP 503) after 2 '
            'retries. PowerVC said: try later (request ID req-1)' % SERVER,
            str(exc))
        self.assertEqual(('try later', 'req-1'),
                         (exc.details, exc.request_id))
        self.assertIn('after 1 retry.', str(exceptions.from_status(
            500, retries=1, details='x')))

    def test_a_400_on_a_refcode_call_says_where_refcode_works(self):
        exc = exceptions.from_status(400, server=SERVER, refcode_call=True)
        self.assertIn(exceptions.UNSUPPORTED_HINT, str(exc))
        exc = exceptions.from_status(400, server=SERVER, refcode_call=True,
                                     details='Not supported.')
        self.assertTrue(str(exc).endswith(
            'PowerVC said: Not supported. (%s)'
            % exceptions.UNSUPPORTED_SHORT_HINT), str(exc))
        exc = exceptions.from_status(400, server=SERVER)
        self.assertNotIn('ref_code', str(exc))

    def test_every_message_is_one_line(self):
        for status in (400, 401, 403, 404, 409, 500):
            exc = exceptions.from_status(status, server=SERVER,
                                         refcode_call=True, details='why')
            self.assertNotIn('\n', str(exc))


class TestMessages(testtools.TestCase):

    def test_seconds_text(self):
        self.assertEqual('1 second', exceptions.seconds_text(1))
        self.assertEqual('2.5 seconds', exceptions.seconds_text('2.5'))
        self.assertEqual('the time allowed', exceptions.seconds_text(None))

    def test_request_id_only_when_there_is_one(self):
        self.assertEqual('m', exceptions.with_request_id('m', None))
        self.assertEqual('m (request ID r)',
                         exceptions.with_request_id('m', 'r'))
        exc = exceptions.BadResponse('Not JSON', request_id='r')
        self.assertEqual(('Not JSON (request ID r)', 'r'),
                         (str(exc), exc.request_id))

    def test_lookup_errors_name_what_was_typed(self):
        exc = exceptions.ServerNotFound('web-1')
        self.assertEqual("No server with a name or ID of 'web-1' exists.",
                         str(exc))
        exc = exceptions.AmbiguousServer('web-1', ['a', 'b'])
        self.assertEqual("More than one server is named 'web-1': a, b. Use "
                         "an ID instead.", str(exc))
        self.assertEqual(['a', 'b'], exc.ids)

    def test_collection_off_says_how_to_turn_it_on(self):
        exc = exceptions.CollectionOff(SERVER)
        self.assertIn('openstack server refcode set --enable %s' % SERVER,
                      str(exc))

    def test_admin_required_names_the_option(self):
        exc = exceptions.AdminRequired('all_projects', 'PowerVC hides them')
        self.assertEqual('Filtering by all projects needs the admin role: '
                         'PowerVC hides them.', str(exc))
        self.assertEqual('all_projects', exc.option)

    def test_partial_failure_counts_and_lists(self):
        failures = [exceptions.Failure('a', exceptions.ServerNotFound('a')),
                    exceptions.Failure('b', ValueError('boom'))]
        exc = exceptions.PartialFailure(failures)
        self.assertTrue(str(exc).startswith('2 server(s) failed: '))
        self.assertIn('; boom', str(exc))
        self.assertEqual(failures, exc.failures)

    def test_every_error_is_a_refcode_error(self):
        for error in (exceptions.ServerNotFound, exceptions.WaitTimeout,
                      exceptions.Interrupted, exceptions.LoginFailed,
                      exceptions.CommunicationError,
                      exceptions.ConfigurationError):
            self.assertTrue(issubclass(error, exceptions.RefcodeError))
