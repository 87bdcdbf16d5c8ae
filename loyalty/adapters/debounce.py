"""Turn per-frame reads into check-ins: a camera sees the same card in every frame.

Rule (from the video measurements in DECODING-NOTES.md): a code counts once it is seen in 2 of the
last 3 frames, which drops one-frame misreads; then it is ignored until it has been out of view for
`absent_s` seconds, so a card held still counts once; other codes pass at once.
"""

from __future__ import annotations

from collections import deque


class Debouncer:
    """Pure state machine; the caller supplies `now` (monotonic seconds), so tests need no clock."""

    def __init__(self, hits: int = 2, window: int = 3, absent_s: float = 1.5, min_interval_s: float = 0.0) -> None:
        """`min_interval_s` additionally keeps a code locked that long after it was accepted
        (the notes used 5 s), for a card waved in and out quickly."""
        if not 1 <= hits <= window:
            raise ValueError("need 1 <= hits <= window")
        self.hits = hits
        self.absent_s = absent_s
        self.min_interval_s = min_interval_s
        self._recent: deque[frozenset[str]] = deque(maxlen=window)
        self._last_seen: dict[str, float] = {}
        self._accepted_at: dict[str, float] = {}

    def feed(self, texts: set[str], now: float) -> list[str]:
        """Record one frame's decoded texts; return the codes accepted by this frame (sorted)."""
        self._observe(texts, now)
        accepted = []
        for text in sorted(texts):
            if text in self._accepted_at:
                continue
            if sum(text in frame for frame in self._recent) >= self.hits:
                self._accepted_at[text] = now
                self._last_seen[text] = now
                accepted.append(text)
        return accepted

    def step(self, texts: set[str], now: float, hold: bool = False) -> list[str]:
        """One frame: `feed` it, or only `hold` it while a result is on screen (then nothing is accepted)."""
        if hold:
            self.hold(texts, now)
            return []
        return self.feed(texts, now)

    def hold(self, texts: set[str], now: float) -> None:
        """Record a frame without accepting anything (kiosk busy showing a welcome screen).

        A card still held up keeps its lock, so it does not count again once the screen returns.
        """
        self._observe(texts, now)

    def _observe(self, texts: set[str], now: float) -> None:
        self._recent.append(frozenset(texts))
        for text in list(self._accepted_at):
            if text in texts:
                self._last_seen[text] = now
            elif (now - self._last_seen[text] >= self.absent_s
                  and now - self._accepted_at[text] >= self.min_interval_s):
                del self._accepted_at[text]
                del self._last_seen[text]
