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

"""The built-in Keystone v3 endpoints and who a compute request is from.

``.../identity/`` and ``.../identity/v3`` answer the version documents;
``POST|GET|HEAD|DELETE .../identity/v3/auth/tokens`` issue, validate and
revoke tokens of the :class:`~powervc_osc.simulator.identity.TokenStore`;
``GET .../identity/v3/projects[/<id>]`` and ``.../domains[/<id>]`` show
the fixed directory with Keystone's default policy: listing is for admins,
a member may read its own project and domain.
"""

from werkzeug import wrappers

from powervc_osc.simulator import identity
from powervc_osc.simulator import records as sim_records
from powervc_osc.simulator import responses
from powervc_osc.simulator import views


class IdentityAPI:
    """Handlers of the identity routes, and :meth:`context`.

    :param tokens: the :class:`~powervc_osc.simulator.identity.TokenStore`.
    """

    def __init__(self, tokens: identity.TokenStore) -> None:
        self.tokens = tokens

    def context(self, request: wrappers.Request) -> sim_records.Context:
        """Who is asking: the scope of the ``X-Auth-Token``.

        :returns: a :class:`~powervc_osc.simulator.state.Context`.
        :raises IdentityError: 401 without a valid token.
        """
        info = self.tokens.validate(request.headers.get('X-Auth-Token'))
        if info is None:
            raise identity.unauthorized()
        return info.context()

    def versions(self, request: wrappers.Request) -> wrappers.Response:
        return responses.json_response(
            {'versions': {'values': [views.identity_version(request)]}},
            status=300)

    def version(self, request: wrappers.Request) -> wrappers.Response:
        return responses.json_response(
            {'version': views.identity_version(request)})

    def auth_tokens(self, request: wrappers.Request) -> wrappers.Response:
        if request.method == 'POST':
            return self._authenticate(request)
        caller = self.tokens.validate(request.headers.get('X-Auth-Token'))
        if caller is None:
            raise identity.unauthorized()
        subject_id = request.headers.get('X-Subject-Token')
        subject = self.tokens.validate(subject_id)
        if subject is None:
            raise identity.IdentityError(
                404, 'Not Found', 'Could not find token: %s' % subject_id)
        if request.method == 'DELETE':
            self.tokens.revoke(subject.id)
            return responses.no_content()
        headers = {'X-Subject-Token': subject.id}
        if request.method == 'HEAD':
            return responses.json_response(None, headers=headers)
        return responses.json_response(subject.body, headers=headers)

    def _authenticate(self, request: wrappers.Request) -> wrappers.Response:
        try:
            body = responses.json_body(request, empty=None)
        except ValueError:
            raise identity.bad_request('Malformed request body')
        info = self.tokens.authenticate(
            body, responses.identity_url(request),
            responses.compute_root(request) + '/v2.1')
        return responses.json_response(info.body, status=201,
                                       headers={'X-Subject-Token': info.id})

    # -- the directory ------------------------------------------------

    def projects(self, request: wrappers.Request) -> wrappers.Response:
        self._admin_only(request)
        wanted = request.args
        found = [views.project(request, name, project_id)
                 for name, project_id in sorted(sim_records.PROJECTS.items())]
        found = [p for p in found
                 if all(wanted.get(key) in (None, p[key])
                        for key in ('name', 'domain_id', 'id'))]
        return responses.json_response({'projects': found})

    def project(self, request: wrappers.Request,
                project_id: str) -> wrappers.Response:
        ctx = self.context(request)
        names = {v: k for k, v in sim_records.PROJECTS.items()}
        if not (ctx.is_admin or project_id == ctx.project_id):
            raise _forbidden('identity:get_project')
        if project_id not in names:
            raise identity.IdentityError(
                404, 'Not Found',
                'Could not find project: %s.' % project_id)
        return responses.json_response(
            {'project': views.project(request, names[project_id],
                                      project_id)})

    def domains(self, request: wrappers.Request) -> wrappers.Response:
        self._admin_only(request)
        found = [views.domain(request)]
        name = request.args.get('name')
        if name is not None and name != sim_records.DOMAIN_NAME:
            found = []
        return responses.json_response({'domains': found})

    def domain(self, request: wrappers.Request,
               domain_id: str) -> wrappers.Response:
        self.context(request)   # every user's project is in this domain
        if domain_id != sim_records.DOMAIN_ID:
            raise identity.IdentityError(
                404, 'Not Found', 'Could not find domain: %s.' % domain_id)
        return responses.json_response({'domain': views.domain(request)})

    def _admin_only(self, request: wrappers.Request) -> None:
        if not self.context(request).is_admin:
            raise _forbidden('identity:list')


def _forbidden(action: str) -> identity.IdentityError:
    return identity.IdentityError(
        403, 'Forbidden',
        'You are not authorized to perform the requested action: %s.'
        % action)
