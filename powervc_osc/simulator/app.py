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

"""The simulator's WSGI application (Werkzeug).

URLs (``{base}`` is ``http://host:port``):

* ``{base}/powervc/openstack/identity/`` and ``.../identity/v3``: Keystone
  version documents; ``POST|GET|HEAD|DELETE .../identity/v3/auth/tokens``.
* ``{base}/powervc/openstack/compute/`` and ``.../compute/v2.1``: Nova
  version documents (no token needed).
* ``{base}/powervc/openstack/compute/v2.1/{project_id}/...``: ``servers``,
  ``servers/detail``, ``servers/{id}``, ``servers/{id}/metadata``,
  ``servers/{id}/metadata/{key}``, ``servers/{id}/os-volume_attachments``,
  ``servers/{id}/ips``, ``flavors``, ``flavors/detail``, ``flavors/{id}``,
  ``flavors/{id}/os-extra_specs``.  A valid ``X-Auth-Token`` is needed.
* ``{base}/_sim/...``: the control API (loopback clients only, no token):
  ``GET|DELETE requests``, ``GET|POST|DELETE faults``,
  ``POST tokens/revoke``, ``POST clock`` (``{"advance": seconds}``),
  ``GET|POST servers`` (``POST`` takes :meth:`SimulatorState.add_server`
  arguments).

Faults (:class:`Fault`) match a request by method and a regular expression
searched in its path; they answer a given status and body, delay the
answer, or close the connection without an answer (``reset``).  Random
``503`` answers (``error_rate``) only hit the project-scoped compute API,
never the version documents or the identity service.
"""

import dataclasses
import hashlib
import ipaddress
import json
import logging
import random
import re
import socket
import struct
import threading
import time
import typing
import urllib.parse
import uuid

from werkzeug import exceptions as wz_exc
from werkzeug import routing
from werkzeug import wrappers

from powervc_osc.simulator import identity
from powervc_osc.simulator import state as sim_state

LOG = logging.getLogger(__name__)

MIN_VERSION = (2, 1)
MAX_VERSION = (2, 88)
MAX_BODY = 64 * 1024

IDENTITY = identity.IDENTITY_PATH
COMPUTE = identity.COMPUTE_PATH
API = COMPUTE + '/v2.1/<project_id>'

NOVA_FAULT_NAMES = {400: 'badRequest', 401: 'unauthorized',
                    403: 'forbidden', 404: 'itemNotFound',
                    405: 'badMethod', 409: 'conflictingRequest',
                    413: 'overLimit', 415: 'badMediaType',
                    429: 'overLimit', 501: 'notImplemented',
                    503: 'serviceUnavailable'}

STATUS_RESET = 0


class Request(wrappers.Request):
    max_content_length = MAX_BODY


class RequestRecord(tuple):
    """A logged request: a ``(method, path, status)`` tuple.

    Extra attributes: ``query`` (the raw query string), ``started`` and
    ``finished`` (``time.monotonic()`` values, to check concurrency) and
    ``fault`` (True when a fault or ``error_rate`` answered).  ``status``
    is 0 when the connection was closed without an answer.
    """

    def __new__(cls, method, path, status, query='', started=0.0,
                finished=0.0, fault=False):
        self = super().__new__(cls, (method, path, status))
        self.query = query
        self.started = started
        self.finished = finished
        self.fault = fault
        return self

    method = property(lambda self: self[0])
    path = property(lambda self: self[1])
    status = property(lambda self: self[2])

    def to_dict(self):
        return {'method': self.method, 'path': self.path,
                'status': self.status, 'query': self.query,
                'started': self.started, 'finished': self.finished,
                'fault': self.fault}


class RequestLog:
    """A thread-safe list of :class:`RequestRecord`."""

    def __init__(self):
        self._lock = threading.Lock()
        self._records = []

    def append(self, record):
        with self._lock:
            self._records.append(record)

    def clear(self):
        with self._lock:
            self._records.clear()

    def snapshot(self):
        with self._lock:
            return list(self._records)

    def __iter__(self):
        return iter(self.snapshot())

    def __len__(self):
        with self._lock:
            return len(self._records)

    def __getitem__(self, index):
        with self._lock:
            return self._records[index]


