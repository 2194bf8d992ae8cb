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

"""One small exception hierarchy; every message is one line for a human."""

from __future__ import annotations

import contextlib
import typing as ty

UNSUPPORTED_HINT = (
    'ref_code works only for IBM i and AIX virtual machines, and for IBM i '
    'only on NovaLink-managed hosts')
#: The same, short, after the reason PowerVC gave.
UNSUPPORTED_SHORT_HINT = (
    'ref_code: only for IBM i and AIX, IBM i only on NovaLink hosts')


class RefcodeError(Exception):
    """Base of every error raised by powervc_osc."""

    #: PowerVC's ID of the request that failed (its
    #: ``x-openstack-request-id`` header), which IBM support asks for;
    #: ``None`` when PowerVC sent no answer or no ID.
    request_id: str | None = None


def seconds_text(value: ty.Any) -> str:
    """A duration for a message: ``'5 seconds'``, ``'1 second'``."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 'the time allowed'
    return '%g second%s' % (number, '' if number == 1 else 's')


def with_request_id(message: str, request_id: str | None) -> str:
    """The message, ending with PowerVC's request ID when there is one."""
    if not request_id:
        return message
    return '%s (request ID %s)' % (message, request_id)


class ServerNotFound(RefcodeError):
    """No server matches what the user typed."""

    def __init__(self, server: str) -> None:
        super().__init__('No server with a name or ID of %r exists.' % server)
        self.server = server


class AmbiguousServer(RefcodeError):
    """More than one server has the name the user typed."""

    def __init__(self, server: str, ids: ty.Sequence[str]) -> None:
        super().__init__(
            'More than one server is named %r: %s. Use an ID instead.'
            % (server, ', '.join(ids)))
        self.server = server
        self.ids = list(ids)


class WaitTimeout(RefcodeError):
    """A wait or watch ran out of time."""


class Interrupted(RefcodeError):
    """A bulk operation was stopped (Ctrl-C) before this server was done."""


class CollectionOff(RefcodeError):
    """A wait cannot end: reference-code collection is off for the server."""

    def __init__(self, server: str) -> None:
        super().__init__(
            'Reference-code collection is off for server %s, so no code '
            'will come; turn it on first (openstack server refcode set '
            '--enable %s), which PowerVC allows only for AIX, and for IBM i '
            'on NovaLink-managed hosts.' % (server, server))
        self.server = server


class AdminRequired(RefcodeError):
    """PowerVC refuses or hides from this user what an option needs.

    Nova's policy refuses other projects' servers (``all_tenants``) to a
    user without the admin role (403), which this replaces; it silently
    drops the ``host`` filter for such a user, so the client checks what
    came back and raises this rather than return an answer the filter did
    not shape.
    """

    def __init__(self, option: str, reason: str) -> None:
        super().__init__('Filtering by %s needs the admin role: %s.'
                         % (option.replace('_', ' '), reason))
        #: The ``RefcodeClient.list`` keyword: host, project, all_projects.
        self.option = option
        self.reason = reason


class ConfigurationError(RefcodeError):
    """The cloud configuration (clouds.yaml, environment) is unusable."""


class Failure(ty.NamedTuple):
    """One server that a bulk operation could not handle."""

    server: str
    error: Exception


class PartialFailure(RefcodeError):
    """Raised after a bulk operation handled every server it could."""

    def __init__(self, failures: ty.Sequence[Failure]) -> None:
        super().__init__('%d server(s) failed: %s' % (
            len(failures), '; '.join(str(f.error) for f in failures)))
        self.failures = list(failures)


class BadResponse(RefcodeError):
    """PowerVC answered with something that is not the expected JSON."""

    def __init__(self, message: str, request_id: str | None = None) -> None:
        super().__init__(with_request_id(message, request_id))
        self.request_id = request_id


class CommunicationError(RefcodeError):
    """PowerVC could not be reached, or did not answer in time."""


class HttpError(RefcodeError):
    """PowerVC answered with an HTTP error status."""

    status_code: int = 0
    #: One-line explanation; ``{target}`` names the server, ``{code}`` the
    #: HTTP status.
    template = 'PowerVC refused the request for {target} (HTTP {code})'

    def __init__(self, message: str, server: str | None = None,
                 status_code: int | None = None,
                 details: str | None = None,
                 request_id: str | None = None) -> None:
        super().__init__(message)
        if status_code is not None:
            self.status_code = status_code
        self.server = server
        self.details = details
        self.request_id = request_id


class BadRequest(HttpError):
    """400: PowerVC rejected the request (often: not IBM i or AIX)."""

    status_code = 400
    template = 'PowerVC rejected the request for {target} (HTTP 400).'


class Unauthorized(HttpError):
    """401: the credentials or token were not accepted."""

    status_code = 401
    template = ('PowerVC did not accept the credentials while handling '
                '{target} (HTTP 401); check the cloud\'s auth settings')


class LoginFailed(Unauthorized):
    """Keystone refused the credentials: no request can succeed with them.

    A bulk operation ends at once with this error rather than reporting it
    for every server.
    """


class Forbidden(HttpError):
    """403: the user may not see or change this server."""

    status_code = 403
    template = ('Access to {target} was denied (HTTP 403): this user or '
                'project may not see or change it')


class NotFound(HttpError):
    """404: the server does not exist (any more)."""

    status_code = 404
    template = '{target} was not found (HTTP 404)'


class ServerError(HttpError):
    """5xx: PowerVC failed while answering."""

    status_code = 500
    template = 'PowerVC failed while handling {target} (HTTP {code})'


_BY_STATUS: dict[int, type[HttpError]] = {
    400: BadRequest, 401: Unauthorized, 403: Forbidden, 404: NotFound}


def from_status(status_code: int, server: str | None = None,
                details: str | None = None, retries: int = 0,
                target: str = 'the request',
                refcode_call: bool = False,
                request_id: str | None = None) -> HttpError:
    """Build the error for an HTTP status, naming the server it concerns.

    :param retries: how many times the request was retried before this
        answer (said in the message when there were any).
    :param target: what the request was about when it names no server.
    :param refcode_call: the request read or set ref_code metadata, so a
        400 most likely means ref_code is not supported for the server.
    :param request_id: PowerVC's ID of the request, kept on the error and
        named at the end of its message (what IBM support asks for).
    """
    cls = _BY_STATUS.get(status_code)
    if cls is None:
        cls = ServerError if status_code >= 500 else HttpError
    if server:
        target = 'server %s' % server
    message = cls.template.format(target=target, code=status_code)
    message = message[0].upper() + message[1:]
    hint = cls is BadRequest and refcode_call
    if hint and not details:
        message += ' ' + UNSUPPORTED_HINT + '.'
    if retries:
        message = message.rstrip('.') + ' after %d %s' % (
            retries, 'retry' if retries == 1 else 'retries')
    if details:
        message = message.rstrip('.') + '. PowerVC said: %s' % details
        if hint:
            message += ' (%s)' % UNSUPPORTED_SHORT_HINT
    return cls(with_request_id(message, request_id), server=server,
               status_code=status_code, details=details,
               request_id=request_id)


@contextlib.contextmanager
def not_found_as_server(server: str) -> ty.Iterator[None]:
    """Report a 404 about the user's ``server`` as :class:`ServerNotFound`."""
    try:
        yield
    except NotFound:
        raise ServerNotFound(server)
