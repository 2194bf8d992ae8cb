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

"""Serve Keystone's public WSGI application on loopback, for tests.

Usage::

    python tools/keystone/serve.py --config-file DIR/keystone.conf \\
        --port-file DIR/port [--host 127.0.0.1] [--port 0] \\
        [--access-log DIR/access.log] [--wait-for DIR/bootstrap.json]

The listening socket is bound *before* Keystone is imported, and its port
is written to ``--port-file`` at once, so that a bootstrap can register
the identity endpoint while Keystone is imported.  With ``--wait-for``,
the application is only loaded once that file exists (Keystone refuses to
start without its fernet key repository: let the bootstrap create it
first).  ``--port-file`` then gets a second line, ``ready``; requests that
arrive before that wait in the listen backlog.  SIGTERM and SIGINT stop
the server at any time, also while it waits or loads Keystone.

Keystone parses the process command line when it loads its configuration
(oslo.config), so ``sys.argv`` is cleared before Keystone is imported; the
configuration file reaches Keystone through ``OS_KEYSTONE_CONFIG_DIR`` and
``OS_KEYSTONE_CONFIG_FILES``.  Only loopback addresses are accepted.
"""

import argparse
import ipaddress
import os
import signal
import sys
import threading
import time

from werkzeug import serving


def _loopback(host):
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == 'localhost'


def _write(path, text):
    tmp = path + '.tmp'
    with open(tmp, 'w') as stream:
        stream.write(text)
    os.replace(tmp, path)


def _not_ready(environ, start_response):
    start_response('503 Service Unavailable',
                   [('Content-Type', 'text/plain')])
    return [b'keystone is starting\n']


class _Handler(serving.WSGIRequestHandler):
    """One line per request in the access log (or nothing)."""

    access_log = None

    def log_request(self, code='-', size='-'):
        stream = self.access_log
        if stream is not None:
            stream.write('%.3f %s %s\n' % (time.time(), self.requestline,
                                           code))
            stream.flush()

    def log(self, type, message, *args):
        pass


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config-file', required=True)
    parser.add_argument('--port-file', required=True)
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=0)
    parser.add_argument('--access-log')
    parser.add_argument('--wait-for', metavar='PATH',
                        help='load Keystone only once PATH exists')
    parser.add_argument('--wait-timeout', type=float, default=300.0)
    args = parser.parse_args(argv)
    if not _loopback(args.host):
        parser.error('only loopback addresses are allowed: %s' % args.host)

    if args.access_log:
        _Handler.access_log = open(args.access_log, 'a', buffering=1)
    server = serving.make_server(args.host, args.port, _not_ready,
                                 threaded=True, request_handler=_Handler)
    port = server.socket.getsockname()[1]
    serving_started = threading.Event()

    def stop(signum, frame):
        if not serving_started.is_set():
            # Waiting or loading: shutdown() would wait for a
            # serve_forever() that never starts.
            raise SystemExit(128 + signum)
        # shutdown() waits for serve_forever(): call it from a thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    _write(args.port_file, '%d\n' % port)

    config = os.path.abspath(args.config_file)
    os.environ['OS_KEYSTONE_CONFIG_DIR'] = os.path.dirname(config)
    os.environ['OS_KEYSTONE_CONFIG_FILES'] = os.path.basename(config)
    # Keystone (oslo.config) parses sys.argv: give it nothing to parse.
    sys.argv = sys.argv[:1]

    from keystone.server import wsgi

    if args.wait_for:
        deadline = time.monotonic() + args.wait_timeout
        while not os.path.exists(args.wait_for):
            if time.monotonic() > deadline:
                sys.exit('%s did not appear within %gs'
                         % (args.wait_for, args.wait_timeout))
            time.sleep(0.05)
    server.app = wsgi.initialize_public_application()
    _write(args.port_file, '%d\nready\n' % port)
    serving_started.set()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
