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

"""Odd answers through the client, hand-picked and generated.

The client runs over a real keystoneauth Session; requests-mock answers.
Property tests feed generated answers through the client: each must give
a Refcode or a RefcodeError, nothing else.
"""

import io
import json

from hypothesis import given
from hypothesis import HealthCheck
from hypothesis import settings
from hypothesis import strategies as st
import requests
import testtools

from powervc_osc import client as client_mod
from powervc_osc import exceptions
from powervc_osc import model
from powervc_osc.tests.unit import fakes
from powervc_osc import text as text_mod

SERVER_URL = fakes.SERVER_URL
METADATA_URL = fakes.METADATA_URL
DETAIL_URL = fakes.DETAIL_URL
OK_SERVER = {'json': {'server': fakes.server_body()}}
OK_METADATA = {'json': {'metadata': fakes.METADATA}}


token_session = fakes.token_session


class TestOddAnswers(fakes.TokenTestCase):

    def show(self, metadata=None, server=None):
        self.requests.get(SERVER_URL, **(server or OK_SERVER))
        self.requests.get(METADATA_URL, **(metadata or OK_METADATA))
        return self.client.show(fakes.SERVER_ID)

    def test_not_json(self):
        for body in (b'', b'OK', b'<html>login</html>', b'{"metadata":',
                     b'\xff\xfe\x00garbage'):
            exc = self.assertRaises(exceptions.BadResponse, self.show,
                                    {'content': body})
            self.assertIn('not JSON', str(exc))

    def test_nesting_too_deep_for_python(self):
        exc = self.assertRaises(exceptions.BadResponse, self.show,
                                {'text': '[' * 100000 + ']' * 100000})
        self.assertIn('not JSON', str(exc))
        exc = self.assertRaises(exceptions.ServerError, self.show,
                                {'status_code': 500,
                                 'text': '{"a":' * 100000})
        self.assertIn('HTTP 500', str(exc))

    def test_wrong_shapes(self):
        for body in ([], 'x', 5, None, {'metadata': None},
                     {'metadata': 'x'}, {'meta': {}}):
            self.assertRaises(exceptions.BadResponse, self.show,
                              {'json': body})

    def test_wrong_types_shown_best_effort(self):
        rc = self.show({'json': {'metadata': {
            model.REFCODE_KEY: ['C600', 1],
            model.LED_CODE_KEY: 12,
            model.QUERY_TS_KEY: '99999999999999999999',
            model.REQUIRED_KEY: None}}},
            {'json': {'server': {'name': {'x': 1}, 'status': 7}}})
        self.assertEqual("['C600', 1]", rc.refcode)
        self.assertEqual('12', rc.led_code)
        self.assertIsNone(rc.queried_at)
        self.assertEqual('99999999999999999999', rc.queried_at_text)
        self.assertIs(False, rc.required)
        # No ID in the answer: the ID that was asked for is kept.
        self.assertEqual(fakes.SERVER_ID, rc.server_id)
        self.assertEqual("{'x': 1}", rc.server_name)

    def test_non_utf8_and_control_characters(self):
        body = (b'{"metadata": {"powervc:vm_refcode": "C6\xff\xfe",'
                b' "powervc:vm_led_code": "\\u001b[2J\\udcff__"}}')
        rc = self.show({'content': body,
                        'headers': {'Content-Type': 'application/json'}})
        for text in (rc.refcode, rc.led_code):
            self.assertTrue(text.isprintable(), repr(text))
        self.assertTrue(rc.refcode.startswith('C6'))
        self.assertNotIn('\x1b', rc.led_code)

    def test_huge_values_are_cut(self):
        rc = self.show({'json': {'metadata': {
            model.REFCODE_KEY: 'C' * 2000000,
            model.LED_CODE_KEY: [[[['x' * 1000] * 100] * 10]]}}})
        self.assertEqual(text_mod.MAX_TEXT + 1, len(rc.refcode))
        self.assertEqual(text_mod.MAX_TEXT + 1, len(rc.led_code))
        # More digits than Python turns into text: not JSON to Python...
        exc = self.assertRaises(exceptions.BadResponse, self.show, {
            'text': '{"metadata": {"powervc:vm_refcode": %s}}' % ('9' * 5000)})
        self.assertIn('not JSON', str(exc))
        # ... and shown as its type through the Python API.
        self.assertEqual('<int>', text_mod.decode_text(10 ** 5000))

    def test_listing_garbage_links(self):
        self.requests.get(DETAIL_URL, [{'json': {
            'servers': [fakes.server_body(metadata={})],
            'servers_links': links}} for links in (
                7, 'garbage', [1, None, {'rel': 'next'}],
                [{'rel': 'next', 'href': 5}],
                {'rel': 'next', 'href': '?marker=x'})])
        for _ in range(5):
            self.assertEqual([fakes.SERVER_ID],
                             [rc.server_id for rc in self.client.list()])

    def test_listing_that_loops_is_an_error(self):
        self.requests.get(DETAIL_URL, json={
            'servers': [fakes.server_body(metadata={})],
            'servers_links': [{'rel': 'next',
                               'href': DETAIL_URL + '?marker=same'}]})
        exc = self.assertRaises(exceptions.BadResponse, list,
                                self.client.list())
        self.assertIn('marker same', str(exc))
        self.assertEqual(2, len(self.requests.request_history))

    def test_listing_odd_entries_fail_alone(self):
        good = fakes.server_body(metadata={})
        self.requests.get(DETAIL_URL, json={'servers': [
            1, None, 'x', ['y'], {'id': 5}, {'name': 'no-id'},
            {'id': 'bad\x1bid'}, {'id': 'a' * 300}, good]})
        failures = []
        rows = list(self.client.list(on_error=failures.append))
        self.assertEqual([fakes.SERVER_ID], [rc.server_id for rc in rows])
        self.assertEqual(8, len(failures))
        for failure in failures:
            self.assertIsInstance(failure.error, exceptions.BadResponse)
            self.assertNotIn('\x1b', str(failure.error))

    def test_listed_ids_are_quoted_in_urls(self):
        self.requests.get(DETAIL_URL, json={'servers': [
            {'id': 'a b?c#d%e..', 'name': 'odd',
             'metadata': {model.REQUIRED_KEY: 'true'}}]})
        quoted = fakes.COMPUTE_URL + '/servers/a%20b%3Fc%23d%25e../metadata'
        self.requests.get(quoted, **OK_METADATA)
        rows = list(self.client.list())
        self.assertEqual('C6004031', rows[0].refcode)
        self.assertEqual(quoted, self.requests.last_request.url)


