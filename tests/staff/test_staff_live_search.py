"""The desk's search as you type: at once, one search at a time, and never a stale result shown."""
from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from staff_app.live_search import LiveSearch


class Recorder:
    """A search that, for the queries given a gate, runs until the test opens it (a slow search
    the test controls, instead of one that takes so many seconds); notes what ran, where, and
    what was shown."""

    def __init__(self, slow: tuple[str, ...] = ()):
        self.gates = {query: threading.Event() for query in slow}
        self.started = {query: threading.Event() for query in slow}
        self.ran, self.shown, self.threads = [], [], set()

    def find(self, query: str) -> list[str]:
        self.threads.add(threading.get_ident())
        if query in self.gates:
            self.started[query].set()
            assert self.gates[query].wait(30), "the test never let the slow search finish"
        self.ran.append(query)
        return [f"result for {query}"]

    def show(self, query: str, found: list[str]) -> None:
        self.shown.append((query, found))


def run(coroutine):
    """asyncio.run in a thread of its own: the session's Playwright keeps an event loop on this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_a_keystroke_is_searched_at_once_off_the_event_loop():
    rec = Recorder()
    live = LiveSearch(rec.find, rec.show)

    async def one_key() -> tuple[bool, float, int]:
        started = time.monotonic()
        shown = await live.typed("an")
        return shown, time.monotonic() - started, threading.get_ident()

    shown, elapsed, loop_thread = run(one_key())
    assert shown and rec.shown == [("an", ["result for an"])] and elapsed < 0.5
    assert rec.threads and loop_thread not in rec.threads


def test_keys_typed_during_a_slow_search_make_one_search_for_the_newest_text():
    rec = Recorder(slow=("a",))
    live = LiveSearch(rec.find, rec.show)

    async def type_while_a_is_searched() -> list[bool]:
        first = asyncio.create_task(live.typed("a"))
        await asyncio.to_thread(rec.started["a"].wait, 30)
        during = [await live.typed(text) for text in ("an", "ann", "anna")]   # each only notes the newest
        rec.gates["a"].set()
        return [await first, *during]

    assert run(type_while_a_is_searched()) == [True, False, False, False]
    assert rec.ran == ["a", "anna"]                       # "an" and "ann" were never searched
    assert rec.shown == [("anna", ["result for anna"])]   # the slow "a" was not shown over it


def test_results_of_each_pause_in_typing_are_shown_in_order():
    rec = Recorder()
    live = LiveSearch(rec.find, rec.show)

    async def type_with_pauses() -> list[bool]:
        return [await live.typed(text) for text in ("sch", "schm", "schmi")]   # each search ends in the pause

    assert run(type_with_pauses()) == [True, True, True]
    assert [q for q, _ in rec.shown] == ["sch", "schm", "schmi"]


def test_a_scan_drops_the_search_on_its_way():
    rec = Recorder(slow=("ben",))
    live = LiveSearch(rec.find, rec.show)

    async def search_then_scan() -> bool:
        on_its_way = asyncio.create_task(live.typed("ben"))
        await asyncio.to_thread(rec.started["ben"].wait, 30)
        live.drop()
        rec.gates["ben"].set()
        return await on_its_way

    assert run(search_then_scan()) is False
    assert rec.ran == ["ben"] and rec.shown == []
    assert run(live.typed("anna")) and rec.shown == [("anna", ["result for anna"])]
