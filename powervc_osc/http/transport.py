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

"""keystoneauth's transport, made to tell the deadline its sockets.

:func:`mount` puts :class:`DeadlineAdapter` in the requests session of a
keystoneauth session; its urllib3 pools open connections that hand each
socket they send on to :func:`powervc_osc.http.deadline.arm`.
"""

from __future__ import annotations

import typing as ty
import urllib.parse

from keystoneauth1 import session as ks_session
import requests
import urllib3.connection
import urllib3.connectionpool

from powervc_osc.http import deadline


class WatchedConnection(urllib3.connection.HTTPConnection):
    """A connection whose socket the attempt being sent watches."""

    def connect(self) -> None:
        super().connect()
        deadline.arm(self.sock)

    def request(self, *args: ty.Any, **kwargs: ty.Any) -> None:
        deadline.arm(self.sock)          # None until connected
        super().request(*args, **kwargs)


class WatchedTLSConnection(WatchedConnection,
                           urllib3.connection.HTTPSConnection):
    """The same over TLS."""


class WatchedPool(urllib3.connectionpool.HTTPConnectionPool):
    ConnectionCls = WatchedConnection


class WatchedTLSPool(urllib3.connectionpool.HTTPSConnectionPool):
    ConnectionCls = WatchedTLSConnection


_WATCHED_POOLS: dict[type, type] = {
    urllib3.connectionpool.HTTPConnectionPool: WatchedPool,
    urllib3.connectionpool.HTTPSConnectionPool: WatchedTLSPool}


def _watch_pools(manager: ty.Any) -> None:
    """Make a urllib3 pool manager open watched connections.

    Pools of other kinds (SOCKS proxies) are left as they are.
    """
    manager.pool_classes_by_scheme = {
        scheme: _WATCHED_POOLS.get(pool, pool)
        for scheme, pool in manager.pool_classes_by_scheme.items()}


class DeadlineAdapter(ks_session.TCPKeepAliveAdapter):
    """keystoneauth's transport, over which an attempt's deadline holds.

    Sending the request of an attempt starts its clock
    (:func:`~powervc_osc.http.deadline.begin`), and the socket it goes out
    on is watched from then on; other requests (logins) are sent as they
    were.
    """

    def init_poolmanager(self, *args: ty.Any, **kwargs: ty.Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        _watch_pools(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **kwargs: ty.Any) -> ty.Any:
        manager = super().proxy_manager_for(proxy, **kwargs)
        _watch_pools(manager)
        return manager

    def send(self, request: requests.PreparedRequest, *args: ty.Any,
             **kwargs: ty.Any) -> requests.Response:
        deadline.begin(request)
        return super().send(request, *args, **kwargs)


def remember_environment(session: ty.Any) -> None:
    """Read proxies and CA bundle from the environment once per origin.

    requests reads every environment variable at each request to find
    proxies (a tenth of a metadata GET's CPU time); the answer depends only
    on the origin and the request's own settings, so it is kept for each.
    """
    requests_session: ty.Any = getattr(session, 'session', None)
    merge = getattr(requests_session, 'merge_environment_settings', None)
    if merge is None or getattr(merge, 'remembers', False):
        return
    cache: dict[ty.Any, dict] = {}

    def remembered(url: str, proxies: ty.Any, stream: ty.Any, verify: ty.Any,
                   cert: ty.Any) -> dict:
        try:
            parts = urllib.parse.urlsplit(url)
            key = (parts.scheme, parts.netloc,
                   frozenset((proxies or {}).items()), stream, verify, cert)
            settings = cache.get(key)
        except (TypeError, ValueError):     # an unhashable setting
            return merge(url, proxies, stream, verify, cert)
        if settings is None:
            settings = cache[key] = merge(url, dict(proxies or {}), stream,
                                          verify, cert)
        return dict(settings, proxies=dict(settings.get('proxies') or {}))

    remembered.remembers = True     # type: ignore[attr-defined]
    requests_session.merge_environment_settings = remembered


def mount(session: ty.Any, size: int) -> None:
    """Put :class:`DeadlineAdapter` in place of keystoneauth's transport.

    It keeps that transport's TLS settings (ciphers, minimum version) and
    lets ``size`` threads share the session without discarding sockets.
    A transport that someone else mounted is left alone: over it, the
    deadline of an attempt starts once the headers are in.
    """
    requests_session = getattr(session, 'session', None)
    if requests_session is None:
        return
    for prefix in ('https://', 'http://'):
        current = requests_session.adapters.get(prefix)
        if type(current) not in (ks_session.TCPKeepAliveAdapter,
                                 DeadlineAdapter):
            continue
        pool = getattr(current, '_pool_maxsize',
                       requests.adapters.DEFAULT_POOLSIZE)
        if type(current) is DeadlineAdapter and pool >= size:
            continue
        tls = {name: getattr(current, name)
               for name in ('tls_ciphers', 'tls_min_version')
               if getattr(current, name, None)}
        requests_session.mount(prefix, DeadlineAdapter(
            pool_maxsize=max(size, pool), **tls))
