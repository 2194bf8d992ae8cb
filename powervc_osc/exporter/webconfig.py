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

"""``--web-config-file``: TLS and basic auth, in exporter-toolkit's format.

The file is the one Prometheus, node_exporter and Alertmanager read
(``--web.config.file``): ``tls_server_config`` (``cert_file``,
``key_file``, ``client_ca_file``, ``client_auth_type``, ``min_version``,
``max_version``) and ``basic_auth_users`` (user: bcrypt hash).  Relative
paths are taken from the file's own folder, as exporter-toolkit does.
Keys of that format this exporter cannot honour are refused by name, so
that a file copied from another exporter never means less than it says.
Every fault is one :class:`WebConfigError` line naming the file.
"""

from __future__ import annotations

import os
import re
import ssl
import typing as ty

import yaml

from powervc_osc.exporter import basic_auth

#: client_auth_type: the ssl verify mode of each value honoured.
CLIENT_AUTH = {
    'NoClientCert': ssl.CERT_NONE,
    'VerifyClientCertIfGiven': ssl.CERT_OPTIONAL,
    'RequireAndVerifyClientCert': ssl.CERT_REQUIRED,
}
#: client_auth_type values of the format that take a certificate without
#: verifying it: Python's TLS cannot, and exporter-toolkit calls them
#: insecure.
UNVERIFIED_CLIENT_AUTH = ('RequestClientCert', 'RequireAnyClientCert')
TLS_VERSIONS = {
    'TLS10': ssl.TLSVersion.TLSv1,
    'TLS11': ssl.TLSVersion.TLSv1_1,
    'TLS12': ssl.TLSVersion.TLSv1_2,
    'TLS13': ssl.TLSVersion.TLSv1_3,
}
#: exporter-toolkit's default min_version.
DEFAULT_MIN_VERSION = 'TLS12'
TOP_KEYS = ('tls_server_config', 'basic_auth_users')
TLS_KEYS = ('cert_file', 'key_file', 'client_ca_file', 'client_auth_type',
            'min_version', 'max_version')
#: Keys of exporter-toolkit's format that are refused, with the reason.
UNSUPPORTED = {
    'http_server_config': 'HTTP/2 and extra headers are not offered',
    'rate_limit': 'rate limiting is not offered',
    'cert': 'give the certificate as cert_file',
    'key': 'give the key as key_file',
    'client_ca': 'give the CA certificates as client_ca_file',
    'client_allowed_sans': 'client certificate SANs are not matched',
    'cipher_suites': "OpenSSL's default ciphers are used",
    'prefer_server_cipher_suites': "OpenSSL's default ciphers are used",
    'curve_preferences': "OpenSSL's default curves are used",
}
#: A bcrypt hash: $2a$, $2b$ or $2y$ (htpasswd -B), a cost, 53 characters.
_BCRYPT = re.compile(r'^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$')


class WebConfigError(Exception):
    """The web configuration is unusable; the message is one line."""


class WebConfig(ty.NamedTuple):
    """What a web configuration file asks for."""

    #: The file it was read from.
    path: str
    #: The server's TLS context, or None for plain HTTP.
    tls: ssl.SSLContext | None
    #: The basic-auth check, or None when no user is configured.
    auth: basic_auth.BasicAuth | None

    def describe(self) -> str:
        """A few words for the log: what protects the port."""
        parts = []
        if self.tls is not None:
            parts.append('TLS' + (' with client certificates'
                                  if self.tls.verify_mode != ssl.CERT_NONE
                                  else ''))
        if self.auth is not None:
            parts.append('basic auth (%d user(s))' % len(self.auth.users))
        return ' and '.join(parts) or 'neither TLS nor basic auth'


def load(path: str) -> WebConfig:
    """Read and check ``path``; :class:`WebConfigError` on any fault."""
    try:
        return _load(path)
    except WebConfigError as exc:
        raise WebConfigError('%s: %s' % (path, exc)) from None


def _load(path: str) -> WebConfig:
    try:
        with open(path, encoding='utf-8') as stream:
            document = yaml.safe_load(stream)
    except OSError as exc:
        raise WebConfigError('cannot read it: %s' % (exc.strerror or exc))
    except UnicodeDecodeError:
        raise WebConfigError('not UTF-8 text')
    except yaml.YAMLError as exc:
        mark = getattr(exc, 'problem_mark', None)
        raise WebConfigError('not valid YAML%s' % (
            ' (line %d)' % (mark.line + 1) if mark else ''))
    if document is None:    # an empty file: exporter-toolkit's defaults
        document = {}
    _check_mapping(document, 'the file', TOP_KEYS)
    folder = os.path.dirname(os.path.abspath(path))
    tls = document.get('tls_server_config')
    users = document.get('basic_auth_users')
    return WebConfig(
        path=path,
        # Empty, as in exporter-toolkit: TLS off.
        tls=None if tls in (None, {}) else _tls_context(tls, folder),
        auth=None if not users else basic_auth.BasicAuth(_users(users)))


