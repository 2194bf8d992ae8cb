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

"""HTTP basic auth against bcrypt hashes, as exporter-toolkit checks it.

Every check costs the attacker the bcrypt time: an unknown user is
checked against a dummy hash of the same cost, and the user names are
compared in constant time.  A successful check is remembered (keyed on
an HMAC of user and password with a key of this process, never the
password), so that a Prometheus scraping every 15 s pays bcrypt once;
a wrong password is never remembered and always pays.
"""

from __future__ import annotations

import base64
import binascii
import collections
import hashlib
import hmac
import os
import threading

import bcrypt

#: bcrypt's cost bounds.
MIN_COST = 4
MAX_COST = 31
#: bcrypt reads at most this many bytes of a password.
MAX_PASSWORD = 72
#: Successful (user, password) checks remembered at most.
CACHE_SIZE = 64
#: The challenge of a 401 answer.
CHALLENGE = 'Basic realm="powervc-osc-exporter", charset="UTF-8"'


class BasicAuth:
    """Checks ``Authorization: Basic`` headers against ``users``.

    :param users: user name -> bcrypt hash (bytes), already checked.
    """

    def __init__(self, users: dict[str, bytes]) -> None:
        self.users = {user.encode('utf-8'): hashed
                      for user, hashed in users.items()}
        cost = max(int(hashed[4:6]) for hashed in self.users.values())
        # A wrong user costs as much as the dearest right one.
        self._dummy = bcrypt.hashpw(os.urandom(16),
                                    bcrypt.gensalt(rounds=cost))
        self._key = os.urandom(32)
        self._passed: collections.OrderedDict[bytes, None] = (
            collections.OrderedDict())
        self._lock = threading.Lock()

    def remembered(self, authorization: str | None) -> bool:
        """Whether these credentials passed :meth:`check` lately (fast)."""
        credentials = _credentials(authorization)
        if credentials is None:
            return False
        token = self._token(*credentials)
        with self._lock:
            if token in self._passed:
                self._passed.move_to_end(token)
                return True
        return False

    def check(self, authorization: str | None) -> bool:
        """Whether an ``Authorization`` header value grants access.

        Slow by design (bcrypt) unless remembered: call it off the event
        loop.
        """
        if self.remembered(authorization):
            return True
        credentials = _credentials(authorization)
        if credentials is None:
            return False
        user, password = credentials
        hashed = self._dummy
        known = False
        for name, candidate in self.users.items():   # no early exit
            if hmac.compare_digest(name, user):
                hashed, known = candidate, True
        if len(password) > MAX_PASSWORD:
            # bcrypt 5 refuses it; it would be cut by older ones.
            bcrypt.checkpw(b'', self._dummy)
            return False
        if not (bcrypt.checkpw(password, hashed) and known):
            return False
        with self._lock:
            self._passed[self._token(user, password)] = None
            while len(self._passed) > CACHE_SIZE:
                self._passed.popitem(last=False)
        return True

    def _token(self, user: bytes, password: bytes) -> bytes:
        """The cache key: an HMAC, so the password is never kept."""
        return hmac.new(self._key, b'%d:%s:%s' % (len(user), user, password),
                        hashlib.sha256).digest()


def _credentials(authorization: str | None) -> tuple[bytes, bytes] | None:
    """(user, password) of a ``Basic`` header value, or None."""
    if not authorization:
        return None
    scheme, _sep, encoded = authorization.strip().partition(' ')
    if scheme.lower() != 'basic':
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    user, sep, password = decoded.partition(b':')
    if not sep:
        return None
    return user, password