@dataclasses.dataclass
class Fault:
    """A targeted fault.

    :param path: a regular expression searched in the request path.
    :param method: an HTTP method, or None for any.
    :param status: answer this status (None: answer normally).
    :param body: the answer body (default: a JSON error of the service).
    :param content_type: of ``body`` (default ``application/json``).
    :param headers: extra answer headers.
    :param count: how many requests it hits (None: all of them).
    :param delay_ms: sleep this long first.
    :param reset: close the connection without an answer.
    """

    path: str = ''
    method: typing.Optional[str] = None
    status: typing.Optional[int] = None
    body: typing.Optional[str] = None
    content_type: typing.Optional[str] = None
    headers: dict = dataclasses.field(default_factory=dict)
    count: typing.Optional[int] = None
    delay_ms: float = 0
    reset: bool = False
    id: int = 0
    hits: int = 0

    FIELDS = ('path', 'method', 'status', 'body', 'content_type',
              'headers', 'count', 'delay_ms', 'reset')

    @classmethod
    def from_dict(cls, data):
        if not isinstance(data, dict):
            raise ValueError('a fault must be a JSON object')
        unknown = set(data) - set(cls.FIELDS)
        if unknown:
            raise ValueError('unknown fault fields: %s'
                             % ', '.join(sorted(unknown)))
        fault = cls(**data)
        fault.validate()
        return fault

    def validate(self):
        re.compile(self.path or '')
        if self.status is None and not self.delay_ms and not self.reset:
            raise ValueError('a fault needs status, delay_ms or reset')
        if self.status is not None and not 100 <= int(self.status) <= 599:
            raise ValueError('status must be an HTTP status code')
        if self.count is not None and int(self.count) < 1:
            raise ValueError('count must be positive')
        if self.body is not None and not isinstance(self.body, str):
            raise ValueError('body must be a string')

    def matches(self, method, path):
        if self.method and self.method.upper() != method.upper():
            return False
        return re.search(self.path or '', path) is not None

    def to_dict(self):
        data = {name: getattr(self, name) for name in self.FIELDS}
        data.update(id=self.id, hits=self.hits)
        return data


