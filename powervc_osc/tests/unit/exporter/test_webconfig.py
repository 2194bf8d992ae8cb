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

"""--web-config-file: exporter-toolkit's format, every fault one line."""

import os
import ssl

import testtools

from powervc_osc.exporter import webconfig
from powervc_osc.tests import tls_fixtures as tf


class WebConfigCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.certs = self.useFixture(tf.Certificates())

    def fault(self, document, *expected, name='web.yml'):
        """Load ``document``: one line naming the file and ``expected``."""
        path = self.certs.write_config(document, name)
        exc = self.assertRaises(webconfig.WebConfigError, webconfig.load,
                                path)
        message = str(exc)
        self.assertNotIn('\n', message)
        self.assertTrue(message.startswith(path + ': '), message)
        for text in expected:
            self.assertIn(text, message)
        return message


class TestGoodFiles(WebConfigCase):

    def test_tls_and_users(self):
        web = webconfig.load(self.certs.write_config({
            'tls_server_config': self.certs.tls_section(),
            'basic_auth_users': {tf.USER: tf.hash_password()}}))
        self.assertIsInstance(web.tls, ssl.SSLContext)
        self.assertEqual(ssl.TLSVersion.TLSv1_2, web.tls.minimum_version)
        self.assertEqual(ssl.CERT_NONE, web.tls.verify_mode)
        self.assertEqual([tf.USER.encode()], list(web.auth.users))
        self.assertEqual('TLS and basic auth (1 user(s))', web.describe())

    def test_users_only_is_plain_http_with_auth(self):
        web = webconfig.load(self.certs.write_config({
            'basic_auth_users': {tf.USER: tf.hash_password()}}))
        self.assertIsNone(web.tls)
        self.assertTrue(web.auth.check(tf.basic()))

    def test_htpasswd_2y_hashes_are_taken(self):
        hashed = tf.hash_password().replace('$2b$', '$2y$')
        web = webconfig.load(self.certs.write_config({
            'basic_auth_users': {tf.USER: hashed}}))
        self.assertTrue(web.auth.check(tf.basic()))

    def test_an_empty_file_asks_for_nothing(self):
        web = webconfig.load(self.certs.write_config(''))
        self.assertEqual((None, None), (web.tls, web.auth))
        self.assertEqual('neither TLS nor basic auth', web.describe())

    def test_an_empty_tls_section_is_plain_http_as_in_exporter_toolkit(self):
        for empty in ('tls_server_config:\n', 'tls_server_config: {}\n'):
            web = webconfig.load(self.certs.write_config(empty))
            self.assertIsNone(web.tls)

    def test_relative_paths_are_read_from_the_files_folder(self):
        web = webconfig.load(self.certs.write_config({
            'tls_server_config': {
                'cert_file': os.path.basename(self.certs.cert_file),
                'key_file': os.path.basename(self.certs.key_file),
                'client_ca_file': os.path.basename(self.certs.ca_file),
                'client_auth_type': 'RequireAndVerifyClientCert',
                'min_version': 'TLS13'}}))
        self.assertEqual(ssl.CERT_REQUIRED, web.tls.verify_mode)
        self.assertEqual(ssl.TLSVersion.TLSv1_3, web.tls.minimum_version)
        self.assertIn('client certificates', web.describe())

    def test_verify_if_given(self):
        web = webconfig.load(self.certs.write_config({
            'tls_server_config': self.certs.tls_section(
                client_ca_file=self.certs.ca_file,
                client_auth_type='VerifyClientCertIfGiven')}))
        self.assertEqual(ssl.CERT_OPTIONAL, web.tls.verify_mode)


