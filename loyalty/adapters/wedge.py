"""USB 2D scanners in keyboard-wedge mode type the code and press Enter.

A scanner types every character within a few ms; a person at the same keyboard is far slower. A
gap longer than `max_gap_s` between keys means the earlier keys were typed by hand, so they are
dropped and the buffer restarts with the new key.
"""

from __future__ import annotations


class WedgeBuffer:
    """Pure: feed it keys with their times; it returns a complete code on Enter."""

    def __init__(self, max_gap_s: float = 0.05, min_length: int = 4) -> None:
        self.max_gap_s = max_gap_s
        self.min_length = min_length
        self._chars: list[str] = []
        self._last: float | None = None

    def key(self, char: str, now: float) -> str | None:
        """Feed one key ("\\n", "\\r" or "Enter" ends a code). Return the code when one is complete."""
        if self._last is not None and now - self._last > self.max_gap_s:
            self._chars.clear()
        self._last = now
        if char in ("\n", "\r", "Enter"):
            code = "".join(self._chars)
            self._chars.clear()
            return code if len(code) >= self.min_length else None
        if len(char) == 1:
            self._chars.append(char)
        return None
