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

"""How long a token is reused: one login per token lifetime.

keystoneauth logs in again whenever the token expires within the auth
plugin's ``MIN_TOKEN_LIFE_SECONDS`` (120 s).  A PowerVC that issues tokens
living less than that would get a login at every use of the token: three
per request, counting the catalog lookups (a 40 s token: 7,380 logins for
2,420 requests).
"""

from __future__ import annotations

import datetime
import typing as ty


def fit_margin(auth: ty.Any) -> None:
    """Let a short-lived token serve for most of its life.

    From now on, each login of ``auth`` sets its margin to a quarter of
    the new token's lifetime when that is shorter than keystoneauth's.
    Plugins without tokens (a fixed token, no auth) are left alone.
    """
    get_auth_ref = getattr(auth, 'get_auth_ref', None)
    default = getattr(type(auth), 'MIN_TOKEN_LIFE_SECONDS', None)
    if get_auth_ref is None or default is None or getattr(
            get_auth_ref, 'fits_margin', False):
        return

    def log_in(session: ty.Any, **kwargs: ty.Any) -> ty.Any:
        access = get_auth_ref(session, **kwargs)
        auth.MIN_TOKEN_LIFE_SECONDS = min(default, lifetime(access) / 4)
        return access

    log_in.fits_margin = True  # type: ignore[attr-defined]
    auth.get_auth_ref = log_in


#: What an AccessInfo raises for a token without the field asked for.
_UNSAID = (KeyError, TypeError, ValueError, NotImplementedError)


def lifetime(access: ty.Any) -> float:
    """Seconds a token lives (infinite when it does not say)."""
    try:
        expires, issued = access.expires, access.issued
    except _UNSAID:
        return float('inf')
    if expires is None or issued is None or expires <= issued:
        return float('inf')
    return (expires - issued).total_seconds()


def relogin_at(auth: ty.Any, access: ty.Any) -> float | None:
    """When keystoneauth will log ``auth`` in again, in epoch seconds.

    The token ``access`` is replaced once it expires within the plugin's
    margin (``MIN_TOKEN_LIFE_SECONDS``); None when that is not known (no
    expiry, no margin, a plugin that is not keystoneauth's identity kind).
    """
    margin = getattr(auth, 'MIN_TOKEN_LIFE_SECONDS', None)
    if access is None or not isinstance(margin, (int, float)):
        return None
    try:
        expires = access.expires
    except _UNSAID:
        return None
    if not isinstance(expires, datetime.datetime) or expires.tzinfo is None:
        return None
    return expires.timestamp() - margin
