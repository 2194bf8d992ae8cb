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

"""Reading Nova's answers: server IDs and records, members, the next page."""

import testtools

from powervc_osc import exceptions
from powervc_osc import nova
from powervc_osc.tests.unit import fakes


class TestIsUUID(testtools.TestCase):

    def test_uuid_shapes(self):
        for value in (fakes.SERVER_ID, fakes.SERVER_ID.upper(),
                      fakes.SERVER_ID.replace('-', '')):
            self.assertTrue(nova.is_uuid(value), value)

    def test_names_are_not_uuids(self):
        for value in ('', 'web-1', fakes.SERVER_ID[:-1],
                      fakes.SERVER_ID + '0', fakes.SERVER_ID + '\n',
                      ' ' + fakes.SERVER_ID,
                      fakes.SERVER_ID.replace('0', 'g')):
            self.assertFalse(nova.is_uuid(value), repr(value))


class TestValidID(testtools.TestCase):

    def test_ids_are_returned_unchanged(self):
        for value in (fakes.SERVER_ID, 'web-1', 'a%20b', 'x' * 255,
                      'caf\u00e9', '...'):
            self.assertEqual(value, nova.valid_id(value))

    def test_not_a_short_printable_string(self):
        for value in (None, 42, b'abc', '', 'x' * 256, 'a\nb', 'a\x1bb'):
            self.assertIsNone(nova.valid_id(value), repr(value))

    def test_path_segments_are_refused(self):
        for value in ('.', '..', '/', 'a/b', '../x', 'a\\b'):
            self.assertIsNone(nova.valid_id(value), value)

    def test_percent_encoded_path_segments_are_refused(self):
        # A proxy may decode the path once or more before Nova sees it.
        for value in ('%2F', 'a%2fb', '%252F', '%25252F', '%5C', '%255c',
                      '%2e', '%2E%2e', '%252e%252e', '%25252e'):
            self.assertIsNone(nova.valid_id(value), value)


class TestMember(testtools.TestCase):

    def test_member_of_the_expected_type(self):
        body = {'servers': [{'id': 'a'}], 'server': {'id': 'a'}}
        self.assertEqual([{'id': 'a'}], nova.member(body, 'servers', list))
        self.assertEqual({'id': 'a'}, nova.member(body, 'server', dict))

    def test_missing_or_wrong_type_is_a_bad_response(self):
        for body in ({}, {'servers': None}, {'servers': {}},
                     {'servers': 'x'}, [], None, 'servers'):
            exc = self.assertRaises(exceptions.BadResponse, nova.member,
                                    body, 'servers', list)
            self.assertIn("'servers'", str(exc))


class TestNextMarker(testtools.TestCase):

    def _body(self, *links):
        return {'servers': [], 'servers_links': list(links)}

    def test_marker_of_the_next_link(self):
        body = self._body(
            {'rel': 'self', 'href': 'https://p/servers?marker=old'},
            {'rel': 'next',
             'href': 'https://p/v2.1/servers/detail?limit=2&marker=m%2D1'})
        self.assertEqual('m-1', nova.next_marker(body))

    def test_the_last_marker_wins(self):
        body = self._body({'rel': 'next',
                           'href': '/servers/detail?marker=a&marker=b'})
        self.assertEqual('b', nova.next_marker(body))

    def test_no_next_page(self):
        for body in ({'servers': []},
                     {'servers_links': None},
                     {'servers_links': 'next'},
                     self._body(),
                     self._body('next'),
                     self._body({'rel': 'prev', 'href': '/s?marker=a'}),
                     self._body({'rel': 'next', 'href': '/s?limit=2'}),
                     self._body({'rel': 'next'}),
                     self._body({'rel': 'next', 'href': '/s?marker='})):
            self.assertIsNone(nova.next_marker(body), body)


class TestServer(testtools.TestCase):

    def test_from_body(self):
        server = nova.Server.from_body({
            'id': fakes.SERVER_ID, 'name': 'web\x1b1',
            'OS-EXT-SRV-ATTR:host': 'host-a', 'status': 'ACTIVE',
            'metadata': {'k': 'v'}, 'tenant_id': 'p1'})
        self.assertEqual(
            nova.Server(id=fakes.SERVER_ID, name='web\ufffd1',
                        host='host-a', status='ACTIVE',
                        metadata={'k': 'v'}, project_id='p1',
                        host_shown=True),
            server)

    def test_host_hidden_from_non_admins(self):
        server = nova.Server.from_body({'id': fakes.SERVER_ID,
                                        'metadata': ['not', 'a', 'dict']})
        self.assertIsNone(server.name)
        self.assertIsNone(server.host)
        self.assertIsNone(server.metadata)
        self.assertFalse(server.host_shown)

    def test_host_shown_even_when_null(self):
        server = nova.Server.from_body({'id': fakes.SERVER_ID,
                                        'OS-EXT-SRV-ATTR:host': None})
        self.assertIsNone(server.host)
        self.assertTrue(server.host_shown)

    def test_entry_without_a_valid_id(self):
        for body in ({}, {'id': None}, {'id': ''}, {'id': '../x'},
                     {'id': '%2F'}, {'id': 7}):
            exc = self.assertRaises(exceptions.BadResponse,
                                    nova.Server.from_body, body)
            self.assertIn('without a valid ID', str(exc))

    def test_path_quotes_the_id(self):
        self.assertEqual('/servers/a%20b%3F/metadata',
                         nova.path('a b?', '/metadata'))
