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

"""What a failed compute request tells the user: one line, no traceback.

The exceptions keystoneauth and requests raise wrap urllib3's, which wrap
the socket's; the functions here find the reason worth showing and name
the request and what it was about.  PowerVC's own error bodies (Nova,
Keystone, a proxy's page) become one printable line.
"""

from __future__ import annotations

import re
import typing as ty

from keystoneauth1 import exceptions as ks_exc
import requests
import urllib3.exceptions

from powervc_osc import exceptions
from powervc_osc import text


class OutOfTime(exceptions.CommunicationError):
    """A request did not end within the time its caller allowed."""


class Described(ty.Protocol):
    """How a message names a request.

    ``str()`` gives ``GET /servers/x``; ``about`` what it was for
    (``server web-1``).
    """

    about: str


def request_failed(exc: ks_exc.ClientException) -> exceptions.RefcodeError:
    """The error for a request that keystoneauth could not make."""
    if isinstance(exc, ks_exc.EndpointNotFound):
        return exceptions.CommunicationError(
            'No compute endpoint in the service catalog: %s' % exc)
    if isinstance(exc, ks_exc.SSLError):
        return exceptions.CommunicationError(
            'Could not connect to PowerVC: TLS failed (check cacert): '
            '%s' % transport_reason(exc))
    if isinstance(exc, ks_exc.Unauthorized):
        return login_refused(exc)
    return exceptions.CommunicationError(
        'Request to PowerVC failed: %s' % exc)


def login_refused(exc: BaseException) -> exceptions.LoginFailed:
    return exceptions.LoginFailed('Authentication failed: %s' % exc,
                                  status_code=401)


def transport_error(exc: BaseException, request: Described,
                    timeout: float | None, attempts: int,
                    expired: bool = False) -> exceptions.CommunicationError:
    """The one-line error for a request that got no answer at all.

    ``expired``: the watchdog cut the last attempt at its deadline, so
    what the socket then reported is no reason worth showing.
    """
    tried = ' (tried %d times)' % attempts if attempts > 1 else ''
    reason = transport_reason(exc)
    cause = _requests_cause(exc)
    if expired or isinstance(cause, requests.exceptions.ReadTimeout):
        return exceptions.CommunicationError(
            'PowerVC did not answer %s for %s within %s%s; api_timeout '
            'or OS_API_TIMEOUT sets the limit%s' % (
                request, request.about, exceptions.seconds_text(timeout),
                tried, '' if expired else ': ' + reason))
    if isinstance(cause, requests.exceptions.ConnectTimeout) or (
            isinstance(exc, ks_exc.ConnectTimeout) and cause is None):
        return exceptions.CommunicationError(
            'Could not connect to PowerVC for %s within %s%s; api_timeout '
            'or OS_API_TIMEOUT sets the limit: %s' % (
                request.about, exceptions.seconds_text(timeout), tried,
                reason))
    if _connected(cause):
        return broken(request, reason, tried)
    return exceptions.CommunicationError(
        'Could not connect to PowerVC for %s%s: %s'
        % (request.about, tried, reason))


def broken(request: Described, reason: str,
           tried: str = '') -> exceptions.CommunicationError:
    """The error for a connection that broke after it was made."""
    return exceptions.CommunicationError(
        'The connection to PowerVC broke during %s for %s%s: %s'
        % (request, request.about, tried, reason))


def _connected(cause: BaseException | None) -> bool:
    """Whether a connection error came after the connection was made."""
    inner: ty.Any = cause
    for _ in range(4):
        if isinstance(inner, (urllib3.exceptions.NewConnectionError,
                              urllib3.exceptions.ConnectTimeoutError)):
            return False
        if isinstance(inner, (urllib3.exceptions.ProtocolError,
                              ConnectionResetError, ConnectionAbortedError)):
            return True
        nested = inner.args[0] if getattr(inner, 'args', None) else None
        inner = getattr(nested, 'reason', None) or nested
    return False


def transport_reason(exc: BaseException) -> str:
    """The root cause of a transport error, without urllib3's wrapping.

    keystoneauth's message repeats the URL and urllib3's retry bookkeeping;
    the innermost socket or TLS error is what tells the operator why.
    """
    cause = _requests_cause(exc)
    if cause is None:
        return text.one_line(str(exc)) or type(exc).__name__
    inner: ty.Any = cause
    for _ in range(4):
        nested = inner.args[-1] if getattr(inner, 'args', None) else None
        nested = getattr(nested, 'reason', None) or nested
        if not isinstance(nested, BaseException):
            break
        inner = nested
    reason = str(inner) or type(inner).__name__
    # urllib3: "HTTPConnection(host='h', port=1): Failed to establish..."
    reason = re.sub(r'^\w*Connection(Pool)?\(host=[^)]*\): ', '', reason)
    return text.one_line(reason) or str(exc)


def _requests_cause(exc: BaseException) -> BaseException | None:
    """The requests exception behind a keystoneauth one, if any."""
    cause: BaseException | None = exc
    seen = set()
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, requests.exceptions.RequestException):
            return cause
        cause = cause.__cause__ or cause.__context__
    return None


def error_details(response: ty.Any) -> str | None:
    """The human message of a Nova, Keystone or proxy error body.

    It comes on one line: Nova's 500 message spans several.
    """
    try:
        body = response.json()
    except (ValueError, RecursionError):
        page = (response.text or '').strip()
        if not page or '<' in page[:1]:
            return response.reason or None
        return text.one_line(page.splitlines()[0][:200])
    if isinstance(body, dict):
        for value in body.values():
            if isinstance(value, dict) and value.get('message'):
                return text.one_line(value['message'])
        if body.get('message'):
            return text.one_line(body['message'])
    return None
