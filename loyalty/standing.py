"""Where a member stands: balance, stamp card, tier, rewards ready, points about to expire, plan
benefits used and left. Pure: the station reads these figures from its tables, HQ from its rows.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable

from loyalty import ledger
from loyalty.periods import add_months, current_period
from loyalty.program import Plan, Program, Tier
from loyalty.visits import stamp_card

TIER_WINDOW = timedelta(days=365)     # tiers count points earned in the last twelve months


@dataclass(frozen=True)
class Entry:
    """What the standing reads of one ledger entry."""
    id: str
    kind: str
    points: int
    stamps: int
    created_at: datetime


@dataclass(frozen=True)
class Expiry:
    on: datetime          # the moment these points expire
    points: int


@dataclass(frozen=True)
class Standing:
    points: int
    stamps_on_card: int
    stamps_per_card: int
    full_cards: int
    tier: Tier
    next_tier: Tier | None
    points_to_next_tier: int | None
    rewards_ready: list[str]
    expiring: list[Expiry]


@dataclass(frozen=True)
class PlanUse:
    plan: Plan
    period_start: datetime
    renews_on: datetime
    used: dict[str, int]       # benefit code -> used this period
    left: dict[str, int]


def rewards_ready(program: Program, points: int, stamps: int) -> list[str]:
    """Rewards the balance pays for now, in the program's order."""
    return [r.code for r in program.rewards.values()
            if (r.cost_points is not None and points >= r.cost_points)
            or (r.cost_stamps is not None and stamps >= r.cost_stamps)]


def expiring(entries: Iterable[Entry], expiry_months: int, now: datetime) -> list[Expiry]:
    """Points still unspent, by the moment they expire (oldest earnings are spent first)."""
    if not expiry_months:
        return []
    by_moment: dict[datetime, int] = {}
    for lot in ledger.open_lots(entries):
        moment = add_months(lot.earned_at, expiry_months)
        if moment > now:
            by_moment[moment] = by_moment.get(moment, 0) + lot.remaining
    return [Expiry(moment, points) for moment, points in sorted(by_moment.items())]


def standing(program: Program, entries: list[Entry], now: datetime) -> Standing:
    points = sum(e.points for e in entries)
    stamps = sum(e.stamps for e in entries)
    earned = sum(e.points for e in entries if e.kind in ledger.TIER_KINDS and now - TIER_WINDOW <= e.created_at)
    tier, upcoming = program.tier_for(earned), program.next_tier(earned)
    card = stamp_card(stamps, program.stamps_per_card)
    return Standing(points, card.on_card, card.per_card, card.full_cards, tier, upcoming,
                    upcoming.threshold - earned if upcoming else None, rewards_ready(program, points, stamps),
                    expiring(entries, program.expiry_months, now))


def plan_use(plan: Plan, started_at: datetime, uses: Iterable[tuple[str, datetime]], now: datetime) -> PlanUse:
    """Benefits of the current period: `uses` are (benefit code, the period start it was booked in)."""
    start, end = current_period(started_at, plan.period_months, now)
    counted: dict[str, int] = {}
    for code, period_start in uses:
        if period_start == start:
            counted[code] = counted.get(code, 0) + 1
    used = {b.code: counted.get(b.code, 0) for b in plan.benefits}
    return PlanUse(plan, start, end, used, {b.code: b.per_period - used[b.code] for b in plan.benefits})
