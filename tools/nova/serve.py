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


"""Serve Nova's compute API (``nova-api``'s WSGI application) on loopback.

Usage::

    python tools/nova/serve.py --config-dir DIR --port-file DIR/port \\
        [--host 127.0.0.1] [--port 0] [--access-log DIR/access.log] \\
        [--wait-for DIR/servers.json] [--broken-server UUID]

``DIR`` holds ``api-paste.ini`` and ``nova.conf``.  The listening socket
is bound *before* Nova is imported and its port written to
``--port-file`` at once; the file gets a second line, ``ready``, once the
application is loaded (requests that arrive before wait in the listen
backlog).  With ``--wait-for``, Nova's code is imported at once but the
application (which opens the databases) is only loaded once that file
exists, so that the servers can be written meanwhile.  SIGTERM and
SIGINT stop the server at any time, also while it waits or loads.

Nova asks Neutron for ports on every server show and list: the same port
also answers ``/stub-neutron/v2.0/<things>`` with an empty list, and
``DIR/neutron.conf`` (written here) points ``[neutron] endpoint_override``
at it.  For the server given by ``--broken-server``, the stub answers a
ports query that names only that server with a body Nova cannot read, so
that Nova fails as it does on an unexpected error (500).

sqlite answers "database is locked" at once to a second writer in some
interleavings, so write requests are served one at a time.  Nova (oslo.
config) parses the command line when it loads: ``sys.argv`` is cleared
and the configuration reaches Nova through ``OS_NOVA_CONFIG_DIR`` and
``OS_NOVA_CONFIG_FILES``.  Only loopback addresses are accepted.
"""

import argparse
import json
import os
import sys
import threading
import time
import urllib.parse

# Started as ``python tools/<name>/serve.py``: tools/ holds loopback_wsgi.
sys.path.insert(
    0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import loopback_wsgi  # noqa: E402

NEUTRON_PREFIX = '/stub-neutron'
NEUTRON_CONF = 'neutron.conf'
CONFIG_FILES = ('api-paste.ini', 'nova.conf', NEUTRON_CONF)


def _json(start_response, body, status='200 OK'):
    data = json.dumps(body).encode()
    start_response(status, [('Content-Type', 'application/json'),
                            ('Content-Length', str(len(data)))])
    return [data]


class OneWriterAtATime:
    """Serve GET and HEAD concurrently, anything else one at a time."""

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        if environ['REQUEST_METHOD'] in ('GET', 'HEAD'):
            return self.app(environ, start_response)
        with self.lock:
            return list(self.app(environ, start_response))


class StubNeutron:
    """``/stub-neutron/v2.0/<things>`` answers ``{"<things>": []}``."""

    def __init__(self, app, broken_server=None):
        self.app = app
        self.broken_server = broken_server

    def __call__(self, environ, start_response):
        path = environ.get('PATH_INFO', '').rstrip('/')
        if not path.startswith(NEUTRON_PREFIX):
            return self.app(environ, start_response)
        if path == NEUTRON_PREFIX:
            return _json(start_response, {'versions': [
                {'id': 'v2.0', 'status': 'CURRENT', 'links': []}]})
        things = path.rsplit('/', 1)[-1].split('.')[0].replace('-', '_')
        query = urllib.parse.parse_qs(environ.get('QUERY_STRING', ''))
        if (self.broken_server and
                query.get('device_id') == [self.broken_server]):
            return _json(start_response, {things: [None]})
        return _json(start_response, {things: []})


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config-dir', required=True)
    loopback_wsgi.add_arguments(
        parser, 'load the application only once PATH exists')
    parser.add_argument('--broken-server', metavar='UUID')
    args = loopback_wsgi.parse_args(parser, argv)

    started = time.monotonic()
    server = loopback_wsgi.LoopbackServer(args)
    port = server.port

    config_dir = os.path.abspath(args.config_dir)
    with open(os.path.join(config_dir, NEUTRON_CONF), 'w') as stream:
        stream.write('[neutron]\nendpoint_override = http://%s:%d%s\n'
                     % (args.host, port, NEUTRON_PREFIX))
    os.environ['OS_NOVA_CONFIG_DIR'] = config_dir
    os.environ['OS_NOVA_CONFIG_FILES'] = ';'.join(CONFIG_FILES)
    # Nova (oslo.config) parses sys.argv: give it nothing to parse.
    sys.argv = sys.argv[:1]

    # Nova's code, without loading the application (the slow part); the
    # threading backend first, as nova.wsgi.osapi_compute does.
    from nova import monkey_patch
    monkey_patch.patch(backend='threading')
    from nova.api.openstack import wsgi_app  # noqa: F401

    if args.wait_for:
        loopback_wsgi.wait_for(args.wait_for, args.wait_timeout)

    from nova.wsgi import osapi_compute

    app = StubNeutron(OneWriterAtATime(osapi_compute.application),
                      args.broken_server)
    return server.serve(app, 'ready %.2f' % (time.monotonic() - started))


if __name__ == '__main__':
    sys.exit(main())
