"""Per-page kiosk state: which screen shows, until when, and what a scanned code means there.

Pure (the caller passes monotonic seconds), so the timeouts and the routing of scanned codes are
tested without a browser. The Flet view renders `screen` and `data` and calls `tick()` a few times
a second.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

IDLE, WELCOME, NOTICE, JOIN, CARD = "idle", "welcome", "notice", "join", "card"
LANGUAGES = ("de", "en")


@dataclass(frozen=True)
class Timing:
    """Seconds a screen stays without a touch; [kiosk] in station.toml can change them."""
    welcome_s: float = 8.0      # welcome and "could not use this code" return to idle by themselves
    feedback_s: float = 25.0    # a welcome that asks for feedback stays longer
    idle_s: float = 60.0        # join form and new card: no touch for this long clears them

    @classmethod
    def from_config(cls, section: dict) -> Timing:
        return cls(**{k: float(section[k]) for k in ("welcome_s", "feedback_s", "idle_s") if k in section})


@dataclass
class KioskSession:
    """One open kiosk page. `busy` pauses the camera; `joining` turns scanned codes into referrals."""
    language: str = "de"
    timing: Timing = field(default_factory=Timing)
    screen: str = IDLE
    data: Any = None
    deadline: float | None = None
    version: int = 0            # bumped on every screen change, so the view knows when to rebuild

    def __post_init__(self) -> None:
        if self.language not in LANGUAGES:
            self.language = "de"

    @property
    def busy(self) -> bool:
        """A result is on screen: a card still held up must not count again meanwhile."""
        return self.screen in (WELCOME, NOTICE)

    @property
    def joining(self) -> bool:
        return self.screen == JOIN

    def show(self, screen: str, data: Any, now: float, *, seconds: float | None = None) -> None:
        self.screen, self.data = screen, data
        self.deadline = None if screen == IDLE else now + (seconds if seconds is not None else self._hold(screen))
        self.version += 1

    def idle(self) -> None:
        """Back to the start: every screen and any half-typed form is dropped."""
        self.screen, self.data, self.deadline = IDLE, None, None
        self.version += 1

    def touch(self, now: float) -> None:
        """The patient is still there (typing, ticking, tapping): keep the screen for another while."""
        if self.screen != IDLE and self.deadline is not None:
            self.deadline = max(self.deadline, now + self._hold(self.screen, touched=True))

    def tick(self, now: float) -> bool:
        """Return to idle when the screen's time is up; True when that happened."""
        if self.deadline is not None and now >= self.deadline:
            self.idle()
            return True
        return False

    def set_language(self, language: str) -> None:
        if language in LANGUAGES:
            self.language = language

    def _hold(self, screen: str, touched: bool = False) -> float:
        if screen in (JOIN, CARD):
            return self.timing.idle_s
        return self.timing.feedback_s if touched else self.timing.welcome_s
