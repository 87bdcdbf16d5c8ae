"""The desk's search as you type: at once, one search at a time, and never a stale result shown."""
from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from staff_app.live_search import LiveSearch


class Recorder:
    """A search that takes as long as told per query, and notes what ran, where, and what was shown."""

    def __init__(self, delays: dict[str, float] | None = None):
        self.delays, self.ran, self.shown, self.threads = delays or {}, [], [], set()

    def find(self, query: str) -> list[str]:
        self.threads.add(threading.get_ident())
        time.sleep(self.delays.get(query, 0.0))
        self.ran.append(query)
        return [f"result for {query}"]

    def show(self, query: str, found: list[str]) -> None:
        self.shown.append((query, found))


def run(coroutine):
    """asyncio.run in a thread of its own: the session's Playwright keeps an event loop on this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _type(live: LiveSearch, texts: list[str], gap_s: float) -> list[bool]:
    tasks = []
    for text in texts:
        tasks.append(asyncio.create_task(live.typed(text)))
        await asyncio.sleep(gap_s)
    return await asyncio.gather(*tasks)


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
    rec = Recorder({"a": 0.3})
    live = LiveSearch(rec.find, rec.show)
    assert run(_type(live, ["a", "an", "ann", "anna"], gap_s=0.02)) == [True, False, False, False]
    assert rec.ran == ["a", "anna"]                       # "an" and "ann" were never searched
    assert rec.shown == [("anna", ["result for anna"])]   # the slow "a" was not shown over it


def test_results_of_each_pause_in_typing_are_shown_in_order():
    rec = Recorder()
    live = LiveSearch(rec.find, rec.show)
    run(_type(live, ["sch", "schm", "schmi"], gap_s=0.2))
    assert [q for q, _ in rec.shown] == ["sch", "schm", "schmi"]


def test_a_scan_drops_the_search_on_its_way():
    rec = Recorder({"ben": 0.2})
    live = LiveSearch(rec.find, rec.show)

    async def search_then_scan() -> bool:
        on_its_way = asyncio.create_task(live.typed("ben"))
        await asyncio.sleep(0.05)
        live.drop()
        return await on_its_way

    assert run(search_then_scan()) is False
    assert rec.ran == ["ben"] and rec.shown == []
    assert run(live.typed("anna")) and rec.shown == [("anna", ["result for anna"])]
