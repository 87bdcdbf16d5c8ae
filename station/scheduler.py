"""Runs the message outbox: inside the station process (start_scheduler) or once from cron.

Each pass plans welcomes (so a kiosk enrolment gets its card within a minute), the full daily
planning at most once an hour, then sends what is due. Every step is idempotent, so a restart,
two processes or a pass repeated after a crash plan and send nothing twice.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from loyalty import clock
from loyalty.adapters.channels import app_url, channels_from_config, public_url
from loyalty.config import Config
from loyalty.services import messages

log = logging.getLogger(__name__)
FULL_PLAN_EVERY = timedelta(hours=1)


@dataclass(frozen=True)
class PassReport:
    planned: dict[str, int]
    sent: int
    retried: int
    failed: int
    skipped: int
    uncertain: int
    quiet: bool


class Stopper:
    """Returned by start_scheduler: call stop() (or the object) to end the loop and wait for it."""

    def __init__(self, event: threading.Event | None = None, thread: threading.Thread | None = None):
        self._event, self._thread = event, thread

    def stop(self, timeout: float = 30.0) -> None:
        if self._event is not None:
            self._event.set()
        if self._thread is not None:
            self._thread.join(timeout)

    __call__ = stop


def run_pass(config: Config, full: bool = True, now: datetime | None = None, channels=None) -> PassReport:
    """One pass: plan (all triggers, or only welcomes), then send what is due."""
    now = now or clock.now()
    channels = channels_from_config(config) if channels is None else channels
    plan = messages.plan_messages(now, messages.TRIGGERS if full else ("welcome",))
    sent = messages.send_due(channels, public_url(config), now, app_url=app_url(config))
    return PassReport(plan.planned, sent.sent, sent.retried, sent.failed, sent.skipped, sent.uncertain, sent.quiet)


def start_scheduler(config: Config, interval: float = 60.0) -> Stopper:
    """A daemon thread in the station process; a no-op when neither e-mail nor SMS is configured."""
    channels = channels_from_config(config)
    if not channels:
        log.info("messages: no [smtp] host or [sms] url configured, the scheduler does not run")
        return Stopper()
    stop = threading.Event()

    def loop() -> None:
        last_full: datetime | None = None
        while not stop.is_set():
            now = clock.now()
            full = last_full is None or now - last_full >= FULL_PLAN_EVERY
            try:
                report = run_pass(config, full=full, now=now, channels=channels)
                if full:
                    last_full = now
                if report.sent or report.failed or report.uncertain:
                    log.info("messages: %s", report)
            except Exception:   # a broken pass must not end the loop; the next one tries again
                log.exception("messages: pass failed")
            stop.wait(interval)

    thread = threading.Thread(target=loop, name="message-scheduler", daemon=True)
    thread.start()
    return Stopper(stop, thread)


def messages_command(config: Config, action: str) -> dict:
    """`loyalty messages run` (one full pass, for cron) and `loyalty messages status`."""
    if action == "run":
        return asdict(run_pass(config))
    return asdict(messages.outbox_state())
