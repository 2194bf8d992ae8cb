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

"""The package's public names."""

import testtools

import powervc_osc
from powervc_osc import client
from powervc_osc import exceptions


class TestExports(testtools.TestCase):

    def test_every_error_a_public_method_raises_is_exported(self):
        for name in ('CollectionOff', 'Interrupted', 'LoginFailed', 'Failure',
                     'PartialFailure', 'WaitTimeout', 'ServerNotFound',
                     'AdminRequired', 'ConfigurationError'):
            self.assertIn(name, powervc_osc.__all__)
            self.assertIs(getattr(exceptions, name),
                          getattr(powervc_osc, name))

    def test_every_export_resolves(self):
        for name in powervc_osc.__all__:
            self.assertIsNotNone(getattr(powervc_osc, name), name)
        self.assertIs(client.RefcodeClient, powervc_osc.RefcodeClient)
        self.assertRaises(AttributeError, getattr, powervc_osc, 'nothing')

    def test_former_names_still_import(self):
        self.assertIs(exceptions.Failure, client.Failure)
        self.assertIs(exceptions.PartialFailure, client.PartialFailure)
