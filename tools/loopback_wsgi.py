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

"""The loopback WSGI server that ``tools/*/serve.py`` share.

The socket is bound and its port written to ``--port-file`` at once; the
application is set later and the file gets a second line (``ready ...``)
when serving starts.  SIGTERM and SIGINT stop the server at any time,
also before serving starts.  Only loopback addresses are accepted.

The scripts run as ``python tools/<name>/serve.py``: they put ``tools/``
on ``sys.path`` to import this module.
"""

import ipaddress
import os
import signal
import sys
import threading
import time

from werkzeug import serving


def add_arguments(parser, wait_for_help):
    """The options every serve.py takes."""
    parser.add_argument('--port-file', required=True)
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=0)
    parser.add_argument('--access-log')
    parser.add_argument('--wait-for', metavar='PATH', help=wait_for_help)
    parser.add_argument('--wait-timeout', type=float, default=300.0)


def parse_args(parser, argv=None):
    """``parser.parse_args``; a usage error for a non-loopback host."""
    args = parser.parse_args(argv)
    if not _loopback(args.host):
        parser.error('only loopback addresses are allowed: %s' % args.host)
    return args


def _loopback(host):
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == 'localhost'


def write_atomic(path, text):
    tmp = path + '.tmp'
    with open(tmp, 'w') as stream:
        stream.write(text)
    os.replace(tmp, path)


def wait_for(path, timeout):
    """Sleep until ``path`` exists; exit if it does not in ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            sys.exit('%s did not appear within %gs' % (path, timeout))
        time.sleep(0.05)


def _handler(access_log):
    class Handler(serving.WSGIRequestHandler):
        """One line per request in the access log (or nothing)."""

        def log_request(self, code='-', size='-'):
            if access_log is not None:
                access_log.write('%.3f %s %s\n' % (time.time(),
                                                   self.requestline, code))
                access_log.flush()

        def log(self, type, message, *args):
            pass

    return Handler


class LoopbackServer:
    """Bind ``args.host:args.port``, handle the signals, write the port."""

    def __init__(self, args, app=None):
        self.port_file = args.port_file
        access_log = None
        if args.access_log:
            access_log = open(args.access_log, 'a', buffering=1)
        self.server = serving.make_server(
            args.host, args.port, app, threaded=True,
            request_handler=_handler(access_log))
        self.port = self.server.socket.getsockname()[1]
        self._serving = threading.Event()
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        write_atomic(self.port_file, '%d\n' % self.port)

    def _stop(self, signum, frame):
        if not self._serving.is_set():
            # Waiting or loading: shutdown() would wait for a
            # serve_forever() that never starts.
            raise SystemExit(128 + signum)
        # shutdown() waits for serve_forever(): call it from a thread.
        threading.Thread(target=self.server.shutdown, daemon=True).start()

    def serve(self, app, ready='ready'):
        """Serve ``app`` until stopped; ``ready``: the port file's 2nd line."""
        self.server.app = app
        write_atomic(self.port_file, '%d\n%s\n' % (self.port, ready))
        self._serving.set()
        try:
            self.server.serve_forever(poll_interval=0.2)
        finally:
            self.server.server_close()
        return 0
