# Copyright 2026 The powervc_osc Authors
#
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

"""requirements.txt and the lower-constraints tox env agree."""

import os
import re

import testtools

ROOT = os.path.join(os.path.dirname(__file__), '..', '..', '..')
_LINE = re.compile(r'^([A-Za-z0-9_.-]+)\s*([^#\s]*)')


def _read(name):
    """{normalised name: version spec} of a requirements-style file."""
    path = os.path.join(ROOT, name)
    if not os.path.exists(path):
        return None
    found = {}
    with open(path) as f:
        for line in f:
            match = _LINE.match(line)
            if match:
                key = re.sub(r'[-_.]+', '-', match.group(1)).lower()
                found[key] = match.group(2)
    return found


class TestLowerConstraints(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.requirements = _read('requirements.txt')
        self.constraints = _read('tools/lower-constraints.txt')
        if self.requirements is None or self.constraints is None:
            self.skipTest('not in a source tree')

    def test_every_requirement_is_pinned_to_its_lower_bound(self):
        for name, spec in self.requirements.items():
            bounds = re.findall(r'>=([^,]+)', spec)
            self.assertEqual(1, len(bounds),
                             '%s has no single lower bound' % name)
            self.assertEqual('==' + bounds[0], self.constraints.get(name),
                             'tools/lower-constraints.txt, %s' % name)

    def test_nothing_else_is_pinned(self):
        self.assertEqual(set(), set(self.constraints) - set(self.requirements))

    def test_no_test_library_at_run_time(self):
        for name in ('fixtures', 'testtools', 'requests-mock', 'hypothesis',
                     'stestr'):
            self.assertNotIn(name, self.requirements)
