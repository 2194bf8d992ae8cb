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

"""The compute API: Nova's version documents and project-scoped calls.

``.../compute/`` and ``.../compute/v2.1`` answer without a token.  Under
``.../compute/v2.1/{project_id}/`` a valid token is needed, the answer
carries the microversion headers, and the handlers read or change the
:class:`~powervc_osc.simulator.state.SimulatorState`.
"""

import typing as ty
import urllib.parse

from werkzeug import exceptions as wz_exc
from werkzeug import wrappers

from powervc_osc.simulator import identity
from powervc_osc.simulator import microversion
from powervc_osc.simulator import records as sim_records
from powervc_osc.simulator import responses
from powervc_osc.simulator import settings as sim_settings
from powervc_osc.simulator import state as sim_state
from powervc_osc.simulator import views as sim_views

_TRUE = ('', '1', 'true', 't', 'yes', 'y', 'on')
_FALSE = ('0', 'false', 'f', 'no', 'n', 'off')


def check_project_scope(ctx: sim_records.Context, project_id: str) -> None:
    """400 unless ``ctx`` may use the project of the URL (Nova's answer)."""
    if project_id != ctx.project_id and not ctx.is_admin:
        raise sim_records.BadRequest(
            "Malformed request URL: URL's project_id '%s' doesn't match "
            "Context's project_id '%s'" % (project_id, ctx.project_id))


def _metadata_body(request: wrappers.Request, key: str) -> dict[str, ty.Any]:
    """``{key: {...}}`` from the request body; 400 otherwise."""
    try:
        body = responses.json_body(request)
    except ValueError:
        raise sim_records.BadRequest('Malformed request body')
    if (not isinstance(body, dict) or set(body) != {key} or
            not isinstance(body[key], dict)):
        raise sim_records.BadRequest('Malformed request body')
    return body[key]


def _all_tenants(args: ty.Mapping[str, str]) -> bool:
    if 'all_tenants' not in args:
        return False
    value = args.get('all_tenants', '').strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise sim_records.BadRequest("Invalid input for all_tenants: '%s'" % value)


def _limit(args: ty.Mapping[str, str]) -> int | None:
    if 'limit' not in args:
        return None
    try:
        limit = int(args['limit'])
    except ValueError:
        raise sim_records.BadRequest('limit param must be an integer')
    if limit < 0:
        raise sim_records.BadRequest('limit param must be positive')
    return limit


