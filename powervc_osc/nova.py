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

"""Reading Nova's answers: server IDs and records, a member of the expected
type, the next page."""

from __future__ import annotations

import re
import typing as ty
import urllib.parse

from powervc_osc import exceptions
from powervc_osc import model
from powervc_osc import text


def member(body: ty.Any, key: str, kind: type) -> ty.Any:
    """Return ``body[key]`` if it has the expected type, else BadResponse."""
    value = body.get(key) if isinstance(body, dict) else None
    if not isinstance(value, kind):
        raise exceptions.BadResponse(
            'PowerVC answered without a valid %r member' % key)
    return value


def next_marker(body: ty.Mapping[str, ty.Any]) -> str | None:
    """The ``marker`` of a server listing's next link, if there is one."""
    links = body.get('servers_links')
    if not isinstance(links, list):
        return None
    for link in links:
        if isinstance(link, dict) and link.get('rel') == 'next':
            params = urllib.parse.parse_qs(
                urllib.parse.urlsplit(str(link.get('href', ''))).query)
            markers = params.get('marker')
            if markers:
                return markers[-1]
    return None


_UUID = re.compile(
    r'[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}',
    re.IGNORECASE)


def is_uuid(value: str) -> bool:
    """Tell whether ``value`` is shaped like a Nova server ID."""
    return bool(_UUID.fullmatch(value))


def valid_id(value: ty.Any) -> str | None:
    """A server ID from an answer, if it is one this client may use.

    It goes into URLs and onto the operator's terminal, so it must be a
    short printable string, and no path segment of its own (``.``, ``..``,
    ``/``), not even once a proxy has decoded it.
    """
    if not (isinstance(value, str) and value and len(value) <= 255
            and value.isprintable()):
        return None
    decoded = value
    for _ in range(4):       # /, %2F, %252F, %25252F
        if decoded in ('.', '..') or '/' in decoded or '\\' in decoded:
            return None
        decoded = urllib.parse.unquote(decoded)
    return value


def path(server_id: str, suffix: str = '') -> str:
    """The URL path of a server (or of ``suffix`` under it)."""
    return '/servers/%s%s' % (urllib.parse.quote(server_id, safe=''), suffix)


class Server(ty.NamedTuple):
    """One server of a lookup or a listing, as the client uses it."""

    id: str
    name: str | None
    host: str | None = None
    status: str | None = None
    metadata: dict | None = None
    project_id: str | None = None
    #: Whether PowerVC showed the host attribute (to admins only).
    host_shown: bool = True

    @classmethod
    def from_body(cls, body: ty.Mapping[str, ty.Any]) -> Server:
        server_id = valid_id(body.get('id'))
        if server_id is None:
            raise exceptions.BadResponse(
                'PowerVC answered with a server entry without a valid ID')
        meta = body.get('metadata')
        return cls(id=server_id,
                   name=text.decode_text(body.get('name')),
                   host=text.decode_text(body.get('OS-EXT-SRV-ATTR:host')),
                   status=text.decode_text(body.get('status')),
                   metadata=meta if isinstance(meta, dict) else None,
                   project_id=text.decode_text(body.get('tenant_id')),
                   host_shown='OS-EXT-SRV-ATTR:host' in body)

    def refcode(self, metadata: ty.Mapping[str, ty.Any] | None,
                ) -> model.Refcode:
        return model.Refcode.from_metadata(
            self.id, self.name, metadata, host=self.host, status=self.status,
            project_id=self.project_id)
