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

"""What the tests of the HTTP layer share."""

from powervc_osc.tests.unit import fakes

SERVER_URL = fakes.SERVER_URL
METADATA_URL = fakes.METADATA_URL
OK_SERVER = {'json': {'server': fakes.server_body()}}
OK_METADATA = {'json': {'metadata': fakes.METADATA}}
REQUEST_ID = 'req-5c1f1a9e-6d2b-4a77-9f0e-3b2d8c4e7a10'


token_session = fakes.token_session


class RetryTestCase(fakes.TokenTestCase):

    def calls(self, method='GET', suffix='/metadata'):
        return [r for r in self.requests.request_history
                if r.method == method and r.path.endswith(suffix)]
