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

"""A real headless Chromium, driven over the DevTools protocol.

A small client over ``websocket-client``: each command waits for its
answer, and the events that arrive meanwhile are kept (dialogs, console
and CSP messages) for the test to read.  Chromium runs with a fresh
profile in a temporary folder, talks to nothing but the pages it is sent
to, and is killed by the fixture's cleanup.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import subprocess
import threading

import fixtures
import websocket

from powervc_osc.tests import cli_runner
from powervc_osc.tests.functional import exporter_fixtures as ef

FLAGS = ('--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
         '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync',
         '--disable-default-apps', '--disable-extensions',
         '--remote-debugging-address=127.0.0.1',
         '--remote-debugging-port=0')
_LISTENING = re.compile(r'DevTools listening on (ws://\S+)')


class ProtocolError(Exception):
    """Chromium answered a command with an error."""


class Chromium(fixtures.Fixture):
    """Chromium with one page, and :meth:`call` to drive it.

    :param binary: the path of ``chromium``.
    :param size: the window's width and height in CSS pixels.
    """

    def __init__(self, binary: str, size=(1400, 900)) -> None:
        super().__init__()
        self.binary = binary
        self.size = size
        self.events: list[dict] = []
        self._ids = itertools.count(1)
        self._lines: list[str] = []

    def _setUp(self) -> None:
        profile = self.useFixture(fixtures.TempDir()).path
        self.process = subprocess.Popen(
            [self.binary, *FLAGS, '--user-data-dir=' + profile,
             '--window-size=%d,%d' % self.size, 'about:blank'],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True,
            preexec_fn=cli_runner.default_sigint)
        self.addCleanup(self._kill)
        reader = threading.Thread(target=self._read, daemon=True)
        reader.start()
        browser_url = ef.wait_for('Chromium to listen', self._devtools_url)
        port = int(re.search(r':(\d+)/', browser_url).group(1))
        pages = ef.wait_for('the blank page', lambda: [
            t for t in json.loads(ef.http_get(
                'http://127.0.0.1:%d/json/list' % port))
            if t.get('type') == 'page'])
        self._socket = websocket.create_connection(
            pages[0]['webSocketDebuggerUrl'], timeout=ef.WAIT,
            suppress_origin=True)
        self.addCleanup(self._socket.close)
        for domain in ('Page', 'Runtime', 'Log'):
            self.call(domain + '.enable')
        self.call('Emulation.setDeviceMetricsOverride', width=self.size[0],
                  height=self.size[1], deviceScaleFactor=1, mobile=False)

    def _read(self) -> None:
        for line in self.process.stderr:
            self._lines.append(line)

    def _devtools_url(self):
        if self.process.poll() is not None:
            raise AssertionError('chromium ended: %s' % ''.join(self._lines))
        for line in list(self._lines):
            match = _LISTENING.search(line)
            if match:
                return match.group(1)
        return None

    def _kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)
        self.process.stderr.close()

    def call(self, method: str, **params):
        """Send one command; its result (events meanwhile are kept)."""
        ident = next(self._ids)
        self._socket.send(json.dumps({'id': ident, 'method': method,
                                      'params': params}))
        while True:
            message = json.loads(self._socket.recv())
            if message.get('id') != ident:
                if 'method' in message:
                    self.events.append(message)
                if message.get('method') == 'Page.javascriptDialogOpening':
                    # A dialog blocks the page: close it (the test fails
                    # on it later, with the dialog's text).
                    self._socket.send(json.dumps({
                        'id': next(self._ids),
                        'method': 'Page.handleJavaScriptDialog',
                        'params': {'accept': False}}))
                continue
            if 'error' in message:
                raise ProtocolError('%s: %s' % (method, message['error']))
            return message.get('result', {})

    def evaluate(self, expression: str):
        """The value of a JavaScript expression in the page (JSON-able)."""
        result = self.call('Runtime.evaluate', expression=expression,
                           returnByValue=True, awaitPromise=True)
        if 'exceptionDetails' in result:
            raise ProtocolError('%s: %s' % (expression,
                                            result['exceptionDetails']))
        return result['result'].get('value')

    def open(self, url: str) -> None:
        """Load ``url`` and wait for its document."""
        self.call('Page.navigate', url=url)
        self.wait_for('%s to load' % url,
                      "document.readyState === 'complete' && "
                      "document.location.href === %s" % json.dumps(url))

    def wait_for(self, what: str, expression: str):
        """Evaluate ``expression`` until it is true; return its value.

        On a timeout the message has what the page shows, and its errors.
        """
        try:
            return ef.wait_for(what, lambda: self.evaluate(expression),
                               step=0.1)
        except AssertionError as exc:
            shown = self.evaluate('document.body && document.body.innerText')
            raise AssertionError('%s; the page shows %r; errors: %s' % (
                exc, (shown or '')[:2000], self.console_errors()))

    def click(self, selector: str) -> None:
        """A mouse click in the middle of the element, as a person does."""
        box = self.evaluate(
            '(function () { const e = document.querySelector(%s);'
            ' e.scrollIntoView({block: "center"});'
            ' const r = e.getBoundingClientRect();'
            ' return [r.x + r.width / 2, r.y + r.height / 2]; })()'
            % json.dumps(selector))
        for kind in ('mousePressed', 'mouseReleased'):
            self.call('Input.dispatchMouseEvent', type=kind, x=box[0],
                      y=box[1], button='left', clickCount=1)

    def type(self, selector: str, text: str) -> None:
        """Focus the field, empty it and type ``text`` into it."""
        self.click(selector)
        self.evaluate('document.querySelector(%s).select()'
                      % json.dumps(selector))
        self.call('Input.dispatchKeyEvent', type='keyDown', key='Delete',
                  code='Delete', windowsVirtualKeyCode=46)
        self.call('Input.dispatchKeyEvent', type='keyUp', key='Delete',
                  code='Delete', windowsVirtualKeyCode=46)
        if text:
            self.call('Input.insertText', text=text)

    def screenshot(self, path: str) -> None:
        """Save the whole page as a PNG."""
        shot = self.call('Page.captureScreenshot', format='png',
                         captureBeyondViewport=True)
        with open(path, 'wb') as f:
            f.write(base64.b64decode(shot['data']))

    def settle(self) -> None:
        """Let pending events arrive (a cheap command answers after them)."""
        self.call('Runtime.evaluate', expression='0')

    def dialogs(self) -> list[dict]:
        """The alert, confirm and prompt dialogs the page opened."""
        return [e for e in self.events
                if e['method'] == 'Page.javascriptDialogOpening']

    def console_errors(self) -> list[str]:
        """Errors the page logged (a CSP violation is one)."""
        found = []
        for e in self.events:
            if e['method'] == 'Log.entryAdded':
                entry = e['params']['entry']
                if (entry.get('level') == 'error' and
                        not entry.get('url', '').endswith('/favicon.ico')):
                    found.append(entry.get('text', ''))
            elif (e['method'] == 'Runtime.exceptionThrown'):
                found.append(json.dumps(e['params']['exceptionDetails']))
        return found