class TestFaults(WebConfigCase):

    def test_missing_file(self):
        path = os.path.join(self.certs.folder, 'absent.yml')
        exc = self.assertRaises(webconfig.WebConfigError, webconfig.load,
                                path)
        self.assertEqual('%s: cannot read it: No such file or directory'
                         % path, str(exc))

    def test_bad_yaml(self):
        self.fault('basic_auth_users:\n  a: [\n', 'not valid YAML (line 3)')

    def test_not_a_mapping(self):
        self.fault('- a\n- b\n', 'the file must be a mapping')

    def test_unknown_top_key(self):
        self.fault({'basic_auth_user': {}}, "unknown key 'basic_auth_user'",
                   'known: tls_server_config, basic_auth_users')

    def test_unknown_tls_key(self):
        self.fault({'tls_server_config': self.certs.tls_section(
            certfile='x')}, "unknown key 'certfile' in tls_server_config")

    def test_keys_of_the_format_not_offered_are_refused_by_name(self):
        self.fault({'http_server_config': {'http2': False}},
                   'http_server_config is not supported')
        self.fault({'rate_limit': {'interval': '1s', 'burst': 1}},
                   'rate_limit is not supported')
        self.fault({'tls_server_config': self.certs.tls_section(
            client_allowed_sans=['a'])},
            'client_allowed_sans is not supported')

    def test_a_hash_that_is_not_bcrypt(self):
        message = self.fault({'basic_auth_users': {tf.USER: 'hunter2'}},
                             "the hash of user 'prometheus' is not a "
                             "bcrypt hash")
        self.assertNotIn('hunter2', message)

    def test_a_bcrypt_hash_cut_short(self):
        self.fault({'basic_auth_users': {
            tf.USER: tf.hash_password()[:-1]}}, 'not a bcrypt hash')

    def test_a_user_name_with_a_colon(self):
        self.fault({'basic_auth_users': {'a:b': tf.hash_password()}},
                   "'a:b' is not a user name")

    def test_users_not_a_mapping(self):
        self.fault({'basic_auth_users': ['prometheus']},
                   'basic_auth_users must be a mapping')

    def test_tls_without_key_file(self):
        self.fault({'tls_server_config': {'cert_file': self.certs.cert_file}},
                   'tls_server_config needs cert_file and key_file')

    def test_missing_cert_file(self):
        absent = os.path.join(self.certs.folder, 'absent.pem')
        self.fault({'tls_server_config': self.certs.tls_section(
            cert_file=absent)}, 'cannot read %s' % absent)

    def test_a_key_that_does_not_match_its_certificate(self):
        self.fault({'tls_server_config': self.certs.tls_section(
            key_file=self.certs.other_key)},
            'key_file %s does not match cert_file %s' % (
                self.certs.other_key, self.certs.cert_file))

    def test_a_certificate_that_is_not_pem(self):
        self.fault({'tls_server_config': self.certs.tls_section(
            cert_file=self.certs.write_config('junk', 'junk.pem'))},
            'is not a PEM certificate and its key')

    def test_an_unreadable_ca_file(self):
        absent = os.path.join(self.certs.folder, 'absent-ca.pem')
        self.fault({'tls_server_config': self.certs.tls_section(
            client_ca_file=absent,
            client_auth_type='RequireAndVerifyClientCert')},
            'cannot read client_ca_file %s' % absent)

    def test_a_ca_file_without_a_certificate(self):
        self.fault({'tls_server_config': self.certs.tls_section(
            client_ca_file=self.certs.write_config('junk\n', 'ca-junk.pem'),
            client_auth_type='RequireAndVerifyClientCert')},
            'holds no PEM CA certificate')

    def test_bad_client_auth_type(self):
        self.fault({'tls_server_config': self.certs.tls_section(
            client_auth_type='Always')},
            "client_auth_type 'Always' is not one of NoClientCert, ")

    def test_client_auth_types_that_do_not_verify_are_refused(self):
        for kind in ('RequestClientCert', 'RequireAnyClientCert'):
            self.fault({'tls_server_config': self.certs.tls_section(
                client_auth_type=kind, client_ca_file=self.certs.ca_file)},
                'client_auth_type %s is not supported' % kind)

    def test_verification_needs_a_ca(self):
        self.fault({'tls_server_config': self.certs.tls_section(
            client_auth_type='RequireAndVerifyClientCert')},
            'client_auth_type RequireAndVerifyClientCert needs '
            'client_ca_file')

    def test_a_ca_without_client_auth(self):
        self.fault({'tls_server_config': self.certs.tls_section(
            client_ca_file=self.certs.ca_file)},
            'client_ca_file is set but client_auth_type is NoClientCert')

    def test_bad_min_version(self):
        self.fault({'tls_server_config': self.certs.tls_section(
            min_version='TLS1.2')},
            "min_version 'TLS1.2' is not one of TLS10, TLS11, TLS12, TLS13")

    def test_min_version_above_max_version(self):
        self.fault({'tls_server_config': self.certs.tls_section(
            min_version='TLS13', max_version='TLS12')},
            'min_version is above max_version')
