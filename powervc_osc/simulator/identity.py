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

"""A minimal Keystone v3: password and token authentication.

Token bodies and catalogs are plain dicts in Keystone v3's format (no test
library at run time).  The users and projects are the fixed
directory of :mod:`powervc_osc.simulator.state`.  Tokens expire after
``token_ttl`` seconds of the state's (injectable) monotonic clock, and
:meth:`TokenStore.revoke_all` invalidates every token issued so far.
"""

import dataclasses
import datetime
import threading
import typing as ty
import uuid

from powervc_osc.simulator import records as sim_records
from powervc_osc.simulator import state as sim_state

REGION = 'RegionOne'
IDENTITY_PATH = '/powervc/openstack/identity'
COMPUTE_PATH = '/powervc/openstack/compute'


class IdentityError(Exception):
    """A Keystone error: ``{"error": {"code", "title", "message"}}``."""

    def __init__(self, code: int, title: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.title = title
        self.message = message

    def body(self) -> dict[str, dict[str, ty.Any]]:
        return {'error': {'code': self.code, 'title': self.title,
                          'message': self.message}}


_AUTHENTICATION_NEEDED = ('The request you have made requires '
                          'authentication.')


def unauthorized(message: str = _AUTHENTICATION_NEEDED) -> IdentityError:
    return IdentityError(401, 'Unauthorized', message)


def bad_request(message: str) -> IdentityError:
    return IdentityError(400, 'Bad Request', message)


@dataclasses.dataclass
class TokenInfo:
    id: str
    user: sim_records.User
    project_id: str
    project_name: str
    roles: tuple
    expires: float          # on the state's monotonic clock
    body: dict

    def context(self) -> sim_records.Context:
        return sim_records.Context(self.user.id, self.project_id, self.roles)


def _to_datetime(epoch: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(
        epoch, datetime.timezone.utc).replace(tzinfo=None)


def _keystone_time(epoch: float) -> str:
    return _to_datetime(epoch).strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def _service(service_type: str, name: str, service_id: str,
             url: str) -> dict[str, ty.Any]:
    """A catalog entry: one endpoint per interface, all at ``url``."""
    return {'type': service_type, 'name': name, 'id': service_id,
            'endpoints': [{'id': uuid.uuid4().hex, 'interface': interface,
                           'region': REGION, 'region_id': REGION, 'url': url}
                          for interface in ('public', 'internal', 'admin')]}


class TokenStore:
    """Issues and validates tokens.

    :param state: the :class:`~powervc_osc.simulator.state.SimulatorState`
        (for its clocks).
    :param token_ttl: seconds a token lives.
    """

    def __init__(self, state: sim_state.SimulatorState,
                 token_ttl: float = 3600) -> None:
        self.state = state
        self.token_ttl = float(token_ttl)
        self._tokens: dict[str, TokenInfo] = {}
        self._lock = threading.Lock()

    # -- helpers ------------------------------------------------------

    @staticmethod
    def _find_user(user: ty.Any) -> sim_records.User:
        if not isinstance(user, dict):
            raise bad_request('Invalid input for field identity/password/'
                              'user')
        found = None
        if user.get('id'):
            found = next((u for u in sim_records.USERS.values()
                          if u.id == user['id']), None)
        elif user.get('name'):
            domain = user.get('domain') or {}
            if not isinstance(domain, dict):
                raise bad_request('Invalid input for field domain')
            if (domain.get('id') not in (None, sim_records.DOMAIN_ID) or
                    domain.get('name') not in (None,
                                               sim_records.DOMAIN_NAME)):
                raise unauthorized()
            found = sim_records.USERS.get(user['name'])
        else:
            raise bad_request('Expecting to find id or name in user')
        if found is None:
            raise unauthorized()
        return found

    @staticmethod
    def _scope(user: sim_records.User, scope: ty.Any) -> tuple[str, str]:
        """The (project_id, project_name) a token is scoped to."""
        own_name = user.project
        own_id = sim_records.PROJECTS[own_name]
        if not scope:
            return own_id, own_name
        if not isinstance(scope, dict):
            raise bad_request('Invalid input for field scope')
        project = scope.get('project')
        if project is None:
            # domain or system scope: no role there in this simulator
            raise unauthorized()
        if not isinstance(project, dict):
            raise bad_request('Invalid input for field scope/project')
        if project.get('id'):
            if project['id'] != own_id:
                raise unauthorized()
        elif project.get('name'):
            domain = project.get('domain') or {}
            if not isinstance(domain, dict) or (
                    domain.get('id') not in (None, sim_records.DOMAIN_ID) or
                    domain.get('name') not in (None,
                                               sim_records.DOMAIN_NAME)):
                raise unauthorized()
            if project['name'] != own_name:
                raise unauthorized()
        else:
            raise bad_request('Expecting to find id or name in project')
        return own_id, own_name

    def _build(self, user: sim_records.User, project_id: str,
               project_name: str, methods: list, identity_url: str,
               compute_url: str) -> dict[str, ty.Any]:
        """A token body in Keystone v3's shape (``{"token": {...}}``)."""
        wall = self.state.wall_now()
        domain = {'id': sim_records.DOMAIN_ID, 'name': sim_records.DOMAIN_NAME}
        compute_project_url = '%s/%s' % (compute_url, project_id)
        return {'token': {
            'methods': list(methods),
            'user': {'id': user.id, 'name': user.name,
                     'domain': dict(domain)},
            'audit_ids': [uuid.uuid4().hex[:22]],
            'issued_at': _keystone_time(wall),
            'expires_at': _keystone_time(wall + self.token_ttl),
            'project': {'id': project_id, 'name': project_name,
                        'domain': dict(domain)},
            'is_domain': False,
            'roles': [{'id': sim_records.ROLES[role], 'name': role}
                      for role in user.roles],
            'catalog': [
                _service('identity', 'keystone',
                         '5e2f6d7c4a9b4c1d8e3f2a1b0c9d8e7f', identity_url),
                _service('compute', 'nova',
                         '6a1b2c3d4e5f40718293a4b5c6d7e8f9',
                         compute_project_url),
            ],
        }}

    # -- API ----------------------------------------------------------

    def authenticate(self, body: ty.Any, identity_url: str,
                     compute_url: str) -> TokenInfo:
        """``POST /v3/auth/tokens``.

        :param identity_url: ``.../identity/v3`` for the catalog.
        :param compute_url: ``.../compute/v2.1`` (the project id is added).
        :returns: a :class:`TokenInfo`.
        :raises IdentityError: 400 or 401.
        """
        try:
            auth = body['auth']
            identity = auth['identity']
            methods = identity['methods']
        except (KeyError, TypeError):
            raise bad_request('Expecting to find identity in auth')
        if not isinstance(methods, list) or not methods:
            raise bad_request('Expecting to find methods in identity')
        if 'password' in methods:
            password = identity.get('password')
            if not isinstance(password, dict):
                raise bad_request('Expecting to find password in identity')
            user = self._find_user(password.get('user'))
            secret = (password.get('user') or {}).get('password')
            if secret != user.password:
                raise unauthorized()
        elif 'token' in methods:
            token = identity.get('token')
            if not isinstance(token, dict) or not token.get('id'):
                raise bad_request('Expecting to find token in identity')
            old = self.validate(token['id'])
            if old is None:
                raise unauthorized()
            user = old.user
        else:
            raise unauthorized('Unsupported authentication method')
        project_id, project_name = self._scope(user, auth.get('scope'))
        token = self._build(user, project_id, project_name, methods,
                            identity_url, compute_url)
        info = TokenInfo(
            id='gAAAAA' + uuid.uuid4().hex + uuid.uuid4().hex,
            user=user, project_id=project_id, project_name=project_name,
            roles=tuple(user.roles),
            expires=self.state.now() + self.token_ttl,
            body=token)
        with self._lock:
            self._tokens[info.id] = info
        return info

    def validate(self, token_id: str | None) -> TokenInfo | None:
        """The :class:`TokenInfo` of a valid token, else None."""
        if not token_id:
            return None
        with self._lock:
            info = self._tokens.get(token_id)
            if info is None:
                return None
            if self.state.now() >= info.expires:
                del self._tokens[token_id]
                return None
            return info

    def revoke(self, token_id: str) -> bool:
        with self._lock:
            return self._tokens.pop(token_id, None) is not None

    def revoke_all(self) -> int:
        """Invalidate every token issued so far; returns how many."""
        with self._lock:
            count = len(self._tokens)
            self._tokens.clear()
            return count
