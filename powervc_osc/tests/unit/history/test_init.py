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

"""The history package's face: the documented names, handed on lazily."""

import subprocess
import sys

import testtools

from powervc_osc import history
from powervc_osc.history import prometheus
from powervc_osc.history import rows
from powervc_osc.history import store

DOCUMENTED = ('HistoryStore', 'Change', 'Cycle', 'HistoryError',
              'HistoryNotFound', 'default_path', 'parse_duration',
              'parse_since', 'PrometheusHistory', 'PrometheusError',
              'Credentials')
HOMES = {'Change': rows, 'Cycle': rows, 'PrometheusHistory': prometheus,
         'PrometheusError': prometheus, 'Credentials': prometheus}


class TestFace(testtools.TestCase):

    def test_documented_names_import_from_the_package(self):
        self.assertEqual(sorted(DOCUMENTED), history.__all__)
        for name in DOCUMENTED:
            home = HOMES.get(name, store)
            self.assertIs(getattr(home, name), getattr(history, name), name)

    def test_an_unknown_name_is_an_attribute_error(self):
        self.assertRaises(AttributeError, getattr, history, 'nothing')

    def test_the_face_loads_no_sqlite(self):
        code = ('import sys; from powervc_osc import history; '
                'print(sorted({"sqlite3", "powervc_osc.history.store"} '
                '& set(sys.modules)))')
        out = subprocess.run([sys.executable, '-c', code], check=True,
                             capture_output=True, text=True).stdout
        self.assertEqual('[]\n', out)