class FaultList:
    """Thread-safe targeted faults; the first matching one wins."""

    def __init__(self):
        self._lock = threading.Lock()
        self._faults = []
        self._next_id = 1

    def add(self, fault=None, **kwargs):
        """Add a :class:`Fault` (or its fields as keyword arguments)."""
        if fault is None:
            fault = Fault.from_dict(kwargs)
        elif isinstance(fault, dict):
            fault = Fault.from_dict(fault)
        else:
            fault.validate()
        with self._lock:
            fault.id = self._next_id
            self._next_id += 1
            self._faults.append(fault)
        return fault

    def clear(self):
        with self._lock:
            self._faults.clear()

    def snapshot(self):
        with self._lock:
            return [dataclasses.replace(f) for f in self._faults]

    def take(self, method, path):
        """The first fault matching, consuming one of its ``count``."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.hits += 1
                    if fault.count is not None:
                        fault.count -= 1
                        if fault.count <= 0:
                            self._faults.remove(fault)
                    return dataclasses.replace(fault)
        return None


def json_response(data, status=200, headers=None):
    body = '' if data is None else json.dumps(data)
    return wrappers.Response(
        body, status=status, headers=headers,
        content_type='application/json' if data is not None else None)


def nova_error(code, message, headers=None):
    kind = NOVA_FAULT_NAMES.get(code, 'computeFault')
    return json_response({kind: {'code': code, 'message': message}},
                         status=code, headers=headers)


def keystone_error(error, headers=None):
    return json_response(error.body(), status=error.code, headers=headers)


class ComputeUnauthorized(Exception):
    pass


def _iso(epoch):
    return sim_state.format_time(epoch)


def _parse_version(text):
    match = re.fullmatch(r'\s*(\d+)\.(\d+)\s*', text)
    if not match:
        return None
    return int(match.group(1)), int(match.group(2))


def parse_microversion(headers):
    """The requested compute microversion as a tuple.

    :raises SimulatorError: 400 (malformed) or 406 (unsupported).
    """
    value = None
    header = headers.get('OpenStack-API-Version')
    if header:
        for item in header.split(','):
            parts = item.strip().split(None, 1)
            if len(parts) == 2 and parts[0].lower() == 'compute':
                value = parts[1]
    if value is None:
        value = headers.get('X-OpenStack-Nova-API-Version')
    if not value:
        return MIN_VERSION
    if value.strip().lower() == 'latest':
        return MAX_VERSION
    version = _parse_version(value)
    if version is None:
        error = sim_state.BadRequest(
            'API Version String %s is of invalid format. Must be of format '
            'MajorNum.MinorNum.' % value)
        raise error
    if not MIN_VERSION <= version <= MAX_VERSION:
        error = sim_state.SimulatorError(
            'Version %d.%d is not supported by the API. Minimum is %d.%d '
            'and maximum is %d.%d.' % (version + MIN_VERSION + MAX_VERSION))
        error.code = 406
        raise error
    return version


def _version_str(version):
    return '%d.%d' % version


class SimulatorApp:
    """The WSGI application.

    :param state: a :class:`~powervc_osc.simulator.state.SimulatorState`.
    :param tokens: a :class:`~powervc_osc.simulator.identity.TokenStore`.
    :param latency_ms: sleep before answering identity and compute calls.
    :param error_rate: probability of a 503 on project-scoped compute
        calls (seeded by ``seed``).
    :param admin_only_host: show the ``OS-EXT-SRV-ATTR:*`` attributes
        only to admins (Nova's default policy).
    :param sleep: the function used to sleep (tests may replace it).
    """

    def __init__(self, state, tokens, latency_ms=0, error_rate=0.0,
                 seed=0, admin_only_host=True, sleep=time.sleep):
        self.state = state
        self.tokens = tokens
        self.latency_ms = float(latency_ms)
        self.error_rate = float(error_rate)
        self.admin_only_host = admin_only_host
        self.requests = RequestLog()
        self.faults = FaultList()
        self._sleep = sleep
        # Simulated faults, not security.
        self._rng = random.Random('errors/%s' % seed)  # nosec B311
        self._rng_lock = threading.Lock()
        self.url_map = self._build_map()

    # -- routing ------------------------------------------------------

    def _build_map(self):
        R = routing.Rule
        rules = [
            R('/', endpoint='root'),
            R(IDENTITY, endpoint='identity_versions'),
            R(IDENTITY + '/', endpoint='identity_versions'),
            R(IDENTITY + '/v3', endpoint='identity_version'),
            R(IDENTITY + '/v3/', endpoint='identity_version'),
            R(IDENTITY + '/v3/auth/tokens', endpoint='tokens',
              methods=['GET', 'HEAD', 'POST', 'DELETE']),
            R(COMPUTE, endpoint='compute_versions'),
            R(COMPUTE + '/', endpoint='compute_versions'),
            R(COMPUTE + '/v2.1', endpoint='compute_version'),
            R(COMPUTE + '/v2.1/', endpoint='compute_version'),
            R(API, endpoint='compute_version_project'),
            R(API + '/', endpoint='compute_version_project'),
            R(API + '/servers', endpoint='servers', methods=['GET']),
            R(API + '/servers/detail', endpoint='servers_detail',
              methods=['GET']),
            R(API + '/servers/<server_id>', endpoint='server',
              methods=['GET']),
            R(API + '/servers/<server_id>/metadata', endpoint='metadata',
              methods=['GET', 'POST', 'PUT']),
            R(API + '/servers/<server_id>/metadata/<path:key>',
              endpoint='metadata_item', methods=['GET', 'PUT', 'DELETE']),
            R(API + '/servers/<server_id>/os-volume_attachments',
              endpoint='volume_attachments', methods=['GET']),
            R(API + '/servers/<server_id>/ips', endpoint='ips',
              methods=['GET']),
            R(API + '/flavors', endpoint='flavors', methods=['GET']),
            R(API + '/flavors/detail', endpoint='flavors_detail',
              methods=['GET']),
            R(API + '/flavors/<flavor_id>', endpoint='flavor',
              methods=['GET']),
            R(API + '/flavors/<flavor_id>/os-extra_specs',
              endpoint='flavor_extra_specs', methods=['GET']),
            R('/_sim/requests', endpoint='sim_requests',
              methods=['GET', 'DELETE']),
            R('/_sim/faults', endpoint='sim_faults',
              methods=['GET', 'POST', 'DELETE']),
            R('/_sim/tokens/revoke', endpoint='sim_revoke',
              methods=['POST']),
            R('/_sim/clock', endpoint='sim_clock', methods=['POST']),
            R('/_sim/servers', endpoint='sim_servers',
              methods=['GET', 'POST']),
        ]
        return routing.Map(rules, strict_slashes=False,
                           merge_slashes=False)

    # -- WSGI ---------------------------------------------------------

    def __call__(self, environ, start_response):
        request = Request(environ)
        started = time.monotonic()
        path = request.path
        if path.startswith('/_sim'):
            response = self._control(request)
            return response(environ, start_response)
        fault = self.faults.take(request.method, path)
        from_fault = fault is not None
        response = None
        if fault is not None:
            if fault.delay_ms:
                self._sleep(fault.delay_ms / 1000.0)
            if fault.reset:
                self._reset(environ)
                self._log(request, STATUS_RESET, started, True)
                response = wrappers.Response(b'', status=500)
                return response(environ, start_response)
            if fault.status is not None:
                response = self._fault_response(request, fault)
            else:
                from_fault = False
        if response is None:
            if self.latency_ms and (path.startswith(IDENTITY) or
                                    path.startswith(COMPUTE)):
                self._sleep(self.latency_ms / 1000.0)
            if self._random_error(path):
                from_fault = True
                response = nova_error(
                    503, 'The server is currently unavailable. Please try '
                    'again at a later time. (simulated)')
            else:
                response = self._dispatch(request)
        response.headers.setdefault(
            'X-OpenStack-Request-Id', 'req-%s' % uuid.uuid4())
        self._log(request, response.status_code, started, from_fault)
        return response(environ, start_response)

    def _log(self, request, status, started, fault):
        self.requests.append(RequestRecord(
            request.method, request.path, status,
            query=request.query_string.decode('latin-1'),
            started=started, finished=time.monotonic(), fault=fault))

    @staticmethod
    def _reset(environ):
        sock = environ.get('werkzeug.socket')
        if sock is None:
            return
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                            struct.pack('ii', 1, 0))
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _random_error(self, path):
        if self.error_rate <= 0 or not path.startswith(COMPUTE + '/v2.1/'):
            return False
        rest = path[len(COMPUTE + '/v2.1/'):].strip('/')
        if '/' not in rest:
            return False      # a version document
        with self._rng_lock:
            return self._rng.random() < self.error_rate

    def _fault_response(self, request, fault):
        status = int(fault.status)
        headers = dict(fault.headers or {})
        if fault.body is not None:
            return wrappers.Response(
                fault.body, status=status, headers=headers,
                content_type=fault.content_type or 'application/json')
        if request.path.startswith(IDENTITY):
            error = identity.IdentityError(
                status, 'Error', 'Simulated fault (%d).' % status)
            return keystone_error(error, headers=headers)
        return nova_error(status, 'Simulated fault (%d).' % status,
                          headers=headers)

    def _dispatch(self, request):
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except wz_exc.MethodNotAllowed as exc:
            response = nova_error(405, 'The method is not allowed for the '
                                       'requested URL.')
            response.headers['Allow'] = ', '.join(exc.valid_methods or ())
            return response
        except wz_exc.HTTPException as exc:
            if request.path.startswith(IDENTITY):
                return keystone_error(identity.IdentityError(
                    404, 'Not Found', 'The resource could not be found.'))
            return nova_error(getattr(exc, 'code', 404) or 404,
                              'The resource could not be found.')
        handler = getattr(self, 'on_' + endpoint)
        try:
            if endpoint in ('servers', 'servers_detail', 'server',
                            'metadata', 'metadata_item', 'flavors',
                            'flavors_detail', 'flavor',
                            'flavor_extra_specs', 'volume_attachments',
                            'ips'):
                return self._compute(request, handler, args)
            return handler(request, **args)
        except identity.IdentityError as exc:
            return keystone_error(exc)
        except sim_state.SimulatorError as exc:
            return nova_error(exc.code, exc.message)
        except wz_exc.RequestEntityTooLarge:
            return nova_error(413, 'Request is too large.')
        except Exception:
            LOG.exception('Unexpected error in %s %s', request.method,
                          request.path)
            return nova_error(500, 'Unexpected API Error. (simulated '
                                   'PowerVC: see the simulator log)')

    # -- compute plumbing ---------------------------------------------

    def _compute(self, request, handler, args):
        headers = {}
        try:
            version = parse_microversion(request.headers)
        except sim_state.SimulatorError as exc:
            return nova_error(exc.code, exc.message)
        version_str = _version_str(version)
        headers = {
            'OpenStack-API-Version': 'compute %s' % version_str,
            'X-OpenStack-Nova-API-Version': version_str,
            'Vary': 'OpenStack-API-Version, X-OpenStack-Nova-API-Version',
        }
        try:
            ctx = self._context(request, args['project_id'])
            response = handler(request, ctx, version, **args)
        except ComputeUnauthorized:
            identity_url = request.host_url.rstrip('/') + IDENTITY + '/v3'
            error = identity.unauthorized()
            headers['WWW-Authenticate'] = 'Keystone uri="%s"' % identity_url
            return keystone_error(error, headers=headers)
        except sim_state.SimulatorError as exc:
            return nova_error(exc.code, exc.message, headers=headers)
        except wz_exc.RequestEntityTooLarge:
            return nova_error(413, 'Request is too large.', headers=headers)
        for key, value in headers.items():
            response.headers[key] = value
        return response

    def _context(self, request, project_id):
        info = self.tokens.validate(request.headers.get('X-Auth-Token'))
        if info is None:
            raise ComputeUnauthorized()
        ctx = info.context()
        if project_id != ctx.project_id and not ctx.is_admin:
            raise sim_state.Forbidden(
                "Project %s in the URL does not match the token's project."
                % project_id)
        return ctx

    @staticmethod
    def _json(request):
        data = request.get_data(cache=True)
        if not data:
            raise sim_state.BadRequest('Malformed request body')
        try:
            return json.loads(data)
        except ValueError:
            raise sim_state.BadRequest('Malformed request body')

    def _metadata_body(self, request):
        body = self._json(request)
        if (not isinstance(body, dict) or set(body) != {'metadata'} or
                not isinstance(body['metadata'], dict)):
            raise sim_state.BadRequest('Malformed request body')
        return body['metadata']

    @staticmethod
    def _roots(request):
        host = request.host_url.rstrip('/')
        return host + COMPUTE

    def _links(self, request, project_id, kind, item_id):
        root = self._roots(request)
        return [
            {'rel': 'self', 'href': '%s/v2.1/%s/%s/%s'
             % (root, project_id, kind, item_id)},
            {'rel': 'bookmark', 'href': '%s/%s/%s/%s'
             % (root, project_id, kind, item_id)},
        ]

    # -- views --------------------------------------------------------

    def _flavor_view(self, request, ctx, version, flavor, project_id):
        if version >= (2, 47):
            view = {'vcpus': flavor.vcpus, 'ram': flavor.ram,
                    'disk': flavor.disk, 'ephemeral': 0, 'swap': 0,
                    'original_name': flavor.name}
            if ctx.is_admin or not self.admin_only_host:
                view['extra_specs'] = dict(flavor.extra_specs)
            return view
        return {'id': flavor.id,
                'links': self._links(request, project_id, 'flavors',
                                     flavor.id)[1:]}

    def _server_view(self, request, ctx, version, server, project_id,
                     detail=True):
        links = self._links(request, project_id, 'servers', server.id)
        if not detail:
            return {'id': server.id, 'name': server.name, 'links': links}
        host_id = hashlib.sha224(
            (server.project_id + server.host).encode()).hexdigest()
        view = {
            'id': server.id,
            'name': server.name,
            'status': server.status,
            'tenant_id': server.project_id,
            'user_id': server.user_id,
            'metadata': dict(server.metadata),
            'hostId': host_id,
            'image': '',
            'flavor': self._flavor_view(request, ctx, version,
                                        server.flavor, project_id),
            'created': _iso(server.created),
            'updated': _iso(server.updated),
            'addresses': {},
            'accessIPv4': '',
            'accessIPv6': '',
            'links': links,
            'OS-DCF:diskConfig': 'MANUAL',
            'progress': 0,
            'OS-EXT-AZ:availability_zone': server.availability_zone,
            'config_drive': '',
            'key_name': None,
            'OS-SRV-USG:launched_at': _iso(server.created)[:-1] + '.000000',
            'OS-SRV-USG:terminated_at': None,
            'OS-EXT-STS:task_state': None,
            'OS-EXT-STS:vm_state': server.vm_state,
            'OS-EXT-STS:power_state': server.power_state,
            'os-extended-volumes:volumes_attached': [],
            'security_groups': [{'name': 'default'}],
        }
        if ctx.is_admin or not self.admin_only_host:
            view.update({
                'OS-EXT-SRV-ATTR:host': server.host,
                'OS-EXT-SRV-ATTR:hypervisor_hostname':
                    server.hypervisor_hostname,
                'OS-EXT-SRV-ATTR:instance_name': server.instance_name,
            })
            if version >= (2, 3):
                view.update({
                    'OS-EXT-SRV-ATTR:hostname': server.name,
                    'OS-EXT-SRV-ATTR:reservation_id': 'r-%s'
                    % server.id[:8],
                    'OS-EXT-SRV-ATTR:launch_index': 0,
                    'OS-EXT-SRV-ATTR:kernel_id': '',
                    'OS-EXT-SRV-ATTR:ramdisk_id': '',
                    'OS-EXT-SRV-ATTR:root_device_name': '/dev/sda',
                    'OS-EXT-SRV-ATTR:user_data': None,
                })
            if version >= (2, 16):
                view['host_status'] = 'UP'
        if version >= (2, 9):
            view['locked'] = False
        if version >= (2, 19):
            view['description'] = None
        if version >= (2, 26):
            view['tags'] = []
        if version >= (2, 63):
            view['trusted_image_certificates'] = None
        if version >= (2, 73):
            view['locked_reason'] = None
        # PowerVC-flavoured extras (ignored by Nova clients).
        view['powervc:os_type'] = server.os_type
        view['powervc:host_manager'] = server.manager
        return view

    # -- compute handlers ---------------------------------------------

    def _list(self, request, ctx, version, project_id, detail):
        args = request.args
        all_tenants = False
        if 'all_tenants' in args:
            value = args.get('all_tenants', '').strip().lower()
            if value in ('', '1', 'true', 't', 'yes', 'y', 'on'):
                all_tenants = True
            elif value in ('0', 'false', 'f', 'no', 'n', 'off'):
                all_tenants = False
            else:
                raise sim_state.BadRequest(
                    "Invalid input for all_tenants: '%s'" % value)
        limit = None
        if 'limit' in args:
            try:
                limit = int(args['limit'])
            except ValueError:
                raise sim_state.BadRequest('limit param must be an integer')
            if limit < 0:
                raise sim_state.BadRequest('limit param must be positive')
        filter_project = args.get('project_id') or args.get('tenant_id')
        servers, next_marker = self.state.list_servers(
            ctx, name=args.get('name'), host=args.get('host'),
            status=args.getlist('status') or None,
            all_tenants=all_tenants, project_id=filter_project,
            limit=limit, marker=args.get('marker'))
        body = {'servers': [
            self._server_view(request, ctx, version, s, project_id,
                              detail=detail) for s in servers]}
        if next_marker is not None:
            query = [(k, v) for k, v in args.items(multi=True)
                     if k != 'marker']
            query.append(('marker', next_marker))
            href = '%s?%s' % (request.base_url,
                              urllib.parse.urlencode(query))
            body['servers_links'] = [{'rel': 'next', 'href': href}]
        return json_response(body)

    def on_servers(self, request, ctx, version, project_id):
        return self._list(request, ctx, version, project_id, False)

    def on_servers_detail(self, request, ctx, version, project_id):
        return self._list(request, ctx, version, project_id, True)

    def on_server(self, request, ctx, version, project_id, server_id):
        server = self.state.get_server(ctx, server_id)
        return json_response({'server': self._server_view(
            request, ctx, version, server, project_id)})

    def on_metadata(self, request, ctx, version, project_id, server_id):
        if request.method == 'GET':
            metadata = self.state.get_metadata(ctx, server_id)
        elif request.method == 'POST':
            metadata = self.state.update_metadata(
                ctx, server_id, self._metadata_body(request))
        else:
            metadata = self.state.replace_metadata(
                ctx, server_id, self._metadata_body(request))
        return json_response({'metadata': metadata})

    def on_metadata_item(self, request, ctx, version, project_id,
                         server_id, key):
        if request.method == 'GET':
            value = self.state.get_metadata_item(ctx, server_id, key)
            return json_response({'meta': {key: value}})
        if request.method == 'DELETE':
            self.state.delete_metadata_item(ctx, server_id, key)
            return wrappers.Response(status=204)
        body = self._json(request)
        if (not isinstance(body, dict) or set(body) != {'meta'} or
                not isinstance(body['meta'], dict)):
            raise sim_state.BadRequest('Malformed request body')
        meta = body['meta']
        if len(meta) > 1:
            raise sim_state.BadRequest('Request body contains too many '
                                       'items')
        if key not in meta:
            raise sim_state.BadRequest('Request body and URI mismatch')
        value = self.state.set_metadata_item(ctx, server_id, key, meta[key])
        return json_response({'meta': {key: value}})

    def on_volume_attachments(self, request, ctx, version, project_id,
                              server_id):
        self.state.get_server(ctx, server_id)
        return json_response({'volumeAttachments': []})

    def on_ips(self, request, ctx, version, project_id, server_id):
        self.state.get_server(ctx, server_id)
        return json_response({'addresses': {}})

    def _flavor_detail(self, request, project_id, flavor, version):
        view = {
            'id': flavor.id, 'name': flavor.name, 'ram': flavor.ram,
            'disk': flavor.disk, 'vcpus': flavor.vcpus, 'swap': 0,
            'OS-FLV-EXT-DATA:ephemeral': 0,
            'OS-FLV-DISABLED:disabled': False,
            'os-flavor-access:is_public': True, 'rxtx_factor': 1.0,
            'links': self._links(request, project_id, 'flavors',
                                 flavor.id),
        }
        if version >= (2, 55):
            view['description'] = None
        if version >= (2, 61):
            view['extra_specs'] = dict(flavor.extra_specs)
        return view

    def on_flavors(self, request, ctx, version, project_id):
        flavors = [{'id': f.id, 'name': f.name,
                    'links': self._links(request, project_id, 'flavors',
                                         f.id)}
                   for f in self.state.flavors()]
        return json_response({'flavors': flavors})

    def on_flavors_detail(self, request, ctx, version, project_id):
        return json_response({'flavors': [
            self._flavor_detail(request, project_id, f, version)
            for f in self.state.flavors()]})

    def _find_flavor(self, flavor_id):
        for flavor in self.state.flavors():
            if flavor.id == flavor_id:
                return flavor
        raise sim_state.NotFound('Flavor %s could not be found.'
                                 % flavor_id)

    def on_flavor(self, request, ctx, version, project_id, flavor_id):
        flavor = self._find_flavor(flavor_id)
        return json_response({'flavor': self._flavor_detail(
            request, project_id, flavor, version)})

    def on_flavor_extra_specs(self, request, ctx, version, project_id,
                              flavor_id):
        flavor = self._find_flavor(flavor_id)
        return json_response({'extra_specs': dict(flavor.extra_specs)})

    # -- version documents --------------------------------------------

    def _compute_version_doc(self, request):
        root = self._roots(request)
        return {
            'id': 'v2.1', 'status': 'CURRENT',
            'version': _version_str(MAX_VERSION),
            'min_version': _version_str(MIN_VERSION),
            'updated': '2013-07-23T11:33:21Z',
            'links': [{'rel': 'self', 'href': root + '/v2.1/'},
                      {'rel': 'describedby', 'type': 'text/html',
                       'href': 'http://docs.openstack.org/'}],
            'media-types': [{
                'base': 'application/json',
                'type': 'application/vnd.openstack.compute+json;'
                        'version=2.1'}],
        }

    def on_compute_versions(self, request):
        doc = self._compute_version_doc(request)
        doc.pop('media-types')
        doc['links'] = doc['links'][:1]
        return json_response({'versions': [doc]})

    def on_compute_version(self, request):
        return json_response({'version': self._compute_version_doc(
            request)})

    def on_compute_version_project(self, request, project_id):
        return self.on_compute_version(request)

    def _identity_version_doc(self, request):
        root = request.host_url.rstrip('/') + IDENTITY
        return {
            'id': 'v3.14', 'status': 'stable',
            'updated': '2020-04-07T00:00:00Z',
            'links': [{'rel': 'self', 'href': root + '/v3/'}],
            'media-types': [{
                'base': 'application/json',
                'type': 'application/vnd.openstack.identity-v3+json'}],
        }

    def on_identity_versions(self, request):
        return json_response(
            {'versions': {'values': [self._identity_version_doc(request)]}},
            status=300)

    def on_identity_version(self, request):
        return json_response({'version': self._identity_version_doc(
            request)})

    # -- identity -----------------------------------------------------

    def on_tokens(self, request):
        if request.method == 'POST':
            try:
                body = json.loads(request.get_data(cache=True) or b'null')
            except ValueError:
                raise identity.bad_request('Malformed request body')
            host = request.host_url.rstrip('/')
            info = self.tokens.authenticate(
                body, host + IDENTITY + '/v3', host + COMPUTE + '/v2.1')
            return json_response(info.body, status=201,
                                 headers={'X-Subject-Token': info.id})
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
            return wrappers.Response(status=204)
        if request.method == 'HEAD':
            return wrappers.Response(status=200,
                                     headers={'X-Subject-Token': subject_id})
        return json_response(subject.body,
                             headers={'X-Subject-Token': subject_id})

    def on_root(self, request):
        host = request.host_url.rstrip('/')
        return json_response({
            'simulator': 'powervc-osc-simulator',
            'identity': host + IDENTITY + '/v3',
            'compute': host + COMPUTE + '/v2.1',
            'control': host + '/_sim',
        })

    # -- control API --------------------------------------------------

    @staticmethod
    def _is_loopback(request):
        try:
            return ipaddress.ip_address(request.remote_addr).is_loopback
        except ValueError:
            return False

    def _control(self, request):
        if not self._is_loopback(request):
            return nova_error(403, 'The control API only answers loopback '
                                   'clients.')
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
            return getattr(self, 'on_' + endpoint)(request, **args)
        except wz_exc.HTTPException as exc:
            return nova_error(exc.code or 404, exc.description or '')
        except (ValueError, TypeError, KeyError, re.error) as exc:
            return nova_error(400, str(exc))

    def on_sim_requests(self, request):
        if request.method == 'DELETE':
            self.requests.clear()
            return wrappers.Response(status=204)
        return json_response({'requests': [
            r.to_dict() for r in self.requests.snapshot()]})

    def on_sim_faults(self, request):
        if request.method == 'DELETE':
            self.faults.clear()
            return wrappers.Response(status=204)
        if request.method == 'POST':
            body = json.loads(request.get_data(cache=True) or b'null')
            if isinstance(body, dict) and 'faults' in body:
                body = body['faults']
            items = body if isinstance(body, list) else [body]
            faults = [Fault.from_dict(item) for item in items]
            added = [self.faults.add(f).to_dict() for f in faults]
            return json_response({'faults': added}, status=201)
        return json_response({'faults': [
            f.to_dict() for f in self.faults.snapshot()]})

    def on_sim_revoke(self, request):
        return json_response({'revoked': self.tokens.revoke_all()})

    def on_sim_clock(self, request):
        body = json.loads(request.get_data(cache=True) or b'{}')
        self.state.advance(float(body.get('advance', 0)))
        return json_response({'offset_applied': body.get('advance', 0)})

    def on_sim_servers(self, request):
        if request.method == 'POST':
            body = json.loads(request.get_data(cache=True) or b'null')
            if not isinstance(body, dict):
                raise ValueError('expected a JSON object')
            server = self.state.add_server(**body)
            data = {'server': {'id': server.id, 'name': server.name}}
            return json_response(data, status=201)
        return json_response({'servers': [
            {'id': s.id, 'name': s.name, 'os_type': s.os_type,
             'host': s.host, 'manager': s.manager,
             'project_id': s.project_id, 'status': s.status,
             'metadata': s.metadata}
            for s in self.state.servers()]})