class ComputeAPI:
    """Handlers of the compute routes.

    :param state: the :class:`~powervc_osc.simulator.state.SimulatorState`.
    :param settings: the
        :class:`~powervc_osc.simulator.settings.SimulatorSettings` (for
        ``admin_only_host``).
    :param context: ``context(request)`` returns the caller's
        :class:`~powervc_osc.simulator.state.Context` or raises a 401
        :class:`~powervc_osc.simulator.identity.IdentityError`.
    """

    def __init__(self, state: sim_state.SimulatorState,
                 settings: sim_settings.SimulatorSettings,
                 context: ty.Callable[[wrappers.Request], sim_records.Context],
                 ) -> None:
        self.state = state
        self.settings = settings
        self.context = context

    # -- version documents (no token) ---------------------------------

    def versions(self, request: wrappers.Request) -> wrappers.Response:
        doc = sim_views.compute_version(request)
        doc.pop('media-types')
        doc['links'] = doc['links'][:1]
        return responses.json_response({'versions': [doc]})

    def version(self, request: wrappers.Request,
                project_id: str | None = None) -> wrappers.Response:
        return responses.json_response(
            {'version': sim_views.compute_version(request)})

    # -- project-scoped calls -----------------------------------------

    def call(self, request: wrappers.Request,
             handler: ty.Callable[..., wrappers.Response],
             args: ty.Mapping[str, ty.Any]) -> wrappers.Response:
        """Answer a project-scoped request (``args`` has ``project_id``).

        Checks the token, the project and the microversion, then runs
        ``handler(request, ctx, views, **args)``.
        """
        try:
            version = microversion.parse_microversion(request.headers)
        except sim_records.SimulatorError as exc:
            return responses.nova_error(exc.code, exc.message)
        headers = microversion.response_headers(version)
        handler_args = dict(args)
        project_id = handler_args.pop('project_id')
        try:
            ctx = self.context(request)
            check_project_scope(ctx, project_id)
            views = sim_views.ComputeViews(
                request, project_id, version,
                show_host=ctx.is_admin or not self.settings.admin_only_host)
            response = handler(request, ctx, views, **handler_args)
        except identity.IdentityError as exc:
            headers['WWW-Authenticate'] = (
                'Keystone uri="%s"' % responses.identity_url(request))
            return responses.keystone_error(exc, headers=headers)
        except sim_records.SimulatorError as exc:
            return responses.nova_error(exc.code, exc.message,
                                        headers=headers)
        except wz_exc.RequestEntityTooLarge:
            return responses.nova_error(413, 'Request is too large.',
                                        headers=headers)
        for key, value in headers.items():
            response.headers[key] = value
        return response

    def _list(self, request: wrappers.Request,
              ctx: sim_records.Context,
              views: sim_views.ComputeViews,
              detail: bool) -> wrappers.Response:
        args = request.args
        all_tenants = _all_tenants(args)
        if all_tenants and not ctx.is_admin:
            # Nova's policy: other projects' servers are for admins only.
            raise sim_records.Forbidden(
                "Policy doesn't allow os_compute_api:servers:%s:"
                "get_all_tenants to be performed."
                % ('detail' if detail else 'index'))
        servers, next_marker = self.state.list_servers(
            ctx, name=args.get('name'), host=args.get('host'),
            status=args.getlist('status') or None,
            all_tenants=all_tenants,
            project_id=args.get('project_id') or args.get('tenant_id'),
            limit=_limit(args), marker=args.get('marker'))
        body = {'servers': [views.server(s, detail=detail)
                            for s in servers]}
        if next_marker is not None:
            query = [(k, v) for k, v in args.items(multi=True)
                     if k != 'marker']
            query.append(('marker', next_marker))
            href = '%s?%s' % (request.base_url,
                              urllib.parse.urlencode(query))
            body['servers_links'] = [{'rel': 'next', 'href': href}]
        return responses.json_response(body)

    def servers(self, request: wrappers.Request,
                ctx: sim_records.Context,
                views: sim_views.ComputeViews) -> wrappers.Response:
        return self._list(request, ctx, views, False)

    def servers_detail(self, request: wrappers.Request,
                       ctx: sim_records.Context,
                       views: sim_views.ComputeViews) -> wrappers.Response:
        return self._list(request, ctx, views, True)

    def server(self, request: wrappers.Request,
               ctx: sim_records.Context,
               views: sim_views.ComputeViews,
               server_id: str) -> wrappers.Response:
        server = self.state.get_server(ctx, server_id)
        return responses.json_response({'server': views.server(server)})

    def metadata(self, request: wrappers.Request,
                 ctx: sim_records.Context,
                 views: sim_views.ComputeViews,
                 server_id: str) -> wrappers.Response:
        if request.method == 'GET':
            metadata = self.state.get_metadata(ctx, server_id)
        elif request.method == 'POST':
            metadata = self.state.update_metadata(
                ctx, server_id, _metadata_body(request, 'metadata'))
        else:
            metadata = self.state.replace_metadata(
                ctx, server_id, _metadata_body(request, 'metadata'))
        return responses.json_response({'metadata': metadata})

    def metadata_item(self, request: wrappers.Request,
                      ctx: sim_records.Context,
                      views: sim_views.ComputeViews,
                      server_id: str, key: str) -> wrappers.Response:
        if request.method == 'GET':
            value = self.state.get_metadata_item(ctx, server_id, key)
            return responses.json_response({'meta': {key: value}})
        if request.method == 'DELETE':
            self.state.delete_metadata_item(ctx, server_id, key)
            return responses.no_content()
        meta = _metadata_body(request, 'meta')
        if len(meta) > 1:
            raise sim_records.BadRequest('Request body contains too many '
                                         'items')
        if key not in meta:
            raise sim_records.BadRequest('Request body and URI mismatch')
        value = self.state.set_metadata_item(ctx, server_id, key, meta[key])
        return responses.json_response({'meta': {key: value}})

    def volume_attachments(self, request: wrappers.Request,
                           ctx: sim_records.Context,
                           views: sim_views.ComputeViews,
                           server_id: str) -> wrappers.Response:
        self.state.get_server(ctx, server_id)
        return responses.json_response({'volumeAttachments': []})

    def ips(self, request: wrappers.Request,
            ctx: sim_records.Context,
            views: sim_views.ComputeViews,
            server_id: str) -> wrappers.Response:
        self.state.get_server(ctx, server_id)
        return responses.json_response({'addresses': {}})

    def flavors(self, request: wrappers.Request,
                ctx: sim_records.Context,
                views: sim_views.ComputeViews) -> wrappers.Response:
        return responses.json_response({'flavors': [
            views.flavor_summary(f) for f in self.state.flavors()]})

    def flavors_detail(self, request: wrappers.Request,
                       ctx: sim_records.Context,
                       views: sim_views.ComputeViews) -> wrappers.Response:
        return responses.json_response({'flavors': [
            views.flavor(f) for f in self.state.flavors()]})

    def _find_flavor(self, flavor_id: str) -> sim_records.Flavor:
        for flavor in self.state.flavors():
            if flavor.id == flavor_id:
                return flavor
        raise sim_records.NotFound('Flavor %s could not be found.'
                                   % flavor_id)

    def flavor(self, request: wrappers.Request,
               ctx: sim_records.Context,
               views: sim_views.ComputeViews,
               flavor_id: str) -> wrappers.Response:
        flavor = self._find_flavor(flavor_id)
        return responses.json_response({'flavor': views.flavor(flavor)})

    def flavor_extra_specs(self, request: wrappers.Request,
                           ctx: sim_records.Context,
                           views: sim_views.ComputeViews,
                           flavor_id: str) -> wrappers.Response:
        flavor = self._find_flavor(flavor_id)
        return responses.json_response(
            {'extra_specs': dict(flavor.extra_specs)})
