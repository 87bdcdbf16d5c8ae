"""The one place that reads the time, so tests and the retention scheduler can move it."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Callable


def _wall() -> datetime:
    return datetime.now(timezone.utc)


_source: Callable[[], datetime] = _wall


def now() -> datetime:
    return _source()


def now_ms() -> int:
    """The time in milliseconds since the epoch, as the sync clock (`loyalty.hlc`) counts it."""
    return int(now().timestamp() * 1000)


def set_source(source: Callable[[], datetime] | None) -> None:
    """Replace the clock (None restores the wall clock)."""
    global _source
    _source = source or (lambda: datetime.now(timezone.utc))


class MovableClock:
    """A clock for tests and simulations: starts at `start`, moves only when told."""

    def __init__(self, start: datetime):
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current
