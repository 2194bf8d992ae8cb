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

import datetime

import testtools

from powervc_osc.fleet import freshness

UTC = datetime.timezone.utc
DATE = datetime.datetime(2026, 12, 4, 17, 0, 0, tzinfo=UTC)
HOUR = datetime.timedelta(hours=1)


def local(hours: float, seconds: float = 0.0) -> datetime.datetime:
    """PowerVC's naive local time at ``DATE`` in zone UTC+hours."""
    return (DATE.replace(tzinfo=None) + datetime.timedelta(hours=hours)
            - datetime.timedelta(seconds=seconds))


class TestZoneOffset(testtools.TestCase):

    def test_utc_and_other_zones_are_found(self):
        for hours in (0, 5.5, -4, 14, -12, 5.75):
            self.assertEqual(
                datetime.timedelta(hours=hours),
                freshness.zone_offset(DATE, local(hours, seconds=1.3)))

    def test_a_code_that_was_not_just_stamped_calibrates_nothing(self):
        # 20 minutes old: no zone is 20 minutes off a quarter hour.
        self.assertIsNone(freshness.zone_offset(DATE, local(0, 20 * 60)))
        self.assertIsNone(freshness.zone_offset(None, local(0)))
        self.assertIsNone(freshness.zone_offset(DATE, None))

    def test_no_zone_beyond_the_world_s(self):
        self.assertIsNone(freshness.zone_offset(DATE, local(15)))
        self.assertIsNone(freshness.zone_offset(DATE, local(-13)))

    def test_http_date(self):
        self.assertEqual(DATE, freshness.parse_http_date(
            'Fri, 04 Dec 2026 17:00:00 GMT'))
        self.assertIsNone(freshness.parse_http_date('yesterday'))
        self.assertIsNone(freshness.parse_http_date(None))

    def test_offset_text(self):
        self.assertEqual('UTC+05:30', freshness.offset_text(
            datetime.timedelta(hours=5.5)))
        self.assertEqual('UTC-04:00', freshness.offset_text(-4 * HOUR))
        self.assertEqual('UTC', freshness.offset_text(0 * HOUR))


class TestFreshness(testtools.TestCase):

    def test_age_is_judged_in_powervc_s_zone(self):
        # PowerVC at UTC+10: a code stamped 30 s ago reads 10 h ahead of
        # UTC; taken for UTC it would look 10 hours in the future.
        check = freshness.Freshness(60, 10 * HOUR, DATE)
        self.assertTrue(check.is_fresh(local(10, seconds=30)))
        self.assertFalse(check.is_fresh(local(10, seconds=90)))
        self.assertFalse(check.future_seen)

    def test_west_of_utc_a_fresh_code_is_not_taken_for_old(self):
        check = freshness.Freshness(60, -5 * HOUR, DATE)
        self.assertTrue(check.is_fresh(local(-5, seconds=5)))

    def test_max_age_zero_reads_everything(self):
        check = freshness.Freshness(0, 0 * HOUR, DATE)
        self.assertFalse(check.is_fresh(local(0)))

    def test_no_query_time_is_not_fresh(self):
        self.assertFalse(freshness.Freshness(60, 0 * HOUR, DATE).is_fresh(
            None))

    def test_a_query_time_from_the_future_means_a_wrong_zone(self):
        check = freshness.Freshness(60, 0 * HOUR, DATE)
        self.assertFalse(check.is_fresh(local(1)))
        self.assertTrue(check.future_seen)

    def test_jitter_is_not_the_future(self):
        check = freshness.Freshness(60, 0 * HOUR, DATE)
        self.assertTrue(check.is_fresh(local(0, seconds=-30)))
        self.assertFalse(check.future_seen)


class _Row:
    def __init__(self, queried_at):
        self.queried_at = queried_at


class TestReadPlan(testtools.TestCase):

    def test_zone_is_needed_only_with_max_age_and_a_date(self):
        plan = freshness.ReadPlan(60)
        self.assertFalse(plan.needs_zone)          # no page yet
        plan.page('Fri, 04 Dec 2026 17:00:00 GMT')
        self.assertTrue(plan.needs_zone)
        self.assertFalse(freshness.ReadPlan(0).needs_zone)

    def test_calibration_gives_up_after_three_tries(self):
        plan = freshness.ReadPlan(60)
        plan.page('Fri, 04 Dec 2026 17:00:00 GMT')
        for _ in range(3):
            plan.calibrated(None)
        self.assertFalse(plan.needs_zone)
        # Without a zone no code is judged recent: every one is read.
        self.assertTrue(plan.wants(_Row(local(0))))

    def test_recent_codes_are_not_read_older_ones_as_refresh_says(self):
        asked = []
        plan = freshness.ReadPlan(
            60, offset=3 * HOUR,
            refresh=lambda row: asked.append(row) or False)
        plan.page('Fri, 04 Dec 2026 17:00:00 GMT')
        self.assertFalse(plan.wants(_Row(local(3, seconds=10))))
        self.assertEqual([], asked)
        old = _Row(local(3, seconds=600))
        self.assertFalse(plan.wants(old))
        self.assertEqual([old], asked)

    def test_max_age_zero_reads_everything_whatever_refresh_says(self):
        plan = freshness.ReadPlan(0, refresh=lambda row: False)
        self.assertTrue(plan.wants(_Row(local(0))))

    def test_a_page_without_date_reads_everything(self):
        plan = freshness.ReadPlan(60, offset=0 * HOUR)
        plan.page(None)
        self.assertTrue(plan.wants(_Row(local(0))))
