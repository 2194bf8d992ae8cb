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

"""HTTP/1.1 keep-alive for the simulator, as PowerVC's Apache keeps them.

Werkzeug's development server closes the connection after every answer
(``Connection: close``), so a client talking to it pays a TCP connect per
request, which PowerVC's Apache does not make it pay.  :class:`Handler`
runs the WSGI application as Werkzeug's does (same environ) but frames
each answer with ``Content-Length`` (or chunks it) and keeps the
connection for the next request, until the client closes it, asks to
(``Connection: close``), or stays idle :data:`IDLE_SECONDS`.
"""

from __future__ import annotations

import typing as ty

from werkzeug import exceptions as wz_exceptions
from werkzeug import serving
from werkzeug import wsgi

#: Seconds an idle kept-alive connection stays open (Apache's
#: ``KeepAliveTimeout`` is 5 s).
IDLE_SECONDS = 5.0

_DROPPED = (ConnectionError, TimeoutError, BrokenPipeError)


class Handler(serving.WSGIRequestHandler):
    """Werkzeug's request handler, keeping connections open."""

    timeout = IDLE_SECONDS
    #: TCP_NODELAY, as Apache: the body must not wait for the client to
    #: acknowledge the headers (a delayed ACK: 40 ms an answer).
    disable_nagle_algorithm = True

    def run_wsgi(self) -> None:
        length = _length(self.headers.get('Content-Length'))
        if length is None or self.headers.get(
                'Transfer-Encoding') or self.headers.get('Expect'):
            # Bodies this handler does not frame (or a Content-Length
            # that is not a length): Werkzeug's way (it closes the
            # connection after the answer).
            self.close_connection = True
            super().run_wsgi()
            return
        environ = self.make_environ()
        body = wsgi.LimitedStream(ty.cast(ty.IO[bytes], self.rfile), length)
        environ['wsgi.input'] = body
        try:
            self._answer(environ)
        except _DROPPED:
            self.close_connection = True
            return
        try:
            body.exhaust()      # what the application left unread
        except _DROPPED:
            self.close_connection = True

    def _answer(self, environ: dict[str, ty.Any]) -> None:
        started: list = []

        def start_response(status: str, headers: list,
                           exc_info: ty.Any = None) -> ty.Callable:
            started[:] = [status, headers]
            return self._write_unsupported

        try:
            chunks = self.server.app(environ, start_response)
        except Exception:    # noqa: B902 - as Werkzeug, a 500 page
            self.close_connection = True
            chunks = wz_exceptions.InternalServerError()(
                environ, start_response)
        try:
            self._send(environ, started, chunks)
        finally:
            close = getattr(chunks, 'close', None)
            if close is not None:
                close()

    def _send(self, environ: dict[str, ty.Any], started: list,
              chunks: ty.Iterable[bytes]) -> None:
        iterator = iter(chunks)
        # The application may call start_response at its first chunk.
        first = next(iterator, b'')
        status, headers = started
        code, _, reason = status.partition(' ')
        self.send_response(int(code), reason)
        names = set()
        for name, value in headers:
            if name.lower() == 'connection':
                continue
            self.send_header(name, value)
            names.add(name.lower())
        no_body = environ['REQUEST_METHOD'] == 'HEAD' or int(code) in (
            204, 304) or 100 <= int(code) < 200
        chunked = 'content-length' not in names and not no_body
        if chunked:
            self.send_header('Transfer-Encoding', 'chunked')
        if self.close_connection or self.headers.get(
                'Connection', '').lower() == 'close':
            self.close_connection = True
            self.send_header('Connection', 'close')
        self.end_headers()
        for data in _chain(first, iterator):
            if no_body or not data:
                continue
            if chunked:
                self.wfile.write(b'%x\r\n%s\r\n' % (len(data), data))
            else:
                self.wfile.write(data)
        if chunked:
            self.wfile.write(b'0\r\n\r\n')
        self.wfile.flush()

    @staticmethod
    def _write_unsupported(data: bytes) -> None:
        raise NotImplementedError('the simulator answers with iterables')


def _chain(first: bytes, rest: ty.Iterator[bytes]) -> ty.Iterator[bytes]:
    yield first
    yield from rest


def _length(header: str | None) -> int | None:
    """The body length a Content-Length header gives, None if not one."""
    if not header:
        return 0
    return int(header) if header.isdigit() else None
