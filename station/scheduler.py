"""The station's own clockwork: points expiry and the message outbox, inside the station process
(start_scheduler) or once from cron (`loyalty expire`, `loyalty messages run`).

Each pass expires points once a local day (first thing, so no warning goes out for points already
gone), then, with e-mail or SMS configured, plans welcomes (so a kiosk enrolment gets its card
within a minute), the full daily planning at most once an hour, and sends what is due. Every step
is idempotent, so a restart, two processes or a pass repeated after a crash expire, plan and send
nothing twice.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from loyalty import clock
from loyalty.adapters.channels import app_url, channels_from_config, public_url
from loyalty.config import Config
from loyalty.services import Actor, current_program, device_id, expire_points, messages
from loyalty.services.expiry import ExpiryReport
from loyalty.visits import local_day_start

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
    """Returned by start_scheduler: call stop() (or the object) to end the loop and wait for it.
    `passes` counts the passes finished, for a status line or a test waiting on the loop."""

    def __init__(self, event: threading.Event | None = None, thread: threading.Thread | None = None):
        self._event, self._thread = event, thread
        self.passes = 0

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


def expire_once_a_day(last_day: datetime | None, now: datetime) -> tuple[datetime, ExpiryReport | None]:
    """Expire points unless that already ran this local day; returns the day's start and the report."""
    today = local_day_start(now, current_program().timezone)
    if last_day == today:
        return today, None
    return today, expire_points(Actor(device_id()))


def start_scheduler(config: Config, interval: float = 60.0) -> Stopper:
    """A daemon thread in the station process: expiry always, messages when e-mail or SMS is set up."""
    channels = channels_from_config(config)
    if not channels:
        log.info("messages: no [smtp] host or [sms] url configured: only points expiry runs")
    stop = threading.Event()
    stopper = Stopper(stop)

    def loop() -> None:
        last_full: datetime | None = None
        expired_on: datetime | None = None
        while not stop.is_set():
            now = clock.now()
            try:
                expired_on, expiry = expire_once_a_day(expired_on, now)
                if expiry is not None and expiry.points:
                    log.info("expiry: %s", expiry)
            except Exception:   # a broken pass must not end the loop; the next one tries again
                log.exception("expiry: pass failed")
            if channels:
                full = last_full is None or now - last_full >= FULL_PLAN_EVERY
                try:
                    report = run_pass(config, full=full, now=now, channels=channels)
                    if full:
                        last_full = now
                    if report.sent or report.failed or report.uncertain:
                        log.info("messages: %s", report)
                except Exception:
                    log.exception("messages: pass failed")
            stopper.passes += 1
            stop.wait(interval)

    stopper._thread = threading.Thread(target=loop, name="station-scheduler", daemon=True)
    stopper._thread.start()
    return stopper


def messages_command(config: Config, action: str) -> dict:
    """`loyalty messages run` (one full pass, for cron) and `loyalty messages status`."""
    if action == "run":
        return asdict(run_pass(config))
    return asdict(messages.outbox_state())
