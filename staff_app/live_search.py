"""Search as you type for the staff app's search fields (the desk, the privacy screen)."""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any


class LiveSearch:
    """Search as the receptionist types, without queries piling up behind the keys.

    The search runs in a worker thread (a plain handler would hold the event loop the kiosk
    shares) and at once, with no waiting for a pause. While one runs, further keystrokes only
    note the newest text; when it finishes, that text is searched next and the ones in between
    are skipped. Results are shown only when nothing newer was typed meanwhile, so a search that
    finishes late never paints over the newer text's results.
    """

    def __init__(self, find: Callable[[str], Any], show: Callable[[str, Any], None]):
        self.find, self.show = find, show
        self.wanted: str | None = None   # the newest text not yet searched
        self.generation = 0              # counts keystrokes and drops: results of an older one are stale
        self.running = False

    async def typed(self, query: str) -> bool:
        """After a keystroke or Enter: True when this call showed results."""
        self.wanted = query
        self.generation += 1
        if self.running:
            return False   # the search running now takes this text up when it is done
        self.running = True
        shown = False
        try:
            while self.wanted is not None:
                query, self.wanted, generation = self.wanted, None, self.generation
                found = await asyncio.to_thread(self.find, query)
                if generation == self.generation:
                    self.show(query, found)
                    shown = True
        finally:
            self.running = False
        return shown

    def drop(self) -> None:
        """A search on its way shows nothing (a card was scanned: the member page opens)."""
        self.wanted = None
        self.generation += 1
