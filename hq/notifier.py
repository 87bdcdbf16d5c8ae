"""The patients' app's notifier: a thread in each HQ process that turns the desks' answers and due
aftercare questions into notices and sends them by push or letter (every 2 s; each notice is
claimed, so processes never send one twice)."""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from hq.letters import Postman
from sync.hq.db import hq_db
from sync.hq.patients import notices, push
from sync.hq.patients.push import Pusher

log = logging.getLogger(__name__)
INTERVAL = 2.0
CHECKINS_EVERY = 600.0      # due aftercare questions change by the day: looked for every 10 minutes


def start_notifier(postman: Postman, make_pusher: Callable[[str], Pusher], interval: float = INTERVAL):
    """Start the loop; returns a function that stops it. `make_pusher` gets HQ's VAPID private key,
    read from the database each pass (made there on first use, shared by every HQ process)."""
    stop = threading.Event()
    pushers: dict[str, Pusher] = {}

    def loop() -> None:
        checked = 0.0
        while not stop.is_set():
            try:
                with hq_db.connection_context():
                    private_pem, _ = push.vapid_keys()
                    pusher = pushers.get(private_pem) or pushers.setdefault(private_pem, make_pusher(private_pem))
                    while notices.plan_notices():
                        pass
                    if time.monotonic() - checked >= CHECKINS_EVERY:
                        notices.plan_checkin_notices()
                        checked = time.monotonic()
                    notices.send_notices(postman.send, postman.available, pusher)
            except Exception:      # keep HQ serving; the next pass tries again
                log.exception("notifier pass failed")
            stop.wait(interval)

    thread = threading.Thread(target=loop, name="hq-notifier", daemon=True)
    thread.start()

    def halt() -> None:
        stop.set()
        thread.join(10)
    return halt
