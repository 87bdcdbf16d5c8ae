"""The KPI formulas against values computed by hand, without a database."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from loyalty import kpis


def test_retention_rate_is_share_of_start_members_still_active():
    # S = 120 active at the start, E = 130 at the end, N = 30 of those were not active at the start:
    # (130 - 30) / 120 = 100 / 120 = 0.8333...
    assert kpis.retention_rate(120, 130, 30) == pytest.approx(100 / 120)
    # nobody left and nobody came: 1.0; everyone left and 10 new came: 0.0
    assert kpis.retention_rate(50, 50, 0) == 1.0
    assert kpis.retention_rate(50, 10, 10) == 0.0


def test_rates_without_a_denominator_are_none_not_zero():
    assert kpis.retention_rate(0, 5, 5) is None
    assert kpis.repeat_visit_rate(0, 0) is None
    assert kpis.first_visit_return_rate(0, 0) is None
    assert kpis.rebooking_rate(0, 0) is None
    assert kpis.redemption_rate(0, 0) is None
    assert kpis.average_lifetime_value(1000, 0) is None
    assert kpis.per_week(3, 0) is None


def test_repeat_and_return_and_rebooking_rates():
    assert kpis.repeat_visit_rate(8, 2) == 0.25          # 2 of 8 visitors came twice or more
    assert kpis.first_visit_return_rate(5, 3) == 0.6     # 3 of 5 first-timers came back
    assert kpis.rebooking_rate(4, 1) == 0.25             # 1 of 4 treatments rebooked on time
    assert kpis.redemption_rate(150, 600) == 0.25        # 150 of 600 earned points redeemed


def test_average_lifetime_value_rounds_to_the_nearest_cent():
    assert kpis.average_lifetime_value(10_000, 4) == 2_500       # 100 EUR over 4 members: 25 EUR
    assert kpis.average_lifetime_value(1_000, 3) == 333          # 333.33 -> 333
    assert kpis.average_lifetime_value(2_000, 3) == 667          # 666.67 -> 667
    assert kpis.average_lifetime_value(-900, 2) == -450          # refunds exceeding sales stay visible


def test_nps_from_scores_and_counts():
    # 10, 9, 9 promoters (3), 8, 7 passives, 6, 0 detractors (2): 100 * (3 - 2) / 7 = 14.2857...
    scores = [10, 9, 9, 8, 7, 6, 0]
    assert kpis.nps(scores) == pytest.approx(100 / 7)
    assert kpis.nps_from_counts(7, 3, 2) == pytest.approx(100 / 7)
    assert kpis.nps([10, 10]) == 100
    assert kpis.nps([0, 6]) == -100
    assert kpis.nps([7, 8]) == 0
    assert kpis.nps([]) is None


def test_points_liability_at_the_redemption_value():
    # 500 points = 50 EUR: 1,234 points are 123.40 EUR = 12,340 cents
    assert kpis.points_liability_cents(1234, 500, 5000) == 12_340
    # 3 points at 500 = 50 EUR: 0.3 EUR = 30 cents; 1 point at 3 = 1 cent: 0.33 -> 0 (rounded down)
    assert kpis.points_liability_cents(3, 500, 5000) == 30
    assert kpis.points_liability_cents(1, 3, 1) == 0
    assert kpis.points_liability_cents(-50, 500, 5000) == 0


def test_enrolments_per_week():
    assert kpis.per_week(12, 28) == 3.0          # 12 in 4 weeks
    assert kpis.per_week(1, 31) == pytest.approx(7 / 31)


def test_cohort_retention_by_month_of_first_visit():
    jan, feb, mar = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)
    sizes = {jan: 4, feb: 2}
    # January's 4: 2 came in February (k=1), 1 in March (k=2); February's 2: 1 came in March (k=1)
    active = {(jan, 1): 2, (jan, 2): 1, (feb, 1): 1}
    cohorts = kpis.cohort_retention(sizes, active, last_month=mar)
    assert cohorts == [kpis.Cohort(jan, 4, (0.5, 0.25)), kpis.Cohort(feb, 2, (0.5,))]
    # a month without returns is 0, not missing
    assert kpis.cohort_retention({jan: 3}, {}, feb) == [kpis.Cohort(jan, 3, (0.0,))]


def test_week_and_month_buckets():
    # 2026-03-04 is a Wednesday: the first week is clipped to Wed-Sun, the last to Mon-Tue
    weeks = kpis.week_buckets(date(2026, 3, 4), date(2026, 3, 17))
    assert weeks == [(date(2026, 3, 4), date(2026, 3, 8)), (date(2026, 3, 9), date(2026, 3, 15)),
                     (date(2026, 3, 16), date(2026, 3, 17))]
    assert kpis.month_buckets(date(2025, 11, 20), date(2026, 2, 1)) == [
        date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)]
    assert kpis.add_months(date(2025, 12, 1), 3) == date(2026, 3, 1)
    assert kpis.months_between(date(2025, 11, 1), date(2026, 2, 1)) == 3


def test_local_days_in_the_program_time_zone():
    # Berlin is UTC+1 in winter, UTC+2 in summer
    assert kpis.local_midnight(date(2026, 1, 10), "Europe/Berlin") == datetime(2026, 1, 9, 23, tzinfo=timezone.utc)
    assert kpis.local_midnight(date(2026, 7, 10), "Europe/Berlin") == datetime(2026, 7, 9, 22, tzinfo=timezone.utc)
    assert kpis.local_date(datetime(2026, 1, 31, 23, 30, tzinfo=timezone.utc), "Europe/Berlin") == date(2026, 2, 1)
