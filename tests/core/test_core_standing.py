"""Where a member stands, as the patients' app shows it at HQ: pure rules over plain entries."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from loyalty.periods import add_months
from loyalty.program import DEFAULT_PROGRAM, load_program_file
from loyalty.standing import Entry, expiring, plan_use, rewards_ready, standing

PROGRAM = load_program_file(DEFAULT_PROGRAM)
NOW = datetime(2026, 12, 4, 10, 0, tzinfo=timezone.utc)


def entry(number: int, kind: str, points: int = 0, stamps: int = 0, days_ago: int = 0) -> Entry:
    return Entry(f"e{number:03d}", kind, points, stamps, NOW - timedelta(days=days_ago))


def test_points_expire_oldest_first_after_the_programs_months():
    entries = [entry(1, "signup", 50, days_ago=700), entry(2, "purchase", 200, days_ago=400),
               entry(3, "redeem", -150, days_ago=10), entry(4, "purchase", 100, days_ago=5)]
    found = expiring(entries, 24, NOW)
    assert [(e.on, e.points) for e in found] == [(add_months(NOW - timedelta(days=400), 24), 100),
                                                 (add_months(NOW - timedelta(days=5), 24), 100)]
    assert expiring(entries, 0, NOW) == []                      # a program whose points never expire


def test_the_tier_counts_purchases_of_the_last_twelve_months_only():
    old = [entry(1, "purchase", 2500, days_ago=400), entry(2, "purchase", 900, days_ago=30)]
    found = standing(PROGRAM, old + [entry(3, "visit", stamps=1, days_ago=1)], NOW)
    assert found.points == 3400 and found.tier.code == "member"
    assert found.next_tier.code == "silver" and found.points_to_next_tier == 100
    assert (found.stamps_on_card, found.full_cards) == (1, 0)
    assert "credit-cosmetics" in found.rewards_ready and "priority-booking" not in found.rewards_ready
    assert rewards_ready(PROGRAM, 0, 10) == ["priority-booking"]


def test_plan_benefits_count_in_the_current_period_only():
    premium = PROGRAM.plans["premium"]
    started = NOW - timedelta(days=40)
    this_period = add_months(started, 1)
    use = plan_use(premium, started, [("facial", started), ("facial", this_period), ("long-consult", this_period)],
                   NOW)
    assert (use.period_start, use.renews_on) == (this_period, add_months(started, 2))
    assert use.used == {"facial": 1, "long-consult": 1} and use.left == {"facial": 0, "long-consult": 0}
