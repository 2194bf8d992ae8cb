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

"""What the powervc.refcode modules share: options, client, errors.

powervc_osc is imported only when a module runs, so that a missing
install is one line of advice rather than a traceback.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import contextlib
import sys

from ansible.module_utils.basic import AnsibleModule

#: The options of doc_fragments/cloud.py.
CLOUD_ARGS = dict(
    cloud=dict(type='str'),
    auth=dict(type='dict', no_log=True),
    auth_type=dict(type='str'),
    region_name=dict(type='str'),
    interface=dict(type='str', choices=['public', 'internal', 'admin']),
    validate_certs=dict(type='bool'),
    ca_cert=dict(type='path'),
    client_cert=dict(type='path'),
    client_key=dict(type='path', no_log=False),
    api_timeout=dict(type='float'),
)

#: Module option -> openstack.config setting, for the ones named apart.
_CONFIG_NAMES = dict(validate_certs='verify', ca_cert='cacert',
                     client_cert='cert', client_key='key')


class RefcodeModule(object):
    """An AnsibleModule with powervc_osc imported and a client at hand."""

    def __init__(self, argument_spec, **kwargs):
        spec = dict(CLOUD_ARGS)
        spec.update(argument_spec)
        self.module = AnsibleModule(argument_spec=spec, **kwargs)
        self.params = self.module.params
        self.powervc_osc = _import_powervc_osc(self.module)

    def client(self, **kwargs):
        """A RefcodeClient for the module's cloud options.

        :param kwargs: more RefcodeClient.from_cloud arguments.
        """
        overrides = {}
        for option in CLOUD_ARGS:
            if option != 'cloud' and self.params[option] is not None:
                overrides[_CONFIG_NAMES.get(option, option)] = (
                    self.params[option])
        return self.powervc_osc.RefcodeClient.from_cloud(
            self.params['cloud'], **dict(overrides, **kwargs))

    def refcode_dict(self, rc):
        """A Refcode as ``openstack server refcode show -f json`` has it."""
        from powervc_osc.osc import fields

        return dict(zip(fields.SHOW_FIELDS, fields.show_values(rc)))

    @contextlib.contextmanager
    def failures(self, result=None, server=None):
        """Turn a PowerVC or configuration error into ``fail_json``.

        The message is the error's own line, after ``server`` (the user's
        name for it) when it names the server otherwise (by its ID);
        ``result`` (a dict the block may still fill) goes with it.
        """
        from keystoneauth1 import exceptions as ks_exceptions
        from openstack import exceptions as sdk_exceptions

        try:
            yield
        except (self.powervc_osc.RefcodeError, ks_exceptions.ClientException,
                sdk_exceptions.SDKException) as exc:
            msg = ' '.join(str(exc).split()) or repr(exc)
            if server and server not in msg:
                msg = '%s: %s' % (server, msg)
            self.fail(msg, **(result or {}))

    def checked(self, option, parse):
        """The option's value through a powervc_osc argparse type, or fail.

        :param parse: e.g. ``powervc_osc.options.argtypes.seconds``.
        """
        import argparse

        value = self.params[option]
        if value is None:
            return None
        try:
            return parse(str(value))
        except argparse.ArgumentTypeError as exc:
            self.fail('%s: %s' % (option, exc))

    def fail(self, msg, **result):
        self.module.fail_json(msg=msg, **result)

    def exit(self, **result):
        self.module.exit_json(**result)


def _import_powervc_osc(module):
    """powervc_osc, or fail_json with how to install it."""
    try:
        import openstack.config  # noqa: F401  (what from_cloud needs)
        import powervc_osc
        import powervc_osc.client  # noqa: F401
    except ImportError as exc:
        module.fail_json(
            msg='powervc_osc is not installed in the Python that runs this '
                'module (%s: %s): pip install powervc-osc into it, or point '
                'ansible_python_interpreter at a Python that has it'
                % (sys.executable, exc))
    return powervc_osc
