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

"""The ``/metrics`` endpoint: a page rendered once per poll, served fast.

:class:`Exposition` renders the reference-code metrics when a poll is
published (text format 0.0.4 and OpenMetrics, each plain and gzip), so
that a scrape only copies bytes; the ``process_*`` metrics, a few lines,
are rendered per scrape.  :class:`MetricsServer` serves the page from one
asyncio thread: a client that connects and sends nothing, or reads
slowly, costs a socket and a timer, never a thread, and every connection
has a deadline.  With a web configuration (:mod:`.webconfig`) it speaks
TLS and asks every request, whatever its path, for basic auth.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import email.utils
import gzip
import logging
import socket
import threading
import typing as ty
import urllib.parse

from prometheus_client import exposition as prom_exposition
from prometheus_client.openmetrics import exposition as om_exposition

from powervc_osc.exporter import basic_auth
from powervc_osc.exporter import fleet_view
from powervc_osc.exporter import webconfig
from powervc_osc import nova

LOG = logging.getLogger(__name__)

#: Open connections at most; past it the oldest that is waiting for its
#: request is closed (default file limit: 1,024 descriptors).
MAX_CONNECTIONS = 512
#: Seconds a client may take to send its request (and between requests
#: of a kept-alive connection).
REQUEST_TIMEOUT = 10.0
#: Seconds a client may take to read a whole answer.
SEND_TIMEOUT = 60.0
#: The largest request head read (a scrape's is a few hundred bytes).
MAX_REQUEST_HEAD = 16 * 1024
#: Bytes handed to the socket at a time: the memory a slow reader holds.
CHUNK = 64 * 1024
#: Seconds :meth:`MetricsServer.reload` waits for the server thread.
RELOAD_WAIT = 10.0
#: Seconds :meth:`Exposition.stop` waits for a render under way.
STOP_WAIT = 0.5
#: gzip level of the rendered page: level 9 costs several times the CPU
#: for a few per cent less.
GZIP_LEVEL = 6
#: Threads that run bcrypt (slow by design) off the event loop: a flood
#: of wrong passwords takes this many cores at most.
AUTH_WORKERS = 2
#: The Prometheus text format, served unless OpenMetrics is asked for.
CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'
#: OpenMetrics, served to an ``Accept: application/openmetrics-text``.
OPENMETRICS_TYPE = om_exposition.CONTENT_TYPE_LATEST
_OPENMETRICS = 'application/openmetrics-text'
_EOF = b'# EOF\n'
TEXT = 'text/plain; charset=utf-8'
LANDING = (b'<html><head><title>PowerVC reference-code exporter</title>'
           b'</head><body><h1>PowerVC reference-code exporter</h1>'
           b'<p><a href="/metrics">Metrics</a></p></body></html>\n')
_REASONS = {200: 'OK', 400: 'Bad Request', 401: 'Unauthorized',
            404: 'Not Found', 405: 'Method Not Allowed',
            503: 'Service Unavailable'}
#: Sent with every answer: the fleet page runs only its own files (no
#: inline script or style, nothing from elsewhere), and a body is never
#: read as another type than it is sent as.
SECURITY_HEADERS = (
    "Content-Security-Policy: default-src 'none'; script-src 'self'; "
    "style-src 'self'; img-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    'X-Content-Type-Options: nosniff',
    'Referrer-Policy: no-referrer',
)
#: Types sent gzip-compressed to a client that accepts it.
_COMPRESSED = (CONTENT_TYPE, OPENMETRICS_TYPE, fleet_view.JSON_TYPE)


def wants_openmetrics(accept: str | None) -> bool:
    """Whether an ``Accept`` header asks for OpenMetrics.

    As prometheus-client's own handler chooses (any
    ``application/openmetrics-text`` entry), except that ``q=0`` refuses.
    """
    for entry in (accept or '').split(','):
        media, *params = [part.strip() for part in entry.split(';')]
        if media.lower() != _OPENMETRICS:
            continue
        quality = [p.partition('=')[2] for p in params
                   if p.partition('=')[0].strip().lower() == 'q']
        try:
            if quality and float(quality[0]) <= 0:
                continue
        except ValueError:
            continue
        return True
    return False


class Exposition:
    """The metrics page: ``static`` rendered per poll, ``live`` per scrape.

    :param static: a registry whose metrics change only when a poll is
        published (the reference-code collector).
    :param live: a registry read at every scrape (process metrics).
    """

    def __init__(self, static: ty.Any, live: ty.Any,
                 also: ty.Sequence[ty.Callable[[], None]] = ()) -> None:
        self._static = static
        self._live = live
        #: Rendered after the metrics, by the same thread (the fleet page).
        self.also = list(also)
        self._lock = threading.Lock()
        #: (text, text gzip, OpenMetrics without EOF, its gzip)
        self._page: tuple[bytes, bytes, bytes, bytes] = (b'', b'', b'', b'')
        self._wanted = threading.Event()
        self._thread: threading.Thread | None = None
        self._starting = threading.Lock()
        self._stopping = False
        self.renders = 0

    def render(self) -> None:
        """Render the static metrics now, in both formats."""
        with self._lock:
            body = prom_exposition.generate_latest(self._static)
            om = _without_eof(om_exposition.generate_latest(self._static))
            self._page = (body, gzip.compress(body, GZIP_LEVEL),
                          om, gzip.compress(om, GZIP_LEVEL))
            self.renders += 1
        for render in self.also:
            render()

    def render_soon(self, *_ignored: ty.Any) -> None:
        """Have the page rendered by its own thread (after every poll).

        Polls that end while a render runs are rendered together once it
        is done; the poll threads never wait for a render.
        """
        with self._starting:    # two clouds may end their polls at once
            if self._thread is None and not self._stopping:
                self._thread = threading.Thread(
                    target=self._render_forever, name='metrics-render',
                    daemon=True)
                self._thread.start()
        self._wanted.set()

    def stop(self, wait: float = STOP_WAIT) -> None:
        """End the render thread, waiting up to ``wait`` seconds for it.

        A render under way (about a second for 10,000 servers) is left to
        end on its own past ``wait``: the exporter must stop within 2 s.
        """
        with self._starting:
            thread, self._thread = self._thread, None
            self._stopping = True
        if thread is not None:
            self._wanted.set()
            thread.join(wait)

    def _render_forever(self) -> None:
        while True:
            self._wanted.wait()
            self._wanted.clear()
            if self._stopping:
                return
            try:
                self.render()
            except Exception:  # the next poll renders again
                LOG.exception('The metrics could not be rendered')

    def page(self, compressed: bool = False,
             openmetrics: bool = False) -> list[bytes]:
        """The page's parts; gzip members concatenate into one stream.

        OpenMetrics ends with one ``# EOF``, after the live metrics.
        """
        static = self._page[(2 if openmetrics else 0) + bool(compressed)]
        if openmetrics:
            live = _without_eof(om_exposition.generate_latest(
                self._live)) + _EOF
        else:
            live = prom_exposition.generate_latest(self._live)
        if compressed:
            live = gzip.compress(live, GZIP_LEVEL)
        return [static, live]


def _without_eof(body: bytes) -> bytes:
    return body[:-len(_EOF)] if body.endswith(_EOF) else body


class _Connection:
    """One client connection, and whether it waits for a request."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.idle = True

    def abort(self) -> None:
        self.writer.transport.abort()


