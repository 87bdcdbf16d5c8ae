"""The outbox over a real SMTP server on 127.0.0.1: consent, quiet hours, cap, welcome card, crash."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import cv2
import numpy as np
import pytest
import zxingcpp

from loyalty.adapters.channels import DeliveryError
from loyalty.services import record_treatment, set_consent
from loyalty.services.followups import open_follow_ups
from loyalty.services.messages import outbox_state, plan_messages, send_due
from loyalty.store.models import Message

BASE = "http://127.0.0.1:8550"


def at_berlin(clock, day_offset: int, hour: int) -> None:
    """Move the clock to HH:00 Berlin (winter time) `day_offset` days after the fixture's start day."""
    start = datetime(2026, 3, 2, tzinfo=timezone.utc)
    clock.current = start + timedelta(days=day_offset, hours=hour - 1)


def test_welcome_carries_the_card_qr_and_code(station, clock, enrol, smtp, email_channel):
    member, token = enrol("Anna", email="anna@example.org")
    plan_messages()
    report = send_due(email_channel, BASE)
    assert report.sent == 1
    [mail] = smtp.to("anna@example.org")
    assert "Anna" in mail.subject and token in mail.text
    [png] = mail.images()
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [token]
    assert "unsubscribe" not in mail.text.lower() and "abmelden" not in mail.text.lower()


def test_welcome_without_smtp_for_a_phone_only_member_is_skipped(station, clock, enrol, smtp, email_channel):
    member, _ = enrol("Ben", phone="0171 2345678")
    plan_messages()
    report = send_due(email_channel, BASE)
    assert (report.sent, report.skipped) == (0, 1)
    assert Message.get().last_error == "no_channel" and smtp.received == []


def test_care_and_marketing_consent_are_kept_apart(station, clock, enrol, smtp, email_channel):
    at_berlin(clock, 0, 11)
    care_only, _ = enrol("Carla", email="carla@example.org", care=True, marketing=False, birthday=(5, 3))
    marketing_only, _ = enrol("Max", email="max@example.org", care=False, marketing=True, birthday=(5, 3))
    for member in (care_only, marketing_only):
        record_treatment(member, "botox", station.receptionist)
    send_due(email_channel, BASE, now=clock.current)           # nothing planned yet
    for day in range(1, 5):
        at_berlin(clock, day, 10)
        plan_messages()
        send_due(email_channel, BASE)
    carla = [m.subject for m in smtp.to("carla@example.org")]
    maxi = [m.subject for m in smtp.to("max@example.org")]
    assert any("Besuch" in s for s in carla) and any("Wie geht es Ihnen" in s for s in carla)
    assert not any("Geburtstag" in s for s in carla)
    assert any("Geburtstag" in s for s in maxi)
    assert not any("Besuch" in s or "Wie geht es" in s for s in maxi)


def test_nothing_goes_out_in_quiet_hours(station, clock, enrol, smtp, email_channel):
    at_berlin(clock, 0, 21)                      # 21:00 Berlin
    enrol("Anna")
    plan_messages()
    report = send_due(email_channel, BASE)
    assert report.quiet and smtp.received == []
    at_berlin(clock, 1, 7)                       # 07:00: still quiet
    assert send_due(email_channel, BASE).quiet and smtp.received == []
    at_berlin(clock, 1, 8)
    assert send_due(email_channel, BASE).sent == 1
    assert smtp.received[0].at == clock.current


def test_withdrawn_consent_stops_a_planned_message(station, clock, enrol, smtp, email_channel):
    at_berlin(clock, 0, 11)
    member, _ = enrol("Anna", marketing=False)
    record_treatment(member, "botox", station.receptionist)
    plan_messages()
    send_due(email_channel, BASE)                # the welcome
    at_berlin(clock, 1, 9)
    plan_messages()
    set_consent(member, "care", False, station.receptionist)
    at_berlin(clock, 1, 10)
    report = send_due(email_channel, BASE)
    assert report.sent == 0 and report.skipped == 1
    assert len(smtp.received) == 1                # only the welcome


class CrashAfterSend:
    """Delivers for real, then the process 'dies' before the sender can record it."""

    def __init__(self, channel):
        self.inner, self.name = channel, channel.name

    def send(self, message):
        self.inner.send(message)
        raise KeyboardInterrupt("killed between send and commit")


