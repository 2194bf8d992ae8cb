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

"""The real exporter behind ``--web-config-file``: TLS and basic auth.

A CA and certificates are made per test; the web configuration is the
shipped example (``deploy/web.yml``) with this test's hash.
"""

import http.client
import os
import shutil
import signal
import socket
import ssl
import subprocess

import yaml

from powervc_osc.tests.functional import base
from powervc_osc.tests.functional import exporter_fixtures as ef
from powervc_osc.tests import tls_fixtures as tf

#: Safety net of a socket operation (never reached when it works).
SAFETY = 30


def shipped_web_config(certs, **tls) -> dict:
    """deploy/web.yml, its files beside it, with this test's user."""
    with open(ef.WEB_CONFIG) as f:
        document = yaml.safe_load(f)
    section = document['tls_server_config']
    for name, source in ((section['cert_file'], certs.cert_file),
                         (section['key_file'], certs.key_file)):
        shutil.copy(source, os.path.join(certs.folder, name))
    section.update(tls)
    document['basic_auth_users'] = {tf.USER: tf.hash_password()}
    return document


class WebConfigCase(base.FunctionalTestCase):

    def setUp(self):
        super().setUp()
        self.certs = self.useFixture(tf.Certificates())

    def start(self, document, **kwargs):
        self.web_yml = self.certs.write_config(document)
        exporter = self.useFixture(ef.ExporterProcess(
            ['--os-cloud', base.ADMIN, '--interval', '1',
             '--web-config-file', self.web_yml], self.environment(),
            **kwargs))
        self.port = int(exporter.url.split(':')[2].split('/')[0])
        return exporter

    def get(self, path='/metrics', authorization=None, with_cert=False):
        conn = http.client.HTTPSConnection(
            '127.0.0.1', self.port, timeout=SAFETY,
            context=self.certs.client_context(with_cert))
        self.addCleanup(conn.close)
        conn.request('GET', path, headers={'Authorization': authorization}
                     if authorization else {})
        answer = conn.getresponse()
        return answer, answer.read()


class TestSecuredPort(WebConfigCase):

    def setUp(self):
        super().setUp()
        self.exporter = self.start(shipped_web_config(self.certs))

    def test_https_with_basic_auth(self):
        self.assertTrue(self.exporter.url.startswith('https://127.0.0.1:'))
        for path in ('/metrics', '/', '/nothing'):
            answer, body = self.get(path)
            self.assertEqual(401, answer.status)
            self.assertIn('Basic', answer.getheader('WWW-Authenticate'))
            answer, body = self.get(path, tf.basic(password='wrong'))
            self.assertEqual(401, answer.status)
            self.assertNotIn(b'powervc_', body)
        answer, body = ef.wait_for('a poll over TLS', lambda: (
            lambda a, b: (a, b) if b'powervc_refcode_info' in b else None)(
                *self.get(authorization=tf.basic())))
        self.assertEqual(200, answer.status)
        self.assertIn(b'powervc_up{cloud="%s"} 1.0' % base.ADMIN.encode(),
                      body)
        self.assertIn('Web configuration %s: TLS and basic auth (1 user(s))'
                      % self.web_yml, self.exporter.stderr)
        for secret in (tf.PASSWORD, 'wrong', tf.basic()[6:]):
            self.assertNotIn(secret, self.exporter.stderr)

    def test_plain_http_to_the_tls_port_gets_no_answer(self):
        with socket.create_connection(('127.0.0.1', self.port),
                                      timeout=SAFETY) as sock:
            sock.sendall(b'GET /metrics HTTP/1.1\r\nHost: x\r\n'
                         b'Authorization: ' + tf.basic().encode()
                         + b'\r\n\r\n')
            received = b''
            chunk = sock.recv(4096)
            while chunk:            # until the exporter closes it
                received += chunk
                chunk = sock.recv(4096)
        self.assertNotIn(b'HTTP/1.', received)
        self.assertNotIn(b'powervc_', received)
        # Still serving TLS.
        self.assertEqual(200, self.get(authorization=tf.basic())[0].status)


class TestMutualTLS(WebConfigCase):

    def test_a_client_without_a_certificate_is_refused(self):
        self.start(shipped_web_config(
            self.certs, client_ca_file=os.path.basename(self.certs.ca_file),
            client_auth_type='RequireAndVerifyClientCert'))
        self.assertEqual(200, self.get(authorization=tf.basic(),
                                       with_cert=True)[0].status)
        self.assertRaises((ssl.SSLError, ConnectionError), self.get,
                          authorization=tf.basic())


class TestReload(WebConfigCase):

    def test_sighup_reads_a_good_file_and_keeps_the_old_for_a_bad_one(self):
        exporter = self.start(shipped_web_config(self.certs),
                              default_sighup=True)
        self.assertEqual(200, self.get(authorization=tf.basic())[0].status)
        new = shipped_web_config(self.certs)
        new['basic_auth_users'] = {'grafana': tf.hash_password('new one')}
        self.certs.write_config(new)
        exporter.process.send_signal(signal.SIGHUP)
        ef.wait_for('the reload', lambda: 'SIGHUP: read %s again'
                    % self.web_yml in exporter.stderr)
        self.assertEqual(401, self.get(authorization=tf.basic())[0].status)
        self.assertEqual(200, self.get(authorization=tf.basic(
            'grafana', 'new one'))[0].status)
        # A key that does not match its certificate: the file is refused.
        new['tls_server_config']['key_file'] = os.path.basename(
            self.certs.other_key)
        self.certs.write_config(new)
        exporter.process.send_signal(signal.SIGHUP)
        ef.wait_for('the refusal', lambda: 'the web configuration in force '
                    'is kept' in exporter.stderr)
        self.assertIn('SIGHUP: the web configuration in force is kept: %s: '
                      'key_file other-key.pem does not match cert_file '
                      'tls.crt' % self.web_yml, exporter.stderr)
        self.assertIsNone(exporter.process.poll())
        self.assertEqual(200, self.get(authorization=tf.basic(
            'grafana', 'new one'))[0].status)
        self.assertEqual(0, exporter.stop())


class TestWrongConfigAtStart(WebConfigCase):

    def run_exporter(self, document):
        path = self.certs.write_config(document)
        done = subprocess.run(
            [ef.EXPORTER, '--os-cloud', base.ADMIN, '--listen',
             '127.0.0.1:0', '--web-config-file', path],
            env=self.environment(), capture_output=True, text=True,
            timeout=ef.WAIT)
        return path, done

    def test_one_line_naming_the_file_and_exit_1(self):
        document = shipped_web_config(self.certs)
        document['tls_server_config']['key_file'] = self.certs.other_key
        path, done = self.run_exporter(document)
        self.assertEqual(1, done.returncode)
        self.assertEqual(
            'powervc-osc-exporter: %s: key_file %s does not match cert_file '
            'tls.crt\n' % (path, self.certs.other_key), done.stderr)
        self.assertEqual([], self.compute_requests())

    def test_the_shipped_placeholder_refuses_to_start(self):
        with open(ef.WEB_CONFIG) as f:
            document = yaml.safe_load(f)
        shipped_web_config(self.certs)      # its certificate files
        path, done = self.run_exporter(document)
        self.assertEqual(1, done.returncode)
        self.assertIn("the hash of user 'prometheus' is not a bcrypt hash",
                      done.stderr)
        self.assertEqual(1, done.stderr.count('\n'))