# -- property tests: any answer gives a Refcode or a RefcodeError ----------

_scalars = (st.none() | st.booleans() | st.integers() |
            st.floats(allow_nan=False) | st.text(max_size=40))
_json = st.recursive(
    _scalars,
    lambda inner: (st.lists(inner, max_size=4) |
                   st.dictionaries(st.text(max_size=10), inner, max_size=4)),
    max_leaves=12)
_meta_keys = st.sampled_from([model.REFCODE_KEY, model.LED_CODE_KEY,
                              model.QUERY_TS_KEY, model.REQUIRED_KEY,
                              'original_host', 'orginal_host', 'owner'])
_metadata = st.dictionaries(
    _meta_keys, _json | st.from_regex(r'\A\d{14,20}\Z'), max_size=5)
_server = st.fixed_dictionaries({}, optional={
    'id': st.sampled_from([fakes.SERVER_ID, '', 'x/y']) | _json,
    'name': st.sampled_from([fakes.SERVER_NAME]) | _json,
    'status': _json, 'OS-EXT-SRV-ATTR:host': _json,
    'metadata': _metadata | _json})
_links = _json | st.lists(st.fixed_dictionaries(
    {'rel': st.sampled_from(['next', 'self']) | _json,
     'href': st.sampled_from([DETAIL_URL + '?marker=m1',
                              DETAIL_URL + '?marker=m2']) | _json}),
    max_size=2)
# An answer: a status, then a body that is JSON shaped like Nova's, any
# JSON at all, or any bytes.
_status = st.sampled_from([200, 200, 200, 200, 400, 401, 403, 404, 409,
                           500, 502, 503])


def _answer(shaped):
    body = (shaped.map(lambda b: json.dumps(b).encode()) |
            _json.map(lambda b: json.dumps(b).encode()) |
            st.binary(max_size=64))
    return st.tuples(_status, body)


_metadata_answer = _answer(st.fixed_dictionaries(
    {'metadata': _metadata | _json}))
_server_answer = _answer(st.fixed_dictionaries({'server': _server | _json}))
_listing_answer = _answer(st.fixed_dictionaries(
    {'servers': st.lists(_server | _json, max_size=4)},
    optional={'servers_links': _links}))

# The name lookup that follows a 404 for an ID.
NO_SERVERS = (200, b'{"servers": []}')

PROPERTY = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


