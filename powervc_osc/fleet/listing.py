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

"""The server listing's filters: what PowerVC is asked, and the check of
what it answered.

For a user without the admin role, Nova (34, as tested in ``tox -e
functional-nova``) answers in two ways. Its policy refuses
``all_tenants`` (403, ``os_compute_api:servers:detail:get_all_tenants``),
and with it ``project_id``, which is only sent with ``all_tenants``: the
client turns that 403 into :class:`~powervc_osc.exceptions.AdminRequired`.
It silently drops ``host`` (an admin-only filter), hides the
``OS-EXT-SRV-ATTR:host`` attribute and answers 200 with the user's own
servers. So every listed server is checked against the filters the user
gave: a server whose host, status or project contradicts them is dropped,
and a filter that PowerVC could not have applied (no host shown; no other
project visible, from a backend that ignores ``all_tenants`` instead of
refusing it) is an :class:`~powervc_osc.exceptions.AdminRequired` error.
``name`` is Nova's regular expression and is left to PowerVC.
"""

from __future__ import annotations

import contextlib
import typing as ty
import urllib.parse

from powervc_osc import exceptions
from powervc_osc import nova

HOST_HIDDEN = 'PowerVC does not show this user which host a server runs on'
PROJECTS_HIDDEN = ('PowerVC shows this user only the servers of its own '
                   'project')


class Listed(ty.Protocol):
    """What the check needs of a listed server."""

    @property
    def host(self) -> str | None:
        """The host the server runs on, if shown."""

    @property
    def host_shown(self) -> bool:
        """Whether the host attribute was in the answer."""

    @property
    def status(self) -> str | None:
        """Nova's status (``ACTIVE``, ``SHUTOFF``...)."""

    @property
    def project_id(self) -> str | None:
        """The server's project (``tenant_id``), if shown."""


class Filters(ty.NamedTuple):
    """The filters of one listing, as the user gave them."""

    host: str | None = None
    all_projects: bool = False
    project: str | None = None
    name: str | None = None
    status: str | None = None

    def query(self, own_project: str | None = None) -> dict[str, str]:
        """Nova's query parameters for ``/servers/detail``.

        ``--project`` naming the token's own project (``own_project``)
        asks for no other project: Nova lists that project without
        ``all_tenants``, which its policy refuses to a member.
        """
        query: dict[str, str] = {}
        other_project = self.project and self.project != own_project
        if self.all_projects or other_project:
            query['all_tenants'] = 'True'
            if self.project:
                query['project_id'] = self.project
        if self.host:
            query['host'] = self.host
        if self.name:
            query['name'] = self.name
        if self.status:
            query['status'] = self.status.upper()
        return query

    @property
    def scope_option(self) -> str | None:
        """The keyword that asks for other projects' servers, if any."""
        if self.project:
            return 'project'
        return 'all_projects' if self.all_projects else None


class Check:
    """Check a listing's servers, one by one, against its filters.

    :param own_project: the ID of the project the user's token is scoped
        to (None if unknown).
    :param admin: whether the token carries the admin role (True if
        unknown: then only what the answer shows is held against it).
    """

    def __init__(self, filters: Filters, own_project: str | None,
                 admin: bool) -> None:
        self.filters = filters
        self.own_project = own_project
        self.admin = admin
        self.other_project_seen = False

    def admits(self, server: Listed) -> bool:
        """Whether ``server`` agrees with every filter it can be held to.

        :raises AdminRequired: when PowerVC hid the server's host from a
            user who filtered by host.
        """
        wanted = self.filters
        if server.project_id not in (None, self.own_project):
            self.other_project_seen = True
        if wanted.host:
            if not server.host_shown:
                raise exceptions.AdminRequired('host', HOST_HIDDEN)
            if server.host != wanted.host:
                return False
        if wanted.status and (
                (server.status or '').upper() != wanted.status.upper()):
            return False
        if wanted.project and (
                server.project_id not in (None, wanted.project)):
            return False
        return True

    @property
    def scope_confirmed(self) -> bool:
        """Whether :meth:`finish` can no longer fail.

        Until then, the servers admitted may never be shown, so nothing
        should be asked about them.
        """
        own_only = (self.filters.project is not None and
                    self.filters.project == self.own_project)
        return (self.filters.scope_option is None or own_only or
                self.admin or self.other_project_seen)

    def finish(self) -> None:
        """After the last server: were other projects visible if asked for?

        :raises AdminRequired: when the user asked for other projects'
            servers, lacks the admin role, and the listing showed none.
        """
        option = self.filters.scope_option
        if option and not self.scope_confirmed:
            raise exceptions.AdminRequired(option, PROJECTS_HIDDEN)


