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


"""The one-line progress report of a wait or a bulk operation."""

from __future__ import annotations

import contextlib
import threading
import typing as ty

if ty.TYPE_CHECKING:
    from powervc_osc import client as client_mod
    from powervc_osc import model


class ProgressLine:
    """A one-line progress report on stderr, only when it is a terminal.

    Safe to call from the worker threads of a bulk wait.
    """

    def __init__(self, stream: ty.TextIO) -> None:
        self.stream = stream
        self.shown = bool(getattr(stream, 'isatty', lambda: False)())
        self.written = False
        self.lock = threading.Lock()
        self.done_count = self.total_count = 0

    def __call__(self, rc: model.Refcode) -> None:
        if not self.shown:
            return
        with self.lock:
            self.written = True
            self.stream.write('\r\033[KWaiting for %s to report a reference '
                              'code...' % (rc.server_name or rc.server_id))
            self.stream.flush()

    def count(self, done: int, total: int) -> None:
        """Report ``done`` servers of ``total`` (a bulk operation)."""
        self.done_count, self.total_count = done, total
        if not self.shown:
            return
        with self.lock:
            self.written = True
            self.stream.write('\r\033[K%d/%d servers done' % (done, total))
            self.stream.flush()

    @contextlib.contextmanager
    def counting(self) -> ty.Iterator[ty.Callable[[int, int], None]]:
        """Around a bulk operation that reports to :meth:`count`.

        Ctrl-C says, on any stream, how many servers were done; the line
        is erased at the end.
        """
        try:
            yield self.count
        except KeyboardInterrupt as exc:
            self.message('Interrupted after %d of %d servers.'
                         % (self.done_count, self.total_count))
            exc.reported = True     # type: ignore[attr-defined]
            raise
        finally:
            self.clear()

    def message(self, text: str) -> None:
        """Write one line (an error), clearing the progress line first."""
        with self.lock:
            if self.written:
                self.written = False
                self.stream.write('\r\033[K')
            self.stream.write(text + '\n')
            self.stream.flush()

    def report_failure(self, failure: client_mod.Failure) -> None:
        """An ``on_error`` callback: name the failed server on its line."""
        self.message(str(failure.error))

    def done(self) -> None:
        """End the line, leaving the last report on the terminal."""
        if self.shown and self.written:
            self.stream.write('\n')
            self.stream.flush()

    def clear(self) -> None:
        """Erase the line, leaving the terminal as it was."""
        with self.lock:
            if self.written:
                self.written = False
                self.stream.write('\r\033[K')
                self.stream.flush()
