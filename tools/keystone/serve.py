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
import os
import sys

# Started as ``python tools/<name>/serve.py``: tools/ holds loopback_wsgi.
sys.path.insert(
    0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import loopback_wsgi  # noqa: E402


def _not_ready(environ, start_response):
    start_response('503 Service Unavailable',
                   [('Content-Type', 'text/plain')])
    return [b'keystone is starting\n']


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config-file', required=True)
    loopback_wsgi.add_arguments(parser,
                                'load Keystone only once PATH exists')
    args = loopback_wsgi.parse_args(parser, argv)
    server = loopback_wsgi.LoopbackServer(args, _not_ready)

    config = os.path.abspath(args.config_file)
    os.environ['OS_KEYSTONE_CONFIG_DIR'] = os.path.dirname(config)
    os.environ['OS_KEYSTONE_CONFIG_FILES'] = os.path.basename(config)
    # Keystone (oslo.config) parses sys.argv: give it nothing to parse.
    sys.argv = sys.argv[:1]

    from keystone.server import wsgi

    if args.wait_for:
        loopback_wsgi.wait_for(args.wait_for, args.wait_timeout)
    return server.serve(wsgi.initialize_public_application())


if __name__ == '__main__':
    sys.exit(main())
