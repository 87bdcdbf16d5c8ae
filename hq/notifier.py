"""The patients' app's notifier: a thread in each HQ process that turns the desks' answers into
notices and sends them (every 2 s; each notice is claimed, so processes never send one twice)."""
from __future__ import annotations

import logging
import threading

from hq.letters import Postman
from sync.hq.db import hq_db
from sync.hq.patients import notices

log = logging.getLogger(__name__)
INTERVAL = 2.0


def start_notifier(postman: Postman, interval: float = INTERVAL):
    """Start the loop; returns a function that stops it."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                with hq_db.connection_context():
                    while notices.plan_notices():
                        pass
                    notices.send_notices(postman.send, postman.available)
            except Exception:      # keep HQ serving; the next pass tries again
                log.exception("notifier pass failed")
            stop.wait(interval)

    thread = threading.Thread(target=loop, name="hq-notifier", daemon=True)
    thread.start()

    def halt() -> None:
        stop.set()
        thread.join(10)
    return halt
