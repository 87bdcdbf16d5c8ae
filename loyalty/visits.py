"""Check-in rules: cool-down, daily limit, stamp card and birthday bonus. Pure, no I/O."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class StampCard:
    on_card: int       # stamps on the card being filled
    per_card: int
    full_cards: int    # completed cards not yet redeemed


def stamp_card(stamps: int, per_card: int) -> StampCard:
    """Extra stamps roll over to a new card; full cards wait to be redeemed."""
    stamps = max(stamps, 0)
    return StampCard(stamps % per_card, per_card, stamps // per_card)


def visit_refusal(last_visit: datetime | None, visits_today: int, now: datetime,
                  cooldown_hours: float, daily_limit: int) -> str | None:
    """None when a visit stamp may be given, else why not."""
    if last_visit is not None and now - last_visit < timedelta(hours=cooldown_hours):
        return "cooldown"
    if visits_today >= daily_limit:
        return "daily_limit"
    return None


def local_day_start(now: datetime, tz: str) -> datetime:
    local = now.astimezone(ZoneInfo(tz))
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(ZoneInfo("UTC"))


def birthday_bonus_due(now: datetime, tz: str, day: int | None, month: int | None,
                       set_at: datetime | None, last_bonus: datetime | None) -> bool:
    """On a visit in the birthday month, once a calendar year, not for a birthday entered in the last 30 days."""
    if not day or not month or set_at is None:
        return False
    local = now.astimezone(ZoneInfo(tz))
    if local.month != month:
        return False
    if now - set_at < timedelta(days=30):
        return False
    if last_bonus is not None and last_bonus.astimezone(ZoneInfo(tz)).year == local.year:
        return False
    return True
