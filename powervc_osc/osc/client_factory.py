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


"""The :class:`~powervc_osc.client.RefcodeClient` of a command."""

from __future__ import annotations

import logging
import typing as ty

from powervc_osc.osc import timeouts

if ty.TYPE_CHECKING:
    from powervc_osc import client as client_mod


def make_client(app: ty.Any, max_workers: int | None = None,
                **options: ty.Any) -> client_mod.RefcodeClient:
    """A RefcodeClient on OSC's own session, region, interface and TLS."""
    from powervc_osc import client as client_mod

    quiet_urllib3(app)
    manager = app.client_manager
    endpoint = manager.get_endpoint_for_service_type(
        'compute', region_name=manager.region_name,
        interface=manager.interface)
    kwargs: dict[str, ty.Any] = dict(options)
    if max_workers:
        kwargs['max_workers'] = max_workers
    return client_mod.RefcodeClient(
        manager.session, region_name=manager.region_name,
        interface=manager.interface, endpoint_override=endpoint,
        timeout=timeouts.api_timeout(app), **kwargs)


def quiet_urllib3(app: ty.Any) -> None:
    """Keep urllib3's debug records for --debug, as osc-lib does requests'.

    osc-lib sets the root logger to DEBUG and quiets the ``requests``
    logger, under which urllib3 logged when requests carried it; urllib3
    now logs under its own name, a debug record for every request of a
    fleet read. Its warnings (a full pool) still show; a level the user
    set is kept.
    """
    logger = logging.getLogger('urllib3')
    if logger.level == logging.NOTSET:
        debug = getattr(getattr(app, 'options', None), 'debug', False)
        logger.setLevel(logging.DEBUG if debug else logging.WARNING)
