"""Calendar months for plans and point expiry: pure, no I/O."""
from __future__ import annotations

from calendar import monthrange
from datetime import datetime


def add_months(moment: datetime, months: int) -> datetime:
    """Same day next month, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, monthrange(year, month)[1]))


def current_period(started_at: datetime, period_months: int, now: datetime) -> tuple[datetime, datetime]:
    """The plan period that contains `now`: (its start, the next period's start)."""
    periods = 0
    while add_months(started_at, (periods + 1) * period_months) <= now:
        periods += 1
    return add_months(started_at, periods * period_months), add_months(started_at, (periods + 1) * period_months)
