"""Appointment requests: asked in the app at HQ, answered at the chosen location's desk after sync,
told to the patient by e-mail and in the app's inbox, accepted or cancelled by the patient, and
offered as a calendar file; nobody reaches another member's appointments, whatever id they send."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import icalendar
import pytest
import requests

from loyalty.errors import Refused
from loyalty.services import appointments as desk
from loyalty.store import AuditLog
from staff_app.appointments import local_moment
from sync.hq import service
from sync.hq.db import AppNotice, Event, hq_db
from sync.hq.patients import appointments, files, notices

from patient_helpers import hq_call, hq_refusal, member_at, wait_for_mail

SOON = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=3)




def told(smtp, address: str, count: int):
    """The HQ process's notifier has sent `count` letters to the address: the newest one."""
    return wait_for_mail(smtp, address, count - 1)


def sent_notice(member_id: str, timeout: float = 20.0) -> None:
    """Wait until HQ's notifier has recorded the notice as sent (after the mail server took it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(n.status == "sent" for n in notices_of(member_id)):
            return
        time.sleep(0.1)
    raise TimeoutError(f"no notice of {member_id} was recorded as sent within {timeout} s")


def notices_of(member_id: str) -> list[AppNotice]:
    with hq_db.connection_context():
        return list(AppNotice.select().where(AppNotice.member_id == member_id))


@pytest.fixture
def two_desks(hq, template, tmp_path):
    """Praxis Mitte (the HQ fixture's location) and Praxis Nord, a station each; Anna joined at Mitte."""
    with hq_db.connection_context():
        service.create_location("Praxis Nord")
    mitte = template.node(tmp_path, "mitte", hq)
    nord = template.node(tmp_path, "nord", hq, location="Praxis Nord")
    anna = member_at(mitte, "Anna")
    mitte.sync()
    nord.sync()
    return mitte, nord, anna


def test_a_request_reaches_its_location_and_the_confirmation_reaches_the_patient(two_desks, hq, smtp):
    mitte, nord, anna = two_desks
    asked = hq_call(appointments.request, anna, hq.location, ["mon", "wed"], ["morning"], "Nach 9 Uhr bitte")
    assert asked.status == "requested" and asked.location_name == "Praxis Mitte"
    mitte.sync()
    nord.sync()
    nord.use()
    assert desk.appointment_requests() == []                     # another location's desk does not see it
    with pytest.raises(Refused):
        desk.confirm_appointment(asked.appointment_id, SOON, nord.receptionist)
    mitte.use()
    [row] = desk.appointment_requests()
    assert (row.first_name, row.days, row.times, row.note) == ("Anna", ["mon", "wed"], ["morning"], "Nach 9 Uhr bitte")
    desk.confirm_appointment(row.appointment_id, SOON, mitte.receptionist, "Bitte 10 Minuten früher da sein")
    assert AuditLog.get(AuditLog.action == "appointment_confirmed").member_id == anna
    mitte.sync()

    [mine] = hq_call(appointments.appointments, anna)
    assert (mine.status, mine.starts_at, mine.reply) == ("confirmed", SOON, "Bitte 10 Minuten früher da sein")
    mail = told(smtp, "anna@example.org", 1)
    assert "Ihr Termin ist bestätigt" in mail.subject and "Termin bei Praxis Vital" in mail.text
    sent_notice(anna)
    [notice] = hq_call(notices.inbox, anna)
    assert notice.title == mail.subject and notice.channel == "email" and not notice.read
    with hq_db.connection_context():                              # told once, however often one looks
        while notices.plan_notices():
            pass
    assert len(notices_of(anna)) == 1

    calendar = icalendar.Calendar.from_ical(hq_call(appointments.calendar_file, anna, mine.appointment_id, "Praxis"))
    [event] = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == SOON and str(event["location"]) == "Praxis Mitte"


def test_a_proposal_accepted_in_the_app_and_a_cancellation_reach_the_desk(two_desks, hq, smtp):
    mitte, _, anna = two_desks
    first = hq_call(appointments.request, anna, hq.location, [], [], None)
    second = hq_call(appointments.request, anna, hq.location, ["fri"], ["evening"], None)
    mitte.sync()
    desk.propose_appointment(first.appointment_id, SOON, mitte.receptionist)
    mitte.sync()
    assert "schlagen Ihnen einen Termin vor" in told(smtp, "anna@example.org", 1).subject
    assert hq_refusal(appointments.accept, anna, second.appointment_id) == "appointment_nothing_to_accept"
    assert hq_call(appointments.accept, anna, first.appointment_id).status == "confirmed"
    assert hq_call(appointments.cancel, anna, second.appointment_id).status == "cancelled"
    mitte.sync()
    mitte.use()
    statuses = {r.appointment_id: r.status for r in desk.appointment_requests()}
    assert statuses == {first.appointment_id: "confirmed"}       # the cancelled one left the desk's list
    with pytest.raises(Refused) as late:
        desk.confirm_appointment(second.appointment_id, SOON, mitte.receptionist)
    assert late.value.code == "appointment_already_cancelled"
    with hq_db.connection_context():
        while notices.plan_notices():
            pass
    assert [n.kind for n in notices_of(anna)] == ["appointment_proposed"]   # her own answers tell her nothing


def test_only_an_answer_that_still_stands_is_told(two_desks, hq):
    """The rule the notifier applies to the desk's stored answer and the record as it is now."""
    mitte, _, anna = two_desks
    asked = hq_call(appointments.request, anna, hq.location, [], [], None)
    mitte.sync()
    desk.propose_appointment(asked.appointment_id, SOON, mitte.receptionist)
    mitte.sync()
    with hq_db.connection_context():
        answer = json.loads(Event.select().where((Event.record_id == asked.appointment_id)
                                                 & (Event.device_id == mitte.device.device_id)).get().payload)
    assert answer["status"] == "proposed" and notices._stands(answer, dict(answer))
    assert not notices._stands(answer, {**answer, "status": "confirmed"})           # accepted meanwhile
    later = (SOON + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert not notices._stands(answer, {**answer, "starts_at": later})              # the desk moved it again


def test_a_member_cannot_reach_another_members_appointments(two_desks, hq, template, tmp_path):
    mitte, _, anna = two_desks
    ben = member_at(mitte, "Ben")
    mitte.sync()
    annas = hq_call(appointments.request, anna, hq.location, [], [], None)
    mitte.sync()
    desk.confirm_appointment(annas.appointment_id, SOON, mitte.receptionist)
    mitte.sync()
    for attempt in (appointments.accept, appointments.cancel):
        assert hq_refusal(attempt, ben, annas.appointment_id) == "appointment_unknown"
    assert hq_refusal(appointments.calendar_file, ben, annas.appointment_id, "Praxis") == "appointment_unknown"
    assert hq_call(appointments.appointments, ben) == []
    assert hq_call(appointments.appointments, anna)[0].status == "confirmed"

    link = hq_call(files.link, anna, "appointment", annas.appointment_id)
    good = requests.get(f"{hq.url}/app/{link}", timeout=10)
    assert good.status_code == 200 and good.headers["content-type"].startswith("text/calendar")
    query = parse_qs(urlsplit(link).query)
    as_ben = f"{hq.url}/app/files/appointment/{annas.appointment_id}?m={ben}&e={query['e'][0]}&s={query['s'][0]}"
    assert requests.get(as_ben, timeout=10).status_code == 404
    bens_link = hq_call(files.link, ben, "appointment", annas.appointment_id)   # a genuine link of Ben's, Anna's id
    assert requests.get(f"{hq.url}/app/{bens_link}", timeout=10).status_code == 404
    stale = f"{hq.url}/app/files/appointment/{annas.appointment_id}?m={anna}&e=1&s={query['s'][0]}"
    assert requests.get(stale, timeout=10).status_code == 404


def test_requests_are_checked(two_desks, hq):
    _, _, anna = two_desks
    assert hq_refusal(appointments.request, anna, "no-such-place", [], [], None) == "appointment_location_unknown"
    assert hq_refusal(appointments.request, anna, hq.location, ["sunday"], [], None) == "appointment_wish_invalid"
    assert hq_refusal(appointments.request, anna, hq.location, [], [], "x" * 501) == "appointment_note_too_long"
    for _ in range(appointments.MAX_OPEN):
        hq_call(appointments.request, anna, hq.location, [], [], None)
    assert hq_refusal(appointments.request, anna, hq.location, [], [], None) == "appointment_too_many"


def test_a_location_with_its_own_booking_page(two_desks, hq):
    _, _, anna = two_desks
    command = [sys.executable, "-m", "station.cli", "hq", "booking-page", "--db", hq.db_url, "Praxis Nord"]
    subprocess.run([*command, "https://termine.example/nord"], check=True, capture_output=True)
    refused = subprocess.run([*command, "javascript:alert(1)"], capture_output=True, text=True)
    assert refused.returncode == 1 and "https://" in refused.stderr
    places = {p.name: p.booking_url for p in hq_call(appointments.places)}
    assert places == {"Praxis Mitte": None, "Praxis Nord": "https://termine.example/nord"}
    assert hq_call(appointments.home_place, anna) == hq.location


def test_the_desk_types_dates_and_times_as_it_says_them():
    now = datetime(2026, 12, 4, 9, 0, tzinfo=timezone.utc)
    assert local_moment("7.12.", "9:30", "Europe/Berlin", now) == datetime(2026, 12, 7, 8, 30, tzinfo=timezone.utc)
    assert local_moment("07.12.2026", "14", "Europe/Berlin", now) == datetime(2026, 12, 7, 13, 0, tzinfo=timezone.utc)
    assert local_moment("2.1.", "8.15", "Europe/Berlin", now) == datetime(2027, 1, 2, 7, 15, tzinfo=timezone.utc)
    assert local_moment("31.2.", "9:00", "Europe/Berlin", now) is None
    assert local_moment("morgen", "9:00", "Europe/Berlin", now) is None
    assert local_moment("7.12.", "25:00", "Europe/Berlin", now) is None

