"""A scripted year of visits against a real SMTP server: the right messages arrive, and only those."""
from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from loyalty.config import Config
from loyalty.services import award_purchase, check_in, record_treatment
from loyalty.services.messages import outbox_state, return_rates
from loyalty.store.models import Message
from station.scheduler import run_pass

from retention_names import forbidden_words

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2026, 1, 5, tzinfo=BERLIN)      # a Monday


def berlin(day: int, hour: int) -> datetime:
    return (START + timedelta(days=day)).replace(hour=hour).astimezone(timezone.utc)


def test_a_year_of_visits(station, clock, enrol, smtp, email_channel, tmp_path):
    config = Config(home=tmp_path, db_path=station.db_path)
    clock.current = berlin(0, 9)
    anna, anna_card = enrol("Anna", email="anna@example.org", birthday=(15, 6))
    ben, ben_card = enrol("Ben", email="ben@example.org", care=False, marketing=False, birthday=(20, 6))
    clara, clara_card = enrol("Clara", email="clara@example.org", care=True, marketing=False, locale="en")
    script = {
        0: [("visit", anna_card), ("treat", anna, "botox"), ("visit", ben_card), ("treat", ben, "botox"),
            ("visit", clara_card), ("treat", clara, "microneedling")],
        30: [("visit", anna_card), ("buy", anna, 45000)],
        31: [("visit", clara_card), ("treat", clara, "microneedling")],
        80: [("visit", anna_card), ("treat", anna, "botox"), ("buy", anna, 60000)],
        150: [("visit", anna_card), ("visit", ben_card)],
    }
    for day in range(365):
        clock.current = berlin(day, 9)
        for action, who, *rest in script.get(day, []):
            if action == "visit":
                assert check_in(who, station.device).status == "checked_in"
            elif action == "treat":
                record_treatment(who, rest[0], station.receptionist)
            else:
                award_purchase(who, rest[0], station.receptionist, item_code="facial")
        for hour in (10, 22):
            clock.current = berlin(day, hour)
            run_pass(config, full=hour == 10, channels=email_channel)

    def subjects(address):
        return [(r.at.astimezone(BERLIN).date() - START.date(), r.subject) for r in smtp.to(address)]

    anna_mail = [(d.days, s) for d, s in subjects("anna@example.org")]
    anna_subjects = [s for _, s in anna_mail]
    # welcome, aftercare after both treatments, the recall a week before day 70, birthday, a reward, silver
    assert anna_mail[0] == (0, "Willkommen bei Praxis Vital Bonusprogramm, Anna")
    assert (1, "Anna, vielen Dank für Ihren Besuch") in anna_mail and (
        81,
        "Anna, vielen Dank für Ihren Besuch",
    ) in anna_mail
    assert (3, "Wie geht es Ihnen, Anna?") in anna_mail and (
        14,
        "Anna, sind Sie mit dem Ergebnis zufrieden?",
    ) in anna_mail
    assert (56, "Anna, planen Sie Ihren nächsten Termin") in anna_mail
    assert (63, "Anna, Zeit für Ihren nächsten Termin") in anna_mail        # botox after 10 weeks
    assert (161, "Alles Gute zum Geburtstag, Anna") in anna_mail           # 15 June
    assert any(s == "Herzlichen Glückwunsch, Anna: Sie sind jetzt Silber" for s in anna_subjects)
    assert any(s == "Anna, eine Prämie wartet auf Sie" for s in anna_subjects)
    assert any(s == "Wir vermissen Sie, Anna" and 210 <= d <= 240 for d, s in anna_mail)
    # rebooked on day 80: the recall of the first treatment went out, the second one's on day 143
    assert (143, "Anna, Zeit für Ihren nächsten Termin") in anna_mail

    # Ben agreed to the program only: his card, nothing else, all year
    assert [s for _, s in subjects("ben@example.org")] == ["Willkommen bei Praxis Vital Bonusprogramm, Ben"]

    # Clara: care messages in English, no marketing (no birthday, no win-back)
    clara_subjects = [s for _, s in subjects("clara@example.org")]
    assert "Clara, thank you for your visit" in clara_subjects
    assert "How are you, Clara?" in clara_subjects
    assert not any("miss you" in s or "birthday" in s or "reward" in s for s in clara_subjects)

    # none twice, none in quiet hours, none naming a treatment
    ids = Counter(str(r.mail["X-Loyalty-Message"]) for r in smtp.received)
    assert ids and max(ids.values()) == 1
    assert len(smtp.received) == Message.select().where(Message.status == "sent").count()
    for received in smtp.received:
        assert 8 <= received.at.astimezone(BERLIN).hour < 20
        text = (received.subject + " " + received.text).casefold()
        assert not [w for w in forbidden_words() if re.search(re.escape(w), text)], received.subject

    # attribution: a visit within 30 days after a reminder counts as a return from it
    rates = {r.trigger: r for r in return_rates(berlin(0, 0), berlin(365, 0))}
    assert (rates["recall"].sent, rates["recall"].returned, rates["recall"].rate) == (4, 3, 0.75)
    assert (rates["win_back"].sent, rates["win_back"].returned) == (2, 1)
    assert (rates["welcome"].sent, rates["welcome"].returned) == (3, 1)
    assert sum(r.sent for r in rates.values()) == outbox_state().sent == len(smtp.received)
