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

"""The progress line of a wait or a bulk operation."""

import io

import testtools

from powervc_osc import client as client_mod
from powervc_osc import exceptions
from powervc_osc import model
from powervc_osc.osc import progress as progress_mod


class _Terminal(io.StringIO):

    def isatty(self):
        return True


def _refcode(**metadata):
    return model.Refcode.from_metadata(
        'id-1', 'vm-1', {'powervc:' + k: v for k, v in metadata.items()})


class TestProgressLine(testtools.TestCase):

    def test_on_a_terminal(self):
        stream = _Terminal()
        progress = progress_mod.ProgressLine(stream)
        progress(_refcode(vm_refcode_required='true'))
        progress.done()
        self.assertEqual('\r\033[KWaiting for vm-1 to report a reference '
                         'code...\n', stream.getvalue())

    def test_nothing_off_a_terminal_but_messages(self):
        stream = io.StringIO()
        progress = progress_mod.ProgressLine(stream)
        progress(_refcode(vm_refcode_required='true'))
        progress.report_failure(client_mod.Failure(
            'vm-2', exceptions.ServerNotFound('vm-2')))
        progress.done()
        self.assertEqual(
            "No server with a name or ID of 'vm-2' exists.\n",
            stream.getvalue())

    def test_a_message_clears_the_line_first(self):
        stream = _Terminal()
        progress = progress_mod.ProgressLine(stream)
        progress(_refcode())
        progress.message('vm-2 failed')
        self.assertTrue(stream.getvalue().endswith('\r\033[Kvm-2 failed\n'))


class TestProgressCount(testtools.TestCase):

    def test_counts_on_a_terminal_then_erases_the_line(self):
        stream = _Terminal()
        progress = progress_mod.ProgressLine(stream)
        with progress.counting() as count:
            count(1, 2)
            count(2, 2)
        self.assertEqual('\r\033[K1/2 servers done\r\033[K2/2 servers done'
                         '\r\033[K', stream.getvalue())

    def test_ctrl_c_says_how_far_on_any_stream(self):
        for stream, shown in ((io.StringIO(), ''),
                              (_Terminal(), '\r\033[K3/7 servers done')):
            progress = progress_mod.ProgressLine(stream)

            def interrupted():
                with progress.counting() as count:
                    count(3, 7)
                    raise KeyboardInterrupt

            self.assertRaises(KeyboardInterrupt, interrupted)
            end = '\r\033[K' if shown else ''
            self.assertEqual(shown + end + 'Interrupted after 3 of 7 '
                             'servers.\n', stream.getvalue())
