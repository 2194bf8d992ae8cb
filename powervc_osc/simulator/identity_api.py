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
revoke tokens of the :class:`~powervc_osc.simulator.identity.TokenStore`.
"""

from powervc_osc.simulator import identity
from powervc_osc.simulator import responses
from powervc_osc.simulator import views


class IdentityAPI:
    """Handlers of the identity routes, and :meth:`context`.

    :param tokens: the :class:`~powervc_osc.simulator.identity.TokenStore`.
    """

    def __init__(self, tokens):
        self.tokens = tokens

    def context(self, request):
        """Who is asking: the scope of the ``X-Auth-Token``.

        :returns: a :class:`~powervc_osc.simulator.state.Context`.
        :raises IdentityError: 401 without a valid token.
        """
        info = self.tokens.validate(request.headers.get('X-Auth-Token'))
        if info is None:
            raise identity.unauthorized()
        return info.context()

    def versions(self, request):
        return responses.json_response(
            {'versions': {'values': [views.identity_version(request)]}},
            status=300)

    def version(self, request):
        return responses.json_response(
            {'version': views.identity_version(request)})

    def auth_tokens(self, request):
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
            self.tokens.revoke(subject_id)
            return responses.no_content()
        headers = {'X-Subject-Token': subject_id}
        if request.method == 'HEAD':
            return responses.json_response(None, headers=headers)
        return responses.json_response(subject.body, headers=headers)

    def _authenticate(self, request):
        try:
            body = responses.json_body(request, empty=None)
        except ValueError:
            raise identity.bad_request('Malformed request body')
        info = self.tokens.authenticate(
            body, responses.identity_url(request),
            responses.compute_root(request) + '/v2.1')
        return responses.json_response(info.body, status=201,
                                       headers={'X-Subject-Token': info.id})
