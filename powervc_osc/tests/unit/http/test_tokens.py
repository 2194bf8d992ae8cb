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

"""Token reuse: a login per token lifetime, counted at the fake Keystone."""

import datetime

from powervc_osc import client as client_mod
from powervc_osc import exceptions
from powervc_osc.http import tokens
from powervc_osc.tests.unit import fakes


class TestTokenLifetime(fakes.FleetMixin, fakes.TestCase):
    """A short-lived token costs one login per lifetime, not per request."""

    def issue(self, *lifetimes):
        """Answer logins with tokens issued now, living ``lifetimes``."""
        now = datetime.datetime.now(datetime.timezone.utc).replace(
            tzinfo=None)
        answers = []
        for issued_ago, lives in lifetimes:
            token = fakes.token()
            token.issued = now - datetime.timedelta(seconds=issued_ago)
            token.expires = token.issued + datetime.timedelta(seconds=lives)
            answers.append({'json': token, 'status_code': 201,
                            'headers': {'X-Subject-Token': fakes.TOKEN_ID}})
        self.requests.post(fakes.AUTH_URL + '/auth/tokens', answers)

    def logins(self):
        return len([r for r in self.requests.request_history
                    if r.path.endswith('/auth/tokens')])

    def test_a_40_second_token_serves_many_requests(self):
        self.issue((0, 40))
        self.mock_fleet(fakes.fleet(10), page_size=100)
        client = client_mod.RefcodeClient(self.powervc.session(), retries=0)
        for _ in range(3):
            self.assertEqual(10, len(list(client.list())))
        self.assertEqual(33, len(self.powervc.compute_requests()))
        self.assertEqual(1, self.logins())

    def test_a_token_near_its_end_is_replaced_once(self):
        # Issued 35 s ago for 40 s: within its last quarter, so the next
        # request logs in again, and the new token then serves the rest.
        self.issue((35, 40), (0, 40))
        self.mock_fleet(fakes.fleet(5), page_size=100)
        client = client_mod.RefcodeClient(self.powervc.session(), retries=0)
        list(client.list())
        list(client.list())
        self.assertEqual(2, self.logins())

    def test_a_long_token_keeps_keystoneauths_margin(self):
        self.issue((0, 3600))
        session = self.powervc.session()
        client_mod.RefcodeClient(session)._http.ensure_auth()
        self.assertEqual(120, session.auth.MIN_TOKEN_LIFE_SECONDS)

    def test_a_refused_login_does_not_outlive_the_operation(self):
        # The token is refused, the new login too; a later operation
        # logs in again and works once the account is fixed.
        self.mock_fleet(fakes.fleet(1))
        client = client_mod.RefcodeClient(self.powervc.session(), retries=0)
        list(client.list())
        self.requests.get(fakes.DETAIL_URL, status_code=401)
        self.requests.post(fakes.AUTH_URL + '/auth/tokens', status_code=401,
                           json={'error': {'code': 401, 'message': 'no'}})
        self.assertRaises(exceptions.LoginFailed, list, client.list())
        self.issue((0, 3600))
        self.mock_fleet(fakes.fleet(1))
        self.assertEqual(1, len(list(client.list())))


class TestLifetime(fakes.TestCase):

    def test_a_token_without_times_is_never_short(self):
        class NoTimes:
            expires = issued = None

        self.assertEqual(float('inf'), tokens.lifetime(NoTimes()))

    def test_a_plugin_without_tokens_is_left_alone(self):
        session = fakes.token_session()
        tokens.fit_margin(session.auth)
        self.assertNotIn('get_auth_ref', vars(session.auth))

    def test_fitting_twice_wraps_once(self):
        auth = self.powervc.session().auth
        tokens.fit_margin(auth)
        wrapped = auth.get_auth_ref
        tokens.fit_margin(auth)
        self.assertIs(wrapped, auth.get_auth_ref)


class TestReloginAt(fakes.TestCase):

    def access(self, expires):
        class Access:
            pass
        access = Access()
        access.expires = expires
        return access

    def test_the_expiry_less_the_margin(self):
        class Auth:
            MIN_TOKEN_LIFE_SECONDS = 120
        expires = datetime.datetime(2026, 12, 7, 12, 0,
                                    tzinfo=datetime.timezone.utc)
        self.assertEqual(expires.timestamp() - 120,
                         tokens.relogin_at(Auth(), self.access(expires)))

    def test_unknown_without_an_expiry_a_zone_or_a_margin(self):
        class Auth:
            MIN_TOKEN_LIFE_SECONDS = 120

        class Broken:
            @property
            def expires(self):
                raise KeyError('expires_at')
        naive = datetime.datetime(2026, 12, 7, 12, 0)
        aware = naive.replace(tzinfo=datetime.timezone.utc)
        for auth, access in ((Auth(), None), (Auth(), self.access(None)),
                             (Auth(), self.access(naive)), (Auth(), Broken()),
                             (object(), self.access(aware))):
            self.assertIsNone(tokens.relogin_at(auth, access))
