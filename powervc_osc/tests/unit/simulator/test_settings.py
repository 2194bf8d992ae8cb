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

"""The settings object and the layers it goes through."""

import testtools

from powervc_osc.simulator import cli
from powervc_osc.simulator import server as sim_server
from powervc_osc.simulator import settings as sim_settings


class TestSettings(testtools.TestCase):

    def test_keywords_override_a_settings_object(self):
        given = sim_settings.SimulatorSettings(step_seconds=0.5, seed=3)
        sim = sim_server.Simulator(settings=given, seed=4, max_limit=7)
        self.assertEqual((0.5, 4, 7), (sim.settings.step_seconds,
                                       sim.settings.seed,
                                       sim.settings.max_limit))
        self.assertEqual(3, given.seed)
        self.assertIs(sim.settings, sim.app.settings)
        self.assertEqual((0.5, 4, 7), (sim.state.step_seconds,
                                       sim.state.seed, sim.state.max_limit))

    def test_unknown_keyword(self):
        self.assertRaises(TypeError, sim_server.Simulator, bogus=1)

    def test_error_rate_is_a_probability(self):
        self.assertRaises(ValueError, sim_server.Simulator, error_rate=1.5)
        sim = sim_server.Simulator()
        sim.error_rate = '0.25'
        self.assertEqual(0.25, sim.app.settings.error_rate)
        self.assertRaises(ValueError, setattr, sim, 'error_rate', -0.1)
        self.assertEqual(0.25, sim.error_rate)
        sim.latency_ms = 12
        self.assertEqual(12.0, sim.app.settings.latency_ms)

    def test_cli_defaults_are_the_settings_defaults(self):
        args = cli.build_parser().parse_args([])
        self.assertEqual(sim_settings.SimulatorSettings(),
                         cli.settings_from(args))

    def test_cli_options_map_onto_settings(self):
        args = cli.build_parser().parse_args([
            '--host', '::1', '--port', '123', '--servers', '5',
            '--latency', '7', '--error-rate', '0.5', '--seed', '9',
            '--token-ttl', '60', '--step-seconds', '0.1',
            '--max-limit', '20'])
        self.assertEqual(
            sim_settings.SimulatorSettings(
                servers=5, host='::1', port=123, latency_ms=7.0,
                error_rate=0.5, seed=9, token_ttl=60.0, step_seconds=0.1,
                max_limit=20),
            cli.settings_from(args))
