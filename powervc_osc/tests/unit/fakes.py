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

"""A fake PowerVC at the HTTP boundary: requests-mock plus a real token."""

from __future__ import annotations

import fixtures
from keystoneauth1 import fixture as ks_fixture
from keystoneauth1.identity import v3
from keystoneauth1 import session as ks_session
from requests_mock.contrib import fixture as rm_fixture
import testtools

BASE = 'https://powervc.example.com/powervc/openstack'
AUTH_URL = BASE + '/identity/v3'
PROJECT_ID = '2b5e8a1f0c8d4f9e9d2d7a4b1c3e5f60'
COMPUTE_URL = BASE + '/compute/v2.1/' + PROJECT_ID
COMPUTE_URL_TWO = ('https://powervc2.example.com/powervc/openstack'
                   '/compute/v2.1/' + PROJECT_ID)
INTERNAL_URL = 'https://powervc-int.example.com/compute/v2.1/' + PROJECT_ID
TOKEN_ID = 'gAAAAAB-fake-token-0123456789'
PASSWORD = 'sekrit-Passw0rd'

SERVER_ID = '0f6d3c2e-9b1a-4c8e-a2f7-5d4e3c2b1a09'
SERVER_NAME = 'ibmi-prod-1'
HOST = '9109RMD_1031CAT'
METADATA = {
    'powervc:vm_refcode': 'C6004031',
    'powervc:vm_led_code': 'Surr_rebooting__________________',
    'powervc:vm_refcode_query_ts': '20201014052153955450',
    'powervc:vm_refcode_required': 'true',
    'owner': 'ops-team',
}


def token() -> ks_fixture.V3Token:
    """A scoped token whose catalog holds compute in two regions."""
    tok = ks_fixture.V3Token(project_id=PROJECT_ID, project_name='ibm-default',
                             user_name='admin')
    tok.add_role(name='admin')
    identity = tok.add_service('identity')
    identity.add_standard_endpoints(public=AUTH_URL, region='RegionOne')
    compute = tok.add_service('compute')
    compute.add_endpoint('public', COMPUTE_URL, region='RegionOne')
    compute.add_endpoint('internal', INTERNAL_URL, region='RegionOne')
    compute.add_endpoint('public', COMPUTE_URL_TWO, region='RegionTwo')
    return tok


def server_body(server_id: str = SERVER_ID, name: str = SERVER_NAME,
                metadata: dict | None = None, host: str = HOST,
                status: str = 'ACTIVE') -> dict:
    """A Nova server-detail body as PowerVC returns it."""
    return {'id': server_id, 'name': name, 'status': status,
            'OS-EXT-SRV-ATTR:host': host,
            'metadata': dict(METADATA if metadata is None else metadata)}


class FakePowerVC(fixtures.Fixture):
    """requests-mock with Keystone answering and compute URLs to register."""

    def _setUp(self) -> None:
        self.mock = self.useFixture(rm_fixture.Fixture())
        self.mock.get(AUTH_URL, json=ks_fixture.V3Discovery(AUTH_URL))
        self.mock.post(AUTH_URL + '/auth/tokens', json=token(),
                       headers={'X-Subject-Token': TOKEN_ID}, status_code=201)

    def compute_requests(self) -> list:
        """Every request that went to a compute endpoint, in order."""
        return [r for r in self.mock.request_history
                if '/compute' in r.url and '/identity' not in r.url]

    def session(self) -> ks_session.Session:
        auth = v3.Password(auth_url=AUTH_URL, username='admin',
                           password=PASSWORD, project_id=PROJECT_ID,
                           user_domain_id='default')
        return ks_session.Session(auth=auth)


class TestCase(testtools.TestCase):
    """A unit test with the fake PowerVC in place."""

    def setUp(self) -> None:
        super().setUp()
        self.powervc = self.useFixture(FakePowerVC())
        self.requests = self.powervc.mock
