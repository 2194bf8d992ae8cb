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

"""The collection as Ansible's tools see it, and the doc's playbook.

``ansible-test sanity`` needs containers or downloads from outside PyPI,
so these stand in for it offline: ``ansible-doc`` renders every module,
the YAML of every doc block parses and its examples use only documented
options, ``ansible-galaxy`` builds the collection, and the playbook of
doc/source/ansible.rst runs against the simulator.
"""

from __future__ import annotations

import json
import os
import sys
import tarfile

import fixtures
import yaml

from powervc_osc.simulator import records
from powervc_osc.tests import cli_runner
from powervc_osc.tests.functional_ansible import base

MODULES = ('refcode', 'refcode_info')
DOC_PLAYBOOK = os.path.normpath(os.path.join(
    base.COLLECTIONS, '..', 'doc', 'source', 'examples', 'ansible_fleet.yml'))


class TestDocumentation(base.AnsibleTestCase):

    def ansible_doc(self, *args: str) -> cli_runner.Result:
        return self.run_command([base.ansible_tool('ansible-doc')]
                                + list(args),
                                env=self.ansible_environment())

    def test_ansible_doc_renders_each_module(self):
        for module in MODULES:
            name = 'powervc.refcode.' + module
            text = ' '.join(self.ansible_doc(name).out.split())
            for heading in ('OPTIONS', 'EXAMPLES', 'RETURN VALUES'):
                self.assertIn(heading, text, name)
            self.assertIn('pip install powervc-osc', text)
        listed = self.ansible_doc('-l', 'powervc.refcode').out
        self.assertEqual(sorted('powervc.refcode.' + m for m in MODULES),
                         sorted(line.split()[0]
                                for line in listed.splitlines()))

    def test_examples_use_documented_options(self):
        names = ['powervc.refcode.' + m for m in MODULES]
        docs = self.ansible_doc('--json', *names).json()
        for name in names:
            doc = docs[name]
            options = set(doc['doc']['options'])
            self.assertTrue({'cloud', 'auth'} <= options, name)
            self.assertTrue(doc['doc']['description'])
            self.assertTrue(doc['return'], name)
            examples = yaml.safe_load(doc['examples'])
            used = [t[name] for t in examples if name in t]
            self.assertTrue(used, name)
            for args in used:
                self.assertLessEqual(set(args), options, name)

    def test_collection_yaml(self):
        for part in ('galaxy.yml', os.path.join('meta', 'runtime.yml')):
            with open(os.path.join(base.COLLECTION, part)) as stream:
                self.assertIsInstance(yaml.safe_load(stream), dict, part)
        with open(DOC_PLAYBOOK) as stream:
            play, = yaml.safe_load(stream)
        self.assertEqual('localhost', play['hosts'])

    def test_galaxy_builds_the_collection(self):
        out = self.useFixture(fixtures.TempDir()).path
        self.run_command(
            [base.ansible_tool('ansible-galaxy'), 'collection', 'build',
             base.COLLECTION, '--output-path', out],
            env=self.ansible_environment())
        built, = os.listdir(out)
        self.assertTrue(built.startswith('powervc-refcode-'), built)
        with tarfile.open(os.path.join(out, built)) as archive:
            names = archive.getnames()
            manifest = json.load(archive.extractfile('MANIFEST.json'))
        self.assertIn('plugins/modules/refcode.py', names)
        self.assertIn('plugins/module_utils/powervc.py', names)
        self.assertEqual(('powervc', 'refcode'), (
            manifest['collection_info']['namespace'],
            manifest['collection_info']['name']))


class TestDocPlaybook(base.AnsibleTestCase):

    def test_fleet_playbook(self):
        host = records.HOST_NL2
        # Named as IBM i, but Linux: PowerVC refuses it, the play goes on.
        self.sim.state.add_server('ibmi-misnamed-1', os_type='linux',
                                  host=host)
        result = self.run_command(
            [base.ansible_tool('ansible-playbook'), '-i', 'localhost,',
             DOC_PLAYBOOK, '-e', 'cloud=%s' % base.ADMIN,
             '-e', 'host=%s' % host, '-e', 'wait_interval=1',
             # As JSON: key=value splits at a space in the venv's path.
             '-e', json.dumps({'ansible_python_interpreter': sys.executable})],
            env=self.ansible_environment())
        self.assertIn(' changed=1 ', result.out)     # ibmi-dev-1
        self.assertIn(' failed=0 ', result.out)
        self.assertIn(' ignored=1 ', result.out)
        self.assertRegex(result.out, r'"msg": "ibmi-misnamed-1: PowerVC '
                                     r'rejected the request .*HTTP 400')
        self.assertIn('ibmi-stuck-1: B2008105 error', result.out)
        rows = self.openstack('server', 'refcode', 'list', '--host', host,
                              '--name', '^ibmi-', '-f', 'json').json()
        self.assertEqual({'ibmi-dev-1', 'ibmi-stuck-1', 'ibmi-off-1',
                          'ibmi-misnamed-1'}, {r['Name'] for r in rows})
        for row in rows:
            if row['Name'] == 'ibmi-misnamed-1':
                self.assertIs(False, row['Required'])
                continue
            self.assertIs(True, row['Required'], row)
            self.assertFalse(row['Refcode'].startswith('C'), row)
