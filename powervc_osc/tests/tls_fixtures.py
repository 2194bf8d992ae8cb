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

"""A throw-away CA, server and client certificates, and web configs.

Made per test with ``cryptography`` (no ``openssl`` command needed);
the server certificate names ``127.0.0.1`` and ``localhost``.
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import os
import ssl

import bcrypt
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography import x509
from cryptography.x509.oid import NameOID
import fixtures
import yaml

USER = 'prometheus'
PASSWORD = 'correct horse battery staple'
#: bcrypt's lowest cost: tests pay milliseconds, not 70 ms, per check.
COST = 4


def hash_password(password: str = PASSWORD, cost: int = COST) -> str:
    return bcrypt.hashpw(password.encode('utf-8'),
                         bcrypt.gensalt(rounds=cost)).decode('ascii')


def basic(user: str = USER, password: str = PASSWORD) -> str:
    """The ``Authorization`` header value of ``user:password``."""
    return 'Basic ' + base64.b64encode(
        ('%s:%s' % (user, password)).encode('utf-8')).decode('ascii')


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


class Certificates(fixtures.Fixture):
    """PEM files in a temporary folder: ``ca``, ``server``, ``client``.

    Attributes ``ca_file``, ``cert_file``, ``key_file``,
    ``client_cert``, ``client_key``, ``other_key`` (a key of no
    certificate here) are paths; :meth:`write_config` writes a web
    configuration beside them.
    """

    def _setUp(self) -> None:
        self.folder = self.useFixture(fixtures.TempDir()).path
        now = datetime.datetime.now(datetime.timezone.utc)
        self._not_before = now - datetime.timedelta(days=1)
        self._not_after = now + datetime.timedelta(days=2)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_cert = self._certificate(
            _name('powervc-osc test CA'), ca_key.public_key(), ca_key,
            _name('powervc-osc test CA'), ca=True)
        self.ca_file = self._write('ca.pem', ca_cert)
        self.cert_file, self.key_file = self._issue(
            'server', ca_key, ca_cert, san=[
                x509.DNSName('localhost'),
                x509.IPAddress(ipaddress.ip_address('127.0.0.1'))])
        self.client_cert, self.client_key = self._issue(
            'client', ca_key, ca_cert)
        self.other_key = self._write_key(
            'other-key.pem', ec.generate_private_key(ec.SECP256R1()))

    def _certificate(self, subject, public_key, signer, issuer, ca=False,
                     san=None) -> x509.Certificate:
        builder = (x509.CertificateBuilder()
                   .subject_name(subject).issuer_name(issuer)
                   .public_key(public_key)
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(self._not_before)
                   .not_valid_after(self._not_after)
                   .add_extension(x509.BasicConstraints(ca=ca,
                                                        path_length=None),
                                  critical=True))
        if san:
            builder = builder.add_extension(
                x509.SubjectAlternativeName(san), critical=False)
        return builder.sign(signer, hashes.SHA256())

    def _issue(self, name, ca_key, ca_cert, san=None) -> tuple[str, str]:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = self._certificate(_name('powervc-osc test ' + name),
                                 key.public_key(), ca_key,
                                 ca_cert.subject, san=san)
        return (self._write(name + '.pem', cert),
                self._write_key(name + '-key.pem', key))

    def _write(self, name: str, cert: x509.Certificate) -> str:
        path = os.path.join(self.folder, name)
        with open(path, 'wb') as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
        return path

    def _write_key(self, name: str, key) -> str:
        path = os.path.join(self.folder, name)
        with open(path, 'wb') as f:
            f.write(key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption()))
        os.chmod(path, 0o600)
        return path

    def tls_section(self, **extra) -> dict:
        return dict({'cert_file': self.cert_file,
                     'key_file': self.key_file}, **extra)

    def write_config(self, document, name: str = 'web.yml') -> str:
        """Write ``document`` (a dict, or text as is); return its path."""
        path = os.path.join(self.folder, name)
        with open(path, 'w') as f:
            if isinstance(document, str):
                f.write(document)
            else:
                yaml.safe_dump(document, f)
        return path

    def client_context(self, with_cert: bool = False) -> ssl.SSLContext:
        """A client that trusts the test CA (and shows its certificate)."""
        context = ssl.create_default_context(cafile=self.ca_file)
        if with_cert:
            context.load_cert_chain(self.client_cert, self.client_key)
        return context
