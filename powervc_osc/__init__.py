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

"""PowerVC reference codes for OpenStackClient and Python scripts.

::

    from powervc_osc import RefcodeClient
    client = RefcodeClient.from_cloud('powervc')
    print(client.show('ibmi-prod-1').refcode)

Every public name is listed once, in ``_EXPORTS`` (the ``TYPE_CHECKING``
imports only tell type checkers the same); the names are imported lazily
so that OSC, which imports the command modules of this package on every
``openstack`` command, pays nothing.
"""

from __future__ import annotations

import importlib
import typing as ty

_EXPORTS = {
    'RefcodeClient': 'powervc_osc.client',
    'Refcode': 'powervc_osc.model',
    'explain': 'powervc_osc.codes',
    'Explanation': 'powervc_osc.codes',
    'Failure': 'powervc_osc.exceptions',
    'PartialFailure': 'powervc_osc.exceptions',
    'RefcodeError': 'powervc_osc.exceptions',
    'ServerNotFound': 'powervc_osc.exceptions',
    'AmbiguousServer': 'powervc_osc.exceptions',
    'WaitTimeout': 'powervc_osc.exceptions',
    'CollectionOff': 'powervc_osc.exceptions',
    'Interrupted': 'powervc_osc.exceptions',
    'BadResponse': 'powervc_osc.exceptions',
    'CommunicationError': 'powervc_osc.exceptions',
    'HttpError': 'powervc_osc.exceptions',
    'BadRequest': 'powervc_osc.exceptions',
    'Unauthorized': 'powervc_osc.exceptions',
    'LoginFailed': 'powervc_osc.exceptions',
    'Forbidden': 'powervc_osc.exceptions',
    'NotFound': 'powervc_osc.exceptions',
    'ServerError': 'powervc_osc.exceptions',
    'AdminRequired': 'powervc_osc.exceptions',
    'ConfigurationError': 'powervc_osc.exceptions',
}

__all__ = sorted(_EXPORTS)

if ty.TYPE_CHECKING:
    from powervc_osc.client import RefcodeClient  # noqa: F401
    from powervc_osc.codes import explain  # noqa: F401
    from powervc_osc.codes import Explanation  # noqa: F401
    from powervc_osc.exceptions import AdminRequired  # noqa: F401
    from powervc_osc.exceptions import AmbiguousServer  # noqa: F401
    from powervc_osc.exceptions import BadRequest  # noqa: F401
    from powervc_osc.exceptions import BadResponse  # noqa: F401
    from powervc_osc.exceptions import CollectionOff  # noqa: F401
    from powervc_osc.exceptions import CommunicationError  # noqa: F401
    from powervc_osc.exceptions import ConfigurationError  # noqa: F401
    from powervc_osc.exceptions import Failure  # noqa: F401
    from powervc_osc.exceptions import Forbidden  # noqa: F401
    from powervc_osc.exceptions import HttpError  # noqa: F401
    from powervc_osc.exceptions import Interrupted  # noqa: F401
    from powervc_osc.exceptions import LoginFailed  # noqa: F401
    from powervc_osc.exceptions import NotFound  # noqa: F401
    from powervc_osc.exceptions import PartialFailure  # noqa: F401
    from powervc_osc.exceptions import RefcodeError  # noqa: F401
    from powervc_osc.exceptions import ServerError  # noqa: F401
    from powervc_osc.exceptions import ServerNotFound  # noqa: F401
    from powervc_osc.exceptions import Unauthorized  # noqa: F401
    from powervc_osc.exceptions import WaitTimeout  # noqa: F401
    from powervc_osc.model import Refcode  # noqa: F401


def lazy_exports(package: str, exports: dict[str, str],
                 ) -> ty.Callable[[str], ty.Any]:
    """A package face's ``__getattr__``, importing its names on first use.

    :param exports: each public name -> the module it lives in.
    """
    def __getattr__(name: str) -> ty.Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError('module %r has no attribute %r'
                                 % (package, name))
        return getattr(importlib.import_module(module), name)
    return __getattr__


__getattr__ = lazy_exports(__name__, _EXPORTS)