def test_crash_between_send_and_commit_is_uncertain_never_resent(station, clock, enrol, smtp, email_channel):
    at_berlin(clock, 0, 11)
    member, _ = enrol("Anna")
    plan_messages()
    with pytest.raises(KeyboardInterrupt):
        send_due({"email": CrashAfterSend(email_channel["email"])}, BASE)
    assert Message.get().status == "sending"
    assert send_due(email_channel, BASE).sent == 0          # within the lease: left alone
    clock.advance(minutes=10)
    report = send_due(email_channel, BASE)
    assert report.uncertain == 1 and report.sent == 0
    for _ in range(3):
        clock.advance(hours=1)
        plan_messages()
        send_due(email_channel, BASE)
    assert len(smtp.to("anna@example.org")) == 1
    assert Message.get().status == "uncertain"
    [task] = open_follow_ups()
    assert task.kind == "uncertain_message" and task.message_id == Message.get().id
    assert outbox_state().uncertain == 1


class FailingTwice:
    name = "email"

    def __init__(self, channel):
        self.inner, self.calls = channel, 0

    def send(self, message):
        self.calls += 1
        if self.calls <= 2:
            raise DeliveryError("421 try later")
        return self.inner.send(message)


def test_failures_are_retried_with_backoff(station, clock, enrol, smtp, email_channel):
    at_berlin(clock, 0, 11)
    enrol("Anna")
    plan_messages()
    channel = {"email": FailingTwice(email_channel["email"])}
    assert send_due(channel, BASE).retried == 1
    assert send_due(channel, BASE).retried == 0             # not yet: backoff of 5 minutes
    clock.advance(minutes=5)
    assert send_due(channel, BASE).retried == 1
    clock.advance(minutes=9)
    assert send_due(channel, BASE).sent == 0                # second backoff is 10 minutes
    clock.advance(minutes=1)
    assert send_due(channel, BASE).sent == 1
    assert len(smtp.received) == 1 and Message.get().attempts == 3


def test_smtp_refusing_the_recipient_fails_for_good(station, clock, enrol, smtp):
    from loyalty.adapters.channels import SmtpChannel
    at_berlin(clock, 0, 11)
    enrol("Anna")
    plan_messages()
    closed = SmtpChannel.from_settings({**smtp.settings, "port": 9})   # nothing listens on port 9
    assert send_due({"email": closed}, BASE).retried == 1
    assert Message.get().status == "planned" and "cannot reach" in Message.get().last_error


def test_marketing_cap(station, clock, enrol, smtp, email_channel):
    from loyalty.store.outbox import new_id
    at_berlin(clock, 0, 11)
    member, _ = enrol("Anna", birthday=(3, 3))
    for n in range(2):      # two marketing messages already sent this month
        Message.create(id=new_id(), key=f"test:{n}", member=member, trigger="win_back", purpose="marketing",
                       due_at=clock.current, expires_at=clock.current, status="sent", sent_at=clock.current,
                       created_at=clock.current)
    at_berlin(clock, 1, 10)
    plan_messages()
    report = send_due(email_channel, BASE)
    assert report.skipped == 1 and report.sent == 1          # the welcome is not marketing
    assert Message.get(Message.trigger == "birthday").last_error == "marketing_cap"
    assert [m.subject for m in smtp.received] == ["Willkommen bei Praxis Vital Bonusprogramm, Anna"]


def test_staff_resolve_an_uncertain_message(station, clock, enrol, smtp, email_channel):
    from loyalty.errors import Refused
    from loyalty.services.messages import resolve_uncertain
    at_berlin(clock, 0, 11)
    enrol("Anna")
    enrol("Ben")
    plan_messages()
    with pytest.raises(KeyboardInterrupt):
        send_due({"email": CrashAfterSend(email_channel["email"])}, BASE)
    with pytest.raises(KeyboardInterrupt):
        send_due({"email": CrashAfterSend(email_channel["email"])}, BASE)
    clock.advance(minutes=10)
    assert send_due(email_channel, BASE).uncertain == 2
    first, second = Message.select().order_by(Message.key)
    with pytest.raises(Refused):
        resolve_uncertain(first.id, True, station.device)          # staff only
    resolve_uncertain(first.id, True, station.receptionist)        # found in the mail log: it went out
    resolve_uncertain(second.id, False, station.receptionist)      # the patient got nothing: send it again
    assert Message.get_by_id(first.id).status == "sent"
    assert send_due(email_channel, BASE).sent == 1
    assert len(smtp.received) == 3                                 # two before the crashes, one on purpose
    with pytest.raises(Refused) as refused:
        resolve_uncertain(first.id, False, station.receptionist)
    assert refused.value.code == "message_not_uncertain" and "Prüfung" in refused.value.message("de")