class Request(ty.NamedTuple):
    """What the server reads of a request head."""

    method: str
    path: str
    keep_alive: bool
    gzip_ok: bool
    #: Lower-case names, values as sent.
    headers: dict[str, str]
    #: What follows the ``?`` of the target.
    query: str = ''


class MetricsServer:
    """Serves an :class:`Exposition` on ``host:port`` from one thread.

    :meth:`start` binds at once (an address in use raises ``OSError``
    there) and serves from a daemon thread until :meth:`stop`.

    :param web: TLS and basic auth (see :mod:`.webconfig`); None: plain
        HTTP, open to all.  :meth:`reload` replaces it for the new
        connections (TLS) and the new requests (users).
    :param fleet: the fleet page and its JSON (None: ``/`` links to
        ``/metrics``).
    """

    def __init__(self, exposition: Exposition, host: str, port: int,
                 max_connections: int = MAX_CONNECTIONS,
                 request_timeout: float = REQUEST_TIMEOUT,
                 send_timeout: float = SEND_TIMEOUT,
                 web: webconfig.WebConfig | None = None,
                 fleet: fleet_view.FleetView | None = None) -> None:
        self.exposition = exposition
        self.fleet = fleet
        self.max_connections = max_connections
        self.request_timeout = request_timeout
        self.send_timeout = send_timeout
        self.web = web
        self._sock = _listen(host, port)
        self._loop = asyncio.new_event_loop()
        self._connections: collections.OrderedDict[_Connection, None] = (
            collections.OrderedDict())
        self._server: asyncio.AbstractServer | None = None
        self._thread: threading.Thread | None = None
        self._auth_pool = concurrent.futures.ThreadPoolExecutor(
            AUTH_WORKERS, thread_name_prefix='metrics-auth')
        #: Reads of the history store, off the event loop.
        self._read_pool = concurrent.futures.ThreadPoolExecutor(
            1, thread_name_prefix='metrics-history')

    @property
    def port(self) -> int:
        return self._sock.getsockname()[1]

    @property
    def scheme(self) -> str:
        return 'https' if self.web and self.web.tls else 'http'

    def start(self) -> MetricsServer:
        self._server = self._loop.run_until_complete(
            self._listener(self.web))
        self._thread = threading.Thread(target=self._loop.run_forever,
                                        name='metrics-server', daemon=True)
        self._thread.start()
        return self

    def reload(self, web: webconfig.WebConfig | None) -> None:
        """Serve new connections with ``web`` (open ones keep theirs)."""
        if self._thread is None:     # not serving (yet, or any more)
            self.web = web
            return
        asyncio.run_coroutine_threadsafe(
            self._replace(web), self._loop).result(RELOAD_WAIT)

    async def _listener(self, web: webconfig.WebConfig | None,
                        ) -> asyncio.AbstractServer:
        """A server accepting on (a duplicate of) the listening socket.

        Each server closes its own duplicate: the socket, and the
        connections waiting in its backlog, outlive a :meth:`reload`.
        """
        tls = web.tls if web else None
        return await asyncio.start_server(
            self._serve, sock=self._sock.dup(), limit=MAX_REQUEST_HEAD,
            ssl=tls, ssl_handshake_timeout=self.request_timeout if tls
            else None)

    async def _replace(self, web: webconfig.WebConfig | None) -> None:
        new = await self._listener(web)
        old, self._server, self.web = self._server, new, web
        if old is not None:
            old.close()

    def stop(self) -> None:
        """Close the listener and every connection; wait for the thread."""
        if self._thread is not None:
            asyncio.run_coroutine_threadsafe(
                self._shutdown(), self._loop).result()
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            self._thread = None
            self._loop.close()
        self._auth_pool.shutdown(wait=False, cancel_futures=True)
        self._read_pool.shutdown(wait=False, cancel_futures=True)
        self._sock.close()

    async def _shutdown(self) -> None:
        assert self._server is not None
        self._server.close()
        for conn in list(self._connections):
            conn.abort()
        tasks = [t for t in asyncio.all_tasks()
                 if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader,
                     writer: asyncio.StreamWriter) -> None:
        conn = _Connection(writer)
        self._admit(conn)
        try:
            while await self._answer(conn, reader):
                pass
            # Closing flushes what the socket has not taken yet.
            writer.close()
            await asyncio.wait_for(writer.wait_closed(), self.send_timeout)
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError,
                asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:    # stop(): the task ends quietly
            pass
        finally:
            self._connections.pop(conn, None)
            conn.abort()

    def _admit(self, conn: _Connection) -> None:
        """Track ``conn``; past the limit, close the oldest idle one."""
        self._connections[conn] = None
        if len(self._connections) <= self.max_connections:
            return
        victim = next((c for c in self._connections if c.idle), conn)
        self._connections.pop(victim)
        victim.abort()

    async def _answer(self, conn: _Connection,
                      reader: asyncio.StreamReader) -> bool:
        """Answer one request; whether the connection stays open.

        The one place where every request is let in or refused: the
        basic-auth check comes before any path is looked at.
        """
        conn.idle = True
        head = await asyncio.wait_for(reader.readuntil(b'\r\n\r\n'),
                                      self.request_timeout)
        conn.idle = False
        request = _parse(head)
        if request is None:
            await self._send(conn, 400, TEXT, [b'Bad request\n'], False)
            return False
        auth = self.web.auth if self.web else None
        extra: list[str] = []
        if auth is not None and not await self._authorized(auth, request):
            status, ctype, body = 401, TEXT, [b'Unauthorized\n']
            extra.append('WWW-Authenticate: ' + basic_auth.CHALLENGE)
        else:
            status, ctype, body = await self._route(request)
        gzipped = request.gzip_ok and ctype in _COMPRESSED
        await asyncio.wait_for(
            self._send(conn, status, ctype, body, request.keep_alive,
                       gzipped, request.method == 'HEAD', extra),
            self.send_timeout)
        return request.keep_alive

    async def _route(self, request: Request,
                     ) -> tuple[int, str, list[bytes]]:
        """(status, content type, body) of an authorized request.

        New paths go here: :meth:`_answer` has checked the credentials.
        """
        if request.method not in ('GET', 'HEAD'):
            return 405, TEXT, [b'Only GET\n']
        if request.path in ('/metrics', '/metrics/'):
            openmetrics = wants_openmetrics(request.headers.get('accept'))
            return (200, OPENMETRICS_TYPE if openmetrics else CONTENT_TYPE,
                    self.exposition.page(request.gzip_ok, openmetrics))
        if self.fleet is not None:
            if request.path in self.fleet.files:
                ctype, body = self.fleet.files[request.path]
                return 200, ctype, [body]
            if request.path == '/api/fleet':
                return (200, fleet_view.JSON_TYPE,
                        self.fleet.fleet(request.gzip_ok))
            if request.path == '/api/history':
                return await self._history(request)
        if request.path == '/':
            return 200, 'text/html', [LANDING]
        return 404, TEXT, [b'Not found: see /metrics\n']

    async def _history(self, request: Request,
                       ) -> tuple[int, str, list[bytes]]:
        """``/api/history?server=ID[&cloud=NAME]``: read off the loop.

        Without ``cloud``, the server's changes in every cloud.
        """
        assert self.fleet is not None
        if not self.fleet.history:
            return 404, TEXT, [b'No history: the exporter runs without '
                               b'--history\n']
        query = urllib.parse.parse_qs(request.query, keep_blank_values=True)
        found = query.get('server', [])
        server = nova.valid_id(found[0]) if len(found) == 1 else None
        if server is None:
            return 400, TEXT, [b'Give one server ID: ?server=ID\n']
        clouds = query.get('cloud')
        if clouds is not None and (len(clouds) != 1 or not clouds[0]):
            return 400, TEXT, [b'Give one cloud name: &cloud=NAME\n']
        cloud = clouds[0] if clouds else None
        try:
            body = await self._loop.run_in_executor(
                self._read_pool, self.fleet.server_history, server, cloud)
        except Exception as exc:  # a store that fails answers 503
            LOG.warning('The history of server %s could not be read: %s',
                        server, exc)
            return 503, TEXT, [b'The history store cannot be read\n']
        body = body or b'{}'
        if request.gzip_ok:      # as every answer of this type
            body = gzip.compress(body, GZIP_LEVEL)
        return 200, fleet_view.JSON_TYPE, [body]

    async def _authorized(self, auth: basic_auth.BasicAuth,
                          request: Request) -> bool:
        """Whether the request's credentials pass (bcrypt off the loop)."""
        header = request.headers.get('authorization')
        if auth.remembered(header):
            return True
        return await self._loop.run_in_executor(self._auth_pool,
                                                auth.check, header)

    @staticmethod
    async def _send(conn: _Connection, status: int, ctype: str,
                    body: list[bytes], keep_alive: bool,
                    gzipped: bool = False, head_only: bool = False,
                    extra: ty.Sequence[str] = ()) -> None:
        lines = ['HTTP/1.1 %d %s' % (status, _REASONS[status]),
                 'Content-Type: %s' % ctype,
                 'Content-Length: %d' % sum(len(part) for part in body),
                 'Connection: %s' % ('keep-alive' if keep_alive else 'close')]
        lines.append('Date: ' + email.utils.formatdate(usegmt=True))
        lines.extend(SECURITY_HEADERS)
        if gzipped:
            lines.append('Content-Encoding: gzip')
        lines.extend(extra)
        writer = conn.writer
        writer.write(('\r\n'.join(lines) + '\r\n\r\n').encode('ascii'))
        if not head_only:
            for part in body:
                view = memoryview(part)
                for start in range(0, len(view), CHUNK):
                    writer.write(view[start:start + CHUNK])
                    await writer.drain()
        await writer.drain()


def _parse(head: bytes) -> Request | None:
    """The :class:`Request` of a request head, or None if malformed."""
    try:
        lines = head.decode('latin-1').split('\r\n')
        method, target, version = lines[0].split(' ')
    except ValueError:
        return None
    if not version.startswith('HTTP/1.'):
        return None
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(':')
        if sep:
            headers[name.strip().lower()] = value.strip()
    keep_alive = (version == 'HTTP/1.1'
                  and headers.get('connection', '').lower() != 'close'
                  and 'content-length' not in headers
                  and 'transfer-encoding' not in headers)
    gzip_ok = any(coding.split(';')[0].strip().lower() == 'gzip'
                  for coding in headers.get('accept-encoding', '').split(','))
    path, _mark, query = target.partition('?')
    return Request(method, path, keep_alive, gzip_ok, headers, query)


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (IPv4 or IPv6)."""
    family, kind, proto, _name, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(1024)
        sock.setblocking(False)
    except OSError:
        with contextlib.suppress(OSError):
            sock.close()
        raise
    return sock