@contextlib.contextmanager
def scope_refused(filters: Filters) -> ty.Iterator[None]:
    """A 403 to a request for other projects' servers is AdminRequired.

    Nova's policy refuses ``all_tenants`` to a user without the admin role
    (``os_compute_api:servers:{index,detail}:get_all_tenants``).
    """
    try:
        yield
    except exceptions.Forbidden:
        if filters.scope_option is None:
            raise
        raise exceptions.AdminRequired(filters.scope_option,
                                       PROJECTS_HIDDEN)


def walk(request: ty.Callable[..., ty.Any], filters: Filters,
         own_project: str | None = None,
         on_page: ty.Callable[[], None] | None = None,
         ) -> ty.Iterator[nova.Server | exceptions.RefcodeError]:
    """Follow ``/servers/detail`` and its next links to the end.

    ``request`` is :meth:`~powervc_osc.http.compute.ComputeHTTP.request`;
    ``own_project`` is the token's project (see :meth:`Filters.query`);
    ``on_page()`` is called, in the same thread, after each page's answer
    and before its servers are yielded.

    An entry that is not a usable server is yielded as the error to
    report, so that one odd entry costs one failure, not the listing.
    A 403 to other projects' servers is :class:`AdminRequired`.
    """
    query = filters.query(own_project)
    seen: set[str] = set()
    listed: set[str] = set()
    while True:
        with scope_refused(filters):
            body = request(
                'GET', '/servers/detail?' + urllib.parse.urlencode(query),
                target='the server listing')
        if on_page is not None:
            on_page()
        page = nova.member(body, 'servers', list)
        before = len(listed)
        for index, entry in enumerate(page):
            try:
                if not isinstance(entry, dict):
                    raise exceptions.BadResponse(
                        'PowerVC listed a server entry that is not an '
                        'object (entry %d of a page)' % (index + 1))
                found = nova.Server.from_body(entry)
            except exceptions.BadResponse as exc:
                yield exc
                continue
            if found.id not in listed:
                listed.add(found.id)
                yield found
        marker = nova.next_marker(body)
        if not marker or not page:
            return
        if len(listed) == before:
            raise exceptions.BadResponse(
                'PowerVC\'s server listing sent a page with no server '
                'it had not already sent (marker %s); stopped, as the '
                'listing would not end' % marker)
        if marker in seen:
            raise exceptions.BadResponse(
                'PowerVC\'s server listing links back to a page it '
                'already sent (marker %s)' % marker)
        seen.add(marker)
        query['marker'] = marker


def caller(adapter: ty.Any) -> tuple[str | None, bool]:
    """The token's project ID, and whether it has the admin role.

    ``adapter`` is the compute keystoneauth Adapter. (None, True) when the
    session's auth cannot tell: then only what PowerVC's answers show is
    held against a filter.
    """
    from keystoneauth1 import exceptions as ks_exceptions

    auth: ty.Any = adapter.auth or adapter.session.auth
    try:
        access = auth.get_access(adapter.session)
    except (AttributeError, NotImplementedError,
            ks_exceptions.ClientException):
        return None, True
    roles = {role.lower() for role in access.role_names or ()}
    return access.project_id, 'admin' in roles
