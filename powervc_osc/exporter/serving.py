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
published (plain and gzip), so that a scrape only copies bytes; the
``process_*`` metrics, a few lines, are rendered per scrape.
:class:`MetricsServer` serves the page from one asyncio thread: a client
that connects and sends nothing, or reads slowly, costs a socket and a
timer, never a thread, and every connection has a deadline.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import gzip
import logging
import socket
import threading
import typing as ty

from prometheus_client import exposition as prom_exposition

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
#: Seconds :meth:`Exposition.stop` waits for a render under way.
STOP_WAIT = 0.5
#: gzip level of the rendered page: level 9 costs several times the CPU
#: for a few per cent less.
GZIP_LEVEL = 6
CONTENT_TYPE = prom_exposition.CONTENT_TYPE_LATEST
TEXT = 'text/plain; charset=utf-8'
LANDING = (b'<html><head><title>PowerVC reference-code exporter</title>'
           b'</head><body><h1>PowerVC reference-code exporter</h1>'
           b'<p><a href="/metrics">Metrics</a></p></body></html>\n')
_REASONS = {200: 'OK', 400: 'Bad Request', 404: 'Not Found',
            405: 'Method Not Allowed'}


class Exposition:
    """The metrics page: ``static`` rendered per poll, ``live`` per scrape.

    :param static: a registry whose metrics change only when a poll is
        published (the reference-code collector).
    :param live: a registry read at every scrape (process metrics).
    """

    def __init__(self, static: ty.Any, live: ty.Any) -> None:
        self._static = static
        self._live = live
        self._lock = threading.Lock()
        self._page: tuple[bytes, bytes] = (b'', b'')
        self._wanted = threading.Event()
        self._thread: threading.Thread | None = None
        self._starting = threading.Lock()
        self._stopping = False
        self.renders = 0

    def render(self) -> None:
        """Render the static metrics now."""
        with self._lock:
            body = prom_exposition.generate_latest(self._static)
            self._page = (body, gzip.compress(body, GZIP_LEVEL))
            self.renders += 1

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

    def page(self, compressed: bool = False) -> list[bytes]:
        """The page's parts; gzip members concatenate into one stream."""
        static = self._page[1 if compressed else 0]
        live = prom_exposition.generate_latest(self._live)
        if compressed:
            live = gzip.compress(live, GZIP_LEVEL)
        return [static, live]


class _Connection:
    """One client connection, and whether it waits for a request."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.idle = True

    def abort(self) -> None:
        self.writer.transport.abort()


class MetricsServer:
    """Serves an :class:`Exposition` on ``host:port`` from one thread.

    :meth:`start` binds at once (an address in use raises ``OSError``
    there) and serves from a daemon thread until :meth:`stop`.
    """

    def __init__(self, exposition: Exposition, host: str, port: int,
                 max_connections: int = MAX_CONNECTIONS,
                 request_timeout: float = REQUEST_TIMEOUT,
                 send_timeout: float = SEND_TIMEOUT) -> None:
        self.exposition = exposition
        self.max_connections = max_connections
        self.request_timeout = request_timeout
        self.send_timeout = send_timeout
        self._sock = _listen(host, port)
        self._loop = asyncio.new_event_loop()
        self._connections: collections.OrderedDict[_Connection, None] = (
            collections.OrderedDict())
        self._server: asyncio.AbstractServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._sock.getsockname()[1]

    def start(self) -> MetricsServer:
        self._server = self._loop.run_until_complete(asyncio.start_server(
            self._serve, sock=self._sock, limit=MAX_REQUEST_HEAD))
        self._thread = threading.Thread(target=self._loop.run_forever,
                                        name='metrics-server', daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close the listener and every connection; wait for the thread."""
        if self._thread is not None:
            asyncio.run_coroutine_threadsafe(
                self._shutdown(), self._loop).result()
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            self._thread = None
            self._loop.close()
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
        """Answer one request; whether the connection stays open."""
        conn.idle = True
        head = await asyncio.wait_for(reader.readuntil(b'\r\n\r\n'),
                                      self.request_timeout)
        conn.idle = False
        request = _parse(head)
        if request is None:
            await self._send(conn, 400, TEXT, [b'Bad request\n'], False)
            return False
        method, path, keep_alive, gzip_ok = request
        if method not in ('GET', 'HEAD'):
            status, ctype, body = 405, TEXT, [b'Only GET\n']
        elif path in ('/metrics', '/metrics/'):
            status, ctype = 200, CONTENT_TYPE
            body = self.exposition.page(gzip_ok)
        elif path == '/':
            status, ctype, body = 200, 'text/html', [LANDING]
        else:
            status, ctype, body = 404, TEXT, [b'Not found: see /metrics\n']
        gzipped = gzip_ok and ctype == CONTENT_TYPE
        await asyncio.wait_for(
            self._send(conn, status, ctype, body, keep_alive, gzipped,
                       method == 'HEAD'),
            self.send_timeout)
        return keep_alive

    @staticmethod
    async def _send(conn: _Connection, status: int, ctype: str,
                    body: list[bytes], keep_alive: bool,
                    gzipped: bool = False, head_only: bool = False) -> None:
        lines = ['HTTP/1.1 %d %s' % (status, _REASONS[status]),
                 'Content-Type: %s' % ctype,
                 'Content-Length: %d' % sum(len(part) for part in body),
                 'Connection: %s' % ('keep-alive' if keep_alive else 'close')]
        if gzipped:
            lines.append('Content-Encoding: gzip')
        writer = conn.writer
        writer.write(('\r\n'.join(lines) + '\r\n\r\n').encode('ascii'))
        if not head_only:
            for part in body:
                view = memoryview(part)
                for start in range(0, len(view), CHUNK):
                    writer.write(view[start:start + CHUNK])
                    await writer.drain()
        await writer.drain()


def _parse(head: bytes) -> tuple[str, str, bool, bool] | None:
    """(method, path, keep-alive, gzip accepted) of a request head."""
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
            headers[name.strip().lower()] = value.strip().lower()
    keep_alive = (version == 'HTTP/1.1'
                  and headers.get('connection') != 'close'
                  and 'content-length' not in headers
                  and 'transfer-encoding' not in headers)
    gzip_ok = any(coding.split(';')[0].strip() == 'gzip'
                  for coding in headers.get('accept-encoding', '').split(','))
    return method, target.split('?', 1)[0], keep_alive, gzip_ok


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
