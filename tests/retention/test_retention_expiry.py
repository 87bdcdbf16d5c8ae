"""Points expiry runs by itself in the station's scheduler, and its 30-day warning is part of the
program: it reaches members with the program consent, whatever they chose about marketing."""
from __future__ import annotations

import threading
from datetime import timedelta

from loyalty import ledger
from loyalty.config import Config
from loyalty.periods import add_months
from loyalty.services import award_purchase, member_status, set_consent
from loyalty.services.messages import plan_messages, send_due
from loyalty.store import LedgerEntry
from loyalty.store.models import Message
from station.scheduler import start_scheduler

from test_retention_scheduler import wait_for

BASE = "http://127.0.0.1:8550"


def expired() -> list[LedgerEntry]:
    return list(LedgerEntry.select().where(LedgerEntry.kind == ledger.EXPIRE))


def test_the_station_scheduler_expires_points_without_cron_or_mail(station, clock, enrol, tmp_path):
    anna, _ = enrol("Anna", marketing=False)
    award_purchase(anna, 20000, station.receptionist, item_code="sunscreen")     # 50 signup + 200
    clock.current = add_months(clock.current, 24) + timedelta(days=1)
    award_purchase(anna, 3000, station.receptionist, item_code="sunscreen")      # fresh: 30, stays
    stopper = start_scheduler(Config(home=tmp_path, db_path=station.db_path), interval=0.05)   # no [smtp], no [sms]
    try:
        assert wait_for(lambda: len(expired()) == 2)
        passes_before = stopper.passes
        assert wait_for(lambda: stopper.passes >= passes_before + 3)           # more passes the same day: no more
        assert len(expired()) == 2 and member_status(anna).points == 30
    finally:
        stopper.stop()
    assert sorted(e.points for e in expired()) == [-200, -50]


def test_expiry_warning_goes_to_program_members_without_marketing_consent(station, clock, enrol, smtp,
                                                                          email_channel):
    anna, _ = enrol("Anna", email="anna@example.org", marketing=False, care=False)
    ben, _ = enrol("Ben", email="ben@example.org", marketing=True)
    for member in (anna, ben):
        award_purchase(member, 12000, station.receptionist, item_code="sunscreen")
    clock.current = add_months(clock.current, 24) - timedelta(days=20)
    set_consent(ben, "program", False, station.receptionist)                 # left the program: no warning
    plan = plan_messages(triggers=("expiry",))
    assert plan.planned == {"expiry": 1}
    warning = Message.get(Message.trigger == "expiry")
    assert (warning.member_id, warning.purpose) == (anna, "program")
    assert plan_messages(triggers=("expiry",)).planned == {"expiry": 0}      # planned once
    send_due(email_channel, BASE, now=max(clock.current, warning.due_at))
    [mail] = smtp.to("anna@example.org")
    assert "170 Ihrer Punkte verfallen am" in mail.text                        # 50 signup + 120
    assert "2. März 2028" in mail.text and "abmelden" not in mail.text.lower()
    assert smtp.to("ben@example.org") == []


def test_no_warning_when_nothing_expires_within_30_days(station, clock, enrol):
    enrol("Anna", marketing=True)
    clock.current = add_months(clock.current, 24) - timedelta(days=40)
    assert plan_messages(triggers=("expiry",)).planned == {"expiry": 0}
    clock.advance(days=11)
    assert plan_messages(triggers=("expiry",)).planned == {"expiry": 1}


def test_expiry_beside_a_busy_kiosk_waits_its_turn_instead_of_failing(station, clock, enrol):
    """The scheduler's pass while check-ins commit from another connection: each member's expiry
    takes the writer lock when it is free; none fails with "database is locked"."""
    from loyalty.services import Actor, check_in, device_id, expire_points
    from loyalty.store import close_database, open_database
    members = [enrol(f"Pat{i}", marketing=False) for i in range(40)]
    clock.current = add_months(clock.current, 24) + timedelta(days=1)
    done, errors = threading.Event(), []

    def kiosk() -> None:
        open_database(station.db_path)
        try:
            while not done.is_set():
                for _member, card in members:
                    check_in(card, Actor(device_id()))
                    clock.current += timedelta(hours=13)     # past the cool-down, so every scan writes
        except Exception as exc:   # noqa: BLE001  (reported below)
            errors.append(exc)
        finally:
            close_database()
    thread = threading.Thread(target=kiosk)
    thread.start()
    try:
        report = expire_points(Actor(device_id()))
    finally:
        done.set()
        thread.join()
    assert errors == [] and (report.members, report.points) == (40, 40 * 50)
