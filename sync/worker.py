"""The background sync loop in the station process: never in the way of a scan.

It runs on its own thread with its own SQLite connection, keeps each transaction to one page,
waits `interval` seconds between rounds (sooner after a local write), and backs off with jitter
while HQ cannot be reached. The state it leaves in settings is what `sync_state()` shows.
"""
from __future__ import annotations

import logging
import random
import threading
from dataclasses import dataclass
from typing import Callable

from loyalty import events
from loyalty.config import Config
from loyalty.store import db, write
from loyalty.store.settings import set_setting
from sync.client import UNREACHABLE, HqError
from sync.station import LAST_ERROR, OFFLINE, client_for_station, sync_round

log = logging.getLogger(__name__)
MAX_BACKOFF = 300.0
LINK_CHECK = 2.0      # seconds between looks at whether the station has joined an HQ


@dataclass
class Stopper:
    """Stops the worker and waits for its thread."""
    thread: threading.Thread | None = None
    signal: Callable[[], None] | None = None

    def stop(self, timeout: float = 10.0) -> None:
        if self.signal is not None:
            self.signal()
        if self.thread is not None:
            self.thread.join(timeout)

    __call__ = stop


def start_worker(config: Config) -> Stopper:
    """Sync with the HQ this station joined (`loyalty hq join`), every `[hq] interval` seconds.

    A station that has not joined yet is looked at every LINK_CHECK seconds (one settings read,
    no write), so a join from another process turns sync on at once, without a restart.
    """
    hq = config.hq or {}
    stop_event, wake = threading.Event(), threading.Event()
    interval = float(hq.get("interval", 30))
    unsubscribe = events.subscribe(lambda _event: wake.set())

    def loop() -> None:
        failures = 0
        try:
            while not stop_event.is_set():
                db.connect(reuse_if_open=True)
                linked = True
                try:
                    client = client_for_station(hq.get("url"))
                    if client is None and hq.get("url"):
                        _note("not enrolled: run `loyalty hq join URL CODE`")
                        failures += 1
                    elif client is None:
                        linked = False
                    else:
                        sync_round(client)
                        failures = 0
                except HqError as exc:
                    failures += 1
                    _note(str(exc), offline=exc.status == UNREACHABLE)
                except Exception as exc:   # keep the station running; the staff app shows the error
                    failures += 1
                    log.exception("sync round failed")
                    _note(f"{type(exc).__name__}: {exc}")
                finally:
                    db.close()
                if not linked:
                    stop_event.wait(LINK_CHECK)
                    continue
                delay = interval if not failures else min(MAX_BACKOFF, interval * 2 ** min(failures, 8))
                wake.clear()
                if wake.wait(delay * random.uniform(0.8, 1.2)) and not stop_event.is_set():
                    stop_event.wait(1.0)   # let a burst of writes finish before pushing
        finally:
            unsubscribe()

    thread = threading.Thread(target=loop, name="hq-sync", daemon=True)
    thread.start()

    def signal() -> None:
        stop_event.set()
        wake.set()
    return Stopper(thread, signal)


def _note(message: str, offline: bool = False) -> None:
    try:
        db.connect(reuse_if_open=True)
        with write():    # one commit: the staff app never reads the error without its offline flag
            set_setting(LAST_ERROR, message[:500])
            set_setting(OFFLINE, "1" if offline else "")
    except Exception:
        log.exception("could not record the sync error")
