"""The birthday e-mail promises bonus points only when a visit this month will give them: not for a
birthday entered in the last 30 days, not twice a year, not in a program without a birthday bonus."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from loyalty.program import DEFAULT_PROGRAM
from loyalty.services import Actor, check_in, device_id, store_program
from loyalty.services.messages import plan_messages, send_due

BASE = "http://127.0.0.1:8550"


def berlin(month: int, day: int, hour: int) -> datetime:
    """HH:00 in Berlin in 2026 (summer time from 29 March)."""
    offset = 2 if (month, day) >= (3, 29) else 1
    return datetime(2026, month, day, hour - offset, tzinfo=timezone.utc)


def birthday_mail(clock, smtp, email_channel, email: str, month: int, day: int):
    clock.current = berlin(month, day, 9) - timedelta(days=1)
    plan_messages(triggers=("birthday",))
    clock.current = berlin(month, day, 11)
    send_due(email_channel, BASE)
    [mail] = smtp.to(email)
    return mail


def test_a_birthday_entered_recently_gets_wishes_without_a_promise(station, clock, enrol, smtp, email_channel):
    _member, card = enrol("Anna", email="anna@example.org", birthday=(12, 3))     # entered 10 days before
    mail = birthday_mail(clock, smtp, email_channel, "anna@example.org", 3, 12)
    assert "alles Gute zum Geburtstag" in mail.text
    assert "punkt" not in mail.text.lower() and "Geschenk" not in mail.text
    assert check_in(card, Actor(device_id())).bonus_points == 0                  # and the visit gives none


def test_a_birthday_known_for_long_gets_the_promise_the_visit_keeps(station, clock, enrol, smtp, email_channel):
    _member, card = enrol("Ben", email="ben@example.org", birthday=(20, 4), locale="en")
    mail = birthday_mail(clock, smtp, email_channel, "ben@example.org", 4, 20)
    assert "50 bonus points are waiting for you" in mail.text
    clock.advance(days=3)
    assert check_in(card, Actor(device_id())).bonus_points == 50


def test_no_promise_after_this_years_bonus_was_given(station, clock, enrol, smtp, email_channel):
    _member, card = enrol("Carla", email="carla@example.org", birthday=(25, 4))
    clock.current = berlin(4, 2, 10)
    assert check_in(card, Actor(device_id())).bonus_points == 50                  # an early visit this month
    mail = birthday_mail(clock, smtp, email_channel, "carla@example.org", 4, 25)
    assert "alles Gute zum Geburtstag" in mail.text and "punkt" not in mail.text.lower()


def test_no_promise_in_a_program_without_a_birthday_bonus(station, clock, enrol, smtp, email_channel):
    store_program(DEFAULT_PROGRAM.read_text(encoding="utf-8").replace("birthday_bonus = 50", "birthday_bonus = 0"))
    enrol("Dora", email="dora@example.org", birthday=(20, 4))
    mail = birthday_mail(clock, smtp, email_channel, "dora@example.org", 4, 20)
    assert "punkt" not in mail.text.lower()