class _Canned(requests.adapters.BaseAdapter):
    """A transport answering from canned (status, body) lists, in order.

    Lighter than requests-mock for many examples.  ``routes`` maps
    ``(method, URL without query)`` or ``method`` alone (the fallback) to
    a list of answers; the last answer repeats.
    """

    def __init__(self, routes):
        super().__init__()
        self.routes = {key: list(answers) for key, answers in routes.items()}

    def send(self, request, **kwargs):
        url = request.url.split('?', 1)[0]
        answers = (self.routes.get((request.method, url))
                   or self.routes[request.method])
        status, body = answers.pop(0) if len(answers) > 1 else answers[0]
        response = requests.Response()
        response.status_code = status
        response.raw = io.BytesIO(body)
        response.url = request.url
        response.request = request
        response.reason = 'Reason'
        return response

    def close(self):
        pass


def _errors_for(*answers, by_name=False):
    """The error types the client may raise for these answers.

    Each non-200 status maps to its own error (a 404 for the server's ID
    may become ServerNotFound after the name lookup); a 200 whose body is
    not what Nova sends is a BadResponse.  Nothing else is acceptable.

    :param by_name: a listing is searched for a name, so no match and two
        matches are possible answers too.
    """
    expected = {exceptions.BadResponse}
    if by_name:
        expected |= {exceptions.ServerNotFound, exceptions.AmbiguousServer}
    for status, _body in answers:
        if status == 200:
            continue
        error = type(exceptions.from_status(status))
        expected.add(error)
        if error is exceptions.NotFound:
            expected.add(exceptions.ServerNotFound)
    return tuple(expected)


class TestAnswersProperties(testtools.TestCase):
    """Generated answers through the client: a Refcode, or their error.

    The error must be the one the answers call for, not any RefcodeError.
    """

    def setUp(self):
        super().setUp()
        self.useFixture(fakes.NoLeftoverWorkers())

    def run_client(self, routes, action, answers, by_name=False):
        session = token_session()
        session.session.mount('https://', _Canned(routes))
        client = client_mod.RefcodeClient(session, retries=0, max_workers=2)
        try:
            return action(client)
        except exceptions.RefcodeError as exc:
            self.assertIn(type(exc), _errors_for(*answers, by_name=by_name),
                          str(exc))
            self.assertTrue(str(exc).isprintable(), repr(str(exc)))
            return None

    def check(self, rc):
        self.assertIsInstance(rc, model.Refcode)
        self.assertIsInstance(rc.server_id, str)
        self.assertIsInstance(rc.required, bool)
        for text in (rc.server_name, rc.refcode, rc.led_code,
                     rc.queried_at_text, rc.host, rc.status):
            self.assertTrue(text is None or text.isprintable(), repr(text))

    @PROPERTY
    @given(_server_answer, _metadata_answer)
    def test_show_by_id(self, server, metadata):
        rc = self.run_client(
            {('GET', SERVER_URL): [server], ('GET', METADATA_URL): [metadata],
             ('GET', fakes.COMPUTE_URL + '/servers'): [NO_SERVERS]},
            lambda c: c.show(fakes.SERVER_ID), [server, metadata, NO_SERVERS])
        if rc is not None:
            self.check(rc)
            self.assertEqual(fakes.SERVER_ID, rc.server_id)

    @PROPERTY
    @given(_listing_answer, _metadata_answer)
    def test_show_by_name(self, listing, metadata):
        rc = self.run_client(
            {('GET', fakes.COMPUTE_URL + '/servers'): [listing],
             'GET': [metadata]},
            lambda c: c.show(fakes.SERVER_NAME), [listing, metadata],
            by_name=True)
        if rc is not None:
            self.check(rc)

    @PROPERTY
    @given(_metadata_answer)
    def test_set(self, answer):
        rc = self.run_client({'POST': [answer], 'GET': [NO_SERVERS]},
                             lambda c: c.set_required(fakes.SERVER_ID, True),
                             [answer])
        if rc is not None:
            self.check(rc)

    @PROPERTY
    @given(st.lists(_listing_answer, min_size=1, max_size=3),
           _metadata_answer)
    def test_list(self, pages, metadata):
        failures = []
        rows = self.run_client(
            {('GET', DETAIL_URL): pages, 'GET': [metadata]},
            lambda c: list(c.list(on_error=failures.append)),
            pages + [metadata])
        for rc in rows or ():
            self.check(rc)
        for failure in failures:
            self.assertIn(type(failure.error), _errors_for(metadata))
