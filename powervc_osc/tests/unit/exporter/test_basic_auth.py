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

"""The basic-auth check: bcrypt always paid, successes remembered."""

import base64

import bcrypt
import fixtures
import testtools

from powervc_osc.exporter import basic_auth
from powervc_osc.tests import tls_fixtures as tf


class TestBasicAuth(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.auth = basic_auth.BasicAuth({
            tf.USER: tf.hash_password().encode(),
            'grafana': tf.hash_password('other').encode()})
        self.checks = []
        checkpw = bcrypt.checkpw

        def counted(password, hashed):
            self.checks.append(hashed)
            return checkpw(password, hashed)

        self.useFixture(fixtures.MonkeyPatch(
            'powervc_osc.exporter.basic_auth.bcrypt.checkpw', counted))

    def test_the_right_password_passes(self):
        self.assertTrue(self.auth.check(tf.basic()))
        self.assertTrue(self.auth.check(tf.basic('grafana', 'other')))

    def test_wrong_passwords_and_users_fail(self):
        self.assertFalse(self.auth.check(tf.basic(password='wrong')))
        self.assertFalse(self.auth.check(tf.basic('grafana', tf.PASSWORD)))
        self.assertFalse(self.auth.check(tf.basic('nobody', tf.PASSWORD)))
        self.assertFalse(self.auth.check(tf.basic(tf.USER.upper())))

    def test_an_unknown_user_pays_bcrypt_too(self):
        self.assertFalse(self.auth.check(tf.basic('nobody')))
        self.assertEqual(1, len(self.checks))
        self.assertNotIn(self.checks[0], self.auth.users.values())

    def test_malformed_headers_fail(self):
        for header in (None, '', 'Basic', 'Bearer abc', 'Basic !!!',
                       'Basic ' + base64.b64encode(b'no-colon').decode(),
                       'Digest ' + tf.basic()[6:]):
            self.assertFalse(self.auth.check(header), header)

    def test_the_scheme_is_case_insensitive(self):
        self.assertTrue(self.auth.check('basic ' + tf.basic()[6:]))

    def test_a_password_past_bcrypts_72_bytes_fails_and_pays(self):
        self.assertFalse(self.auth.check(tf.basic(password='x' * 100)))
        self.assertEqual(1, len(self.checks))

    def test_a_success_is_remembered_a_failure_never(self):
        self.assertFalse(self.auth.remembered(tf.basic()))
        self.auth.check(tf.basic())
        self.assertTrue(self.auth.remembered(tf.basic()))
        self.assertTrue(self.auth.check(tf.basic()))
        self.assertEqual(1, len(self.checks))
        for _ in range(3):
            self.assertFalse(self.auth.check(tf.basic(password='wrong')))
        self.assertEqual(4, len(self.checks))
        self.assertFalse(self.auth.remembered(tf.basic(password='wrong')))

    def test_a_remembered_password_is_not_a_prefix_match(self):
        self.auth.check(tf.basic())
        self.assertFalse(self.auth.remembered(
            tf.basic(password=tf.PASSWORD + 'x')))
        self.assertFalse(self.auth.remembered(tf.basic(
            tf.USER + ':' + tf.PASSWORD[:3], tf.PASSWORD[3:])))

    def test_the_memory_is_bounded_least_recent_first(self):
        self.useFixture(fixtures.MonkeyPatch(
            'powervc_osc.exporter.basic_auth.CACHE_SIZE', 2))
        auth = basic_auth.BasicAuth({
            name: tf.hash_password(name).encode() for name in 'abc'})
        auth.check(tf.basic('a', 'a'))
        auth.check(tf.basic('b', 'b'))
        auth.check(tf.basic('a', 'a'))       # a used again: b is older
        auth.check(tf.basic('c', 'c'))
        self.assertEqual([True, False, True], [
            auth.remembered(tf.basic(n, n)) for n in 'abc'])

    def test_the_memory_keeps_no_password(self):
        self.auth.check(tf.basic())
        for token in self.auth._passed:
            self.assertNotIn(tf.PASSWORD.encode(), token)
            self.assertEqual(32, len(token))
