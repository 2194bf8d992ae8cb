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

"""Reading Nova's answers: a member of the expected type, the next page."""

from __future__ import annotations

import typing as ty
import urllib.parse

from powervc_osc import exceptions


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