def _check_mapping(value: ty.Any, what: str,
                   known: ty.Sequence[str]) -> None:
    if not isinstance(value, dict):
        raise WebConfigError('%s must be a mapping' % what)
    for key in value:
        if key in UNSUPPORTED:
            raise WebConfigError('%s is not supported (%s)'
                                 % (key, UNSUPPORTED[key]))
        if key not in known:
            raise WebConfigError('unknown key %r in %s (known: %s)'
                                 % (key, what, ', '.join(known)))


def _string(section: dict, key: str) -> str | None:
    value = section.get(key)
    if value is not None and (not isinstance(value, str) or not value):
        raise WebConfigError('%s must be a non-empty string' % key)
    return value


def _tls_context(section: ty.Any, folder: str) -> ssl.SSLContext:
    _check_mapping(section, 'tls_server_config', TLS_KEYS)
    cert, key = _string(section, 'cert_file'), _string(section, 'key_file')
    if not cert or not key:
        raise WebConfigError('tls_server_config needs cert_file and '
                             'key_file')
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = _version(section, 'min_version',
                                       DEFAULT_MIN_VERSION)
    context.maximum_version = _version(section, 'max_version', 'TLS13')
    if context.minimum_version > context.maximum_version:
        raise WebConfigError('min_version is above max_version')
    # Faults name the files as the configuration writes them.
    for name in (cert, key):
        if not os.access(os.path.join(folder, name), os.R_OK):
            raise WebConfigError('cannot read %s' % name)
    try:
        context.load_cert_chain(os.path.join(folder, cert),
                                os.path.join(folder, key))
    except ssl.SSLError as exc:
        if 'KEY_VALUES_MISMATCH' in str(exc):
            raise WebConfigError('key_file %s does not match cert_file %s'
                                 % (key, cert))
        raise WebConfigError('cert_file %s or key_file %s is not a PEM '
                             'certificate and its key (%s)'
                             % (cert, key, exc.reason or exc))
    except OSError as exc:
        raise WebConfigError('cannot load cert_file %s: %s'
                             % (cert, exc.strerror or exc))
    _client_auth(context, section, folder)
    return context


def _version(section: dict, key: str, default: str) -> ssl.TLSVersion:
    value = section.get(key, default)
    if value not in TLS_VERSIONS:
        raise WebConfigError('%s %r is not one of %s'
                             % (key, value, ', '.join(TLS_VERSIONS)))
    return TLS_VERSIONS[value]


def _client_auth(context: ssl.SSLContext, section: dict,
                 folder: str) -> None:
    kind = section.get('client_auth_type', 'NoClientCert')
    ca = _string(section, 'client_ca_file')
    if kind in UNVERIFIED_CLIENT_AUTH:
        raise WebConfigError(
            'client_auth_type %s is not supported: it would take a client '
            'certificate without verifying it (use '
            'RequireAndVerifyClientCert with client_ca_file)' % kind)
    if kind not in CLIENT_AUTH:
        raise WebConfigError('client_auth_type %r is not one of %s' % (
            kind, ', '.join(list(CLIENT_AUTH) + list(
                UNVERIFIED_CLIENT_AUTH))))
    if kind == 'NoClientCert':
        if ca:  # exporter-toolkit refuses it too: a CA that checks nothing
            raise WebConfigError('client_ca_file is set but '
                                 'client_auth_type is NoClientCert')
        return
    if not ca:
        raise WebConfigError('client_auth_type %s needs client_ca_file'
                             % kind)
    try:
        context.load_verify_locations(cafile=os.path.join(folder, ca))
    except ssl.SSLError as exc:
        raise WebConfigError('client_ca_file %s holds no PEM CA '
                             'certificate (%s)' % (ca, exc.reason or exc))
    except OSError as exc:
        raise WebConfigError('cannot read client_ca_file %s: %s'
                             % (ca, exc.strerror or exc))
    context.verify_mode = CLIENT_AUTH[kind]


def _users(section: ty.Any) -> dict[str, bytes]:
    if not isinstance(section, dict):
        raise WebConfigError('basic_auth_users must be a mapping of user '
                             'to bcrypt hash')
    users = {}
    for user, hashed in section.items():
        if not isinstance(user, str) or not user or ':' in user:
            raise WebConfigError('basic_auth_users: %r is not a user name '
                                 '(a non-empty string without ":")'
                                 % (user,))
        match = _BCRYPT.match(hashed) if isinstance(hashed, str) else None
        if not match or not basic_auth.MIN_COST <= int(
                match.group(1)) <= basic_auth.MAX_COST:
            # The value is not echoed: it may be a password put there by
            # mistake.
            raise WebConfigError('basic_auth_users: the hash of user %r is '
                                 'not a bcrypt hash (htpasswd -nBC 10 "" '
                                 'makes one)' % user)
        users[user] = hashed.encode('ascii')
    return users
