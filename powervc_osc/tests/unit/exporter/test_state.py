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
"""The exporter's state: what one poll saw, published whole."""

import datetime

import testtools

from powervc_osc.exporter import state


class TestUnixTime(testtools.TestCase):

    def test_naive_times_are_utc(self):
        naive = datetime.datetime(2020, 10, 14, 5, 21, 53)
        self.assertEqual(1602652913.0, state.unix_time(naive))

    def test_aware_times_keep_their_zone(self):
        zone = datetime.timezone(datetime.timedelta(hours=2))
        aware = datetime.datetime(2020, 10, 14, 7, 21, 53, tzinfo=zone)
        self.assertEqual(1602652913.0, state.unix_time(aware))

    def test_none_is_unknown(self):
        self.assertIsNone(state.unix_time(None))


class TestBoard(testtools.TestCase):

    def test_empty(self):
        board = state.Board()
        self.assertEqual((0, []), board.versioned_states())

    def test_latest_state_of_each_cloud_sorted_by_cloud(self):
        board = state.Board()
        board.publish(state.CloudState('prod', up=True))
        board.publish(state.CloudState('backup', up=True))
        board.publish(state.CloudState('prod', up=False, failures=1))
        version, states = board.versioned_states()
        self.assertEqual(3, version)
        self.assertEqual([('backup', True), ('prod', False)],
                         [(s.cloud, s.up) for s in states])
        self.assertEqual(states, board.states())

    def test_the_version_changes_with_every_publish(self):
        board = state.Board()
        seen = set()
        for _ in range(3):
            board.publish(state.CloudState('prod', up=True))
            seen.add(board.versioned_states()[0])
        self.assertEqual(3, len(seen))

    def test_states_are_frozen(self):
        cloud = state.CloudState('prod', up=True)
        self.assertRaises(AttributeError, setattr, cloud, 'up', False)
