"""Key figures for the manager: pure functions over small aggregates, no I/O.

The insights service counts in SQL (a dashboard over a million ledger entries must load in under a
second) and hands the counts to these functions, which hold the formulas. A rate is a fraction
between 0 and 1, or None when its denominator is zero (nothing to measure is not 0 %).

"Active" means at least one visit (a kiosk or desk check-in) in the ACTIVE_DAYS days before a moment.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable, Mapping
from zoneinfo import ZoneInfo

ACTIVE_DAYS = 90       # a member is active with a visit in the 90 days before a moment
RETURN_DAYS = 90       # a first-time patient "came back" with a second visit within 90 days
REBOOK_GRACE_DAYS = 14  # a rebooking a little after the recall date still counts as on time


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def retention_rate(start_count: int, end_count: int, new_count: int) -> float | None:
    """(E - N) / S.

    S: members active at the period start, E: members active at its end, N: members active at the
    end who were not active at the start (new patients and patients won back after a break). So
    E - N are the members active at both ends, and the rate is the share of S still active at the
    end: between 0 and 1.
    """
    return _share(end_count - new_count, start_count)


def repeat_visit_rate(visitors: int, repeat_visitors: int) -> float | None:
    """R / V: V members with at least one visit in the period, R of them with two or more in it."""
    return _share(repeat_visitors, visitors)


def first_visit_return_rate(first_timers: int, returned: int) -> float | None:
    """B / F: F members whose first visit fell in the period and whose return window (RETURN_DAYS
    after it) has closed or who already came back; B of them visited again within the window."""
    return _share(returned, first_timers)


def average_lifetime_value(revenue_cents: int, members: int) -> int | None:
    """Revenue / M in cents, rounded to the nearest cent: revenue of all members up to the period
    end (purchases and treatments minus refunds), M members enrolled by then."""
    return _mean_cents(revenue_cents, members)


def average_value(revenue_cents: int, paid: int) -> int | None:
    """Revenue / P in cents, rounded to the nearest cent: revenue of the period (purchases and
    treatments minus refunds) over its P paid purchases and treatments."""
    return _mean_cents(revenue_cents, paid)


def _mean_cents(cents: int, count: int) -> int | None:
    return (2 * cents + count) // (2 * count) if count else None


def rebooking_rate(treatments: int, rebooked: int) -> float | None:
    """K / T per treatment: T treatments with a recall interval performed in the period whose recall
    date (plus REBOOK_GRACE_DAYS) has passed or that were already rebooked; K of them were followed
    by the same treatment for the same member by the recall date plus the grace days."""
    return _share(rebooked, treatments)


def nps(scores: Iterable[int]) -> float | None:
    """Net Promoter Score: % of scores 9-10 minus % of scores 0-6, from -100 to 100; None without scores."""
    scores = list(scores)
    if not scores:
        return None
    promoters = sum(1 for s in scores if s >= 9)
    detractors = sum(1 for s in scores if s <= 6)
    return nps_from_counts(len(scores), promoters, detractors)


def nps_from_counts(responses: int, promoters: int, detractors: int) -> float | None:
    """The same score from counts: 100 * (P - D) / n."""
    if not responses:
        return None
    return 100 * (promoters - detractors) / responses


def points_liability_cents(outstanding_points: int, redeem_points: int, redeem_value_cents: int) -> int:
    """What the points members hold are worth at the program's redemption value, in cents:
    P * value / points (500 points = 50 EUR: 1,234 points are 123.40 EUR), rounded down.
    P sums positive balances only: a member in debt does not lower what the others are owed."""
    if outstanding_points <= 0 or redeem_points <= 0:
        return 0
    return outstanding_points * redeem_value_cents // redeem_points


def redemption_rate(points_redeemed: int, points_earned: int) -> float | None:
    """X / Y: points spent on rewards in the period over points earned in it (all earning kinds)."""
    return _share(points_redeemed, points_earned)


def per_week(count: int, days: int) -> float | None:
    """C / (D / 7): a count over a period of D days as an average per week."""
    if days <= 0:
        return None
    return count * 7 / days


@dataclass(frozen=True)
class Cohort:
    """Members whose first visit fell in one month, and the share of them seen again later."""
    month: date                          # first day of the month of the first visit
    size: int
    returned: tuple[float | None, ...]   # [k]: share with a visit in month + k + 1; None: not yet reached


def cohort_retention(sizes: Mapping[date, int], active: Mapping[tuple[date, int], int],
                     last_month: date) -> list[Cohort]:
    """Cohort retention by month of first visit: A(c, k) / size(c).

    sizes: cohort month -> members whose first visit fell in it; active: (cohort month, k) ->
    members of that cohort with a visit in the k-th month after it (k >= 1). Months after
    `last_month` have not happened yet and are left out.
    """
    out = []
    for month in sorted(sizes):
        size = sizes[month]
        span = months_between(month, last_month)
        out.append(Cohort(month, size, tuple(_share(active.get((month, k), 0), size)
                                             for k in range(1, span + 1))))
    return out


def months_between(first: date, later: date) -> int:
    return (later.year - first.year) * 12 + later.month - first.month


def add_months(month: date, k: int) -> date:
    index = month.year * 12 + month.month - 1 + k
    return date(index // 12, index % 12 + 1, 1)


def week_buckets(start: date, end: date) -> list[tuple[date, date]]:
    """The weeks (Monday to Sunday) that overlap start..end, each clipped to the period; inclusive."""
    buckets = []
    day = start
    while day <= end:
        sunday = day + timedelta(days=6 - day.weekday())
        buckets.append((day, min(sunday, end)))
        day = sunday + timedelta(days=1)
    return buckets


def month_buckets(start: date, end: date) -> list[date]:
    """First days of the months that overlap start..end."""
    month = start.replace(day=1)
    out = []
    while month <= end:
        out.append(month)
        month = add_months(month, 1)
    return out


def local_midnight(day: date, tz: str) -> datetime:
    """The UTC moment a local calendar day begins (periods are days in the program's time zone)."""
    return datetime.combine(day, time(), ZoneInfo(tz)).astimezone(timezone.utc)


def local_date(moment: datetime, tz: str) -> date:
    return moment.astimezone(ZoneInfo(tz)).date()
