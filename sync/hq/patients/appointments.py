"""Appointment requests from the app: the patient asks (location, preferred days and times, a
note), the location's desk confirms a time, proposes another or declines (in the staff app, as
a station's edit of the same record), the patient accepts a proposal or cancels.

Each change is an edit of one `appointment` record, HQ-authored here, merged field by field
with the desk's edits by the same clocks everywhere.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import icalendar
from uuid6 import uuid7

from loyalty.errors import Refused
from loyalty.store.fields import as_utc
from loyalty.store.models import Appointment
from loyalty.store.registry import RECORDS
from sync.hq import authoring, rows
from sync.hq.db import AppLocation, Location, now, transaction
from sync.protocol import HQ_DEVICE

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat")
TIMES = ("morning", "midday", "afternoon", "evening")
MAX_NOTE = 500
MAX_OPEN = 3                     # open requests a member may have at once
OPEN = ("requested", "proposed")
LENGTH = timedelta(minutes=30)   # a calendar entry's length: the desk gives a start time only


@dataclass(frozen=True)
class Place:
    location_id: str
    name: str
    booking_url: str | None      # the location's own booking page, opened instead of a request


@dataclass(frozen=True)
class AppointmentView:
    appointment_id: str
    location_id: str
    location_name: str
    days: list[str]
    times: list[str]
    note: str | None
    status: str                  # requested | confirmed | proposed | declined | cancelled
    starts_at: datetime | None
    reply: str | None
    requested_at: datetime


def places() -> list[Place]:
    urls = {row.location_id: row.booking_url for row in AppLocation.select()}
    return [Place(loc.id, loc.name, urls.get(loc.id) or None) for loc in Location.select().order_by(Location.name)]


def set_booking_page(location: str, url: str | None) -> None:
    """A location's own booking page (https://...), or None to take requests in the app again."""
    url = (url or "").strip() or None
    if url is not None and (not url.startswith(("https://", "http://")) or len(url) > 500 or " " in url):
        raise Refused("booking_page_invalid")
    with transaction():
        found = Location.get_or_none((Location.name == location) | (Location.id == location))
        if found is None:
            raise Refused("appointment_location_unknown")
        (AppLocation.insert(location_id=found.id, booking_url=url)
         .on_conflict(conflict_target=[AppLocation.location_id], update={AppLocation.booking_url: url}).execute())


def home_place(member_id: str) -> str | None:
    member = rows.row("member", member_id)
    return member.get("home_location") if member else None


def request(member_id: str, location_id: str, days: list[str], times: list[str], note: str | None) -> AppointmentView:
    if Location.get_or_none(Location.id == location_id) is None:
        raise Refused("appointment_location_unknown")
    if not set(days) <= set(WEEKDAYS) or not set(times) <= set(TIMES):
        raise Refused("appointment_wish_invalid")
    note = (note or "").strip() or None
    if note and len(note) > MAX_NOTE:
        raise Refused("appointment_note_too_long", max=MAX_NOTE)
    record_id = str(uuid7())
    with transaction():
        authoring.hold({("member", member_id)})
        if sum(1 for a in rows.owned("appointment", member_id) if a["status"] in OPEN) >= MAX_OPEN:
            raise Refused("appointment_too_many", max=MAX_OPEN)
        row = Appointment(id=record_id, member=member_id, location=location_id, note=note, status="requested",
                          days=",".join(d for d in WEEKDAYS if d in days),
                          times=",".join(t for t in TIMES if t in times),
                          requested_at=_now(), device_id=HQ_DEVICE)
        authoring.write([authoring.Write("appointment", RECORDS["appointment"].payload(row))])
    return _own(member_id, record_id)


def appointments(member_id: str) -> list[AppointmentView]:
    """The member's requests and appointments, the newest request first."""
    names = {loc.id: loc.name for loc in Location.select(Location.id, Location.name)}
    found = [_view(row, names) for row in rows.owned("appointment", member_id)]
    return sorted(found, key=lambda a: a.requested_at, reverse=True)


def accept(member_id: str, appointment_id: str) -> AppointmentView:
    """The patient takes the time the desk proposed."""
    return _change(member_id, appointment_id, "confirmed", ("proposed",), "appointment_nothing_to_accept")


def cancel(member_id: str, appointment_id: str) -> AppointmentView:
    return _change(member_id, appointment_id, "cancelled", ("requested", "proposed", "confirmed"),
                   "appointment_not_open")


def calendar_file(member_id: str, appointment_id: str, program_name: str) -> bytes:
    """A confirmed appointment for the phone's calendar: a time and the place, nothing about why."""
    found = _own(member_id, appointment_id)
    if found.status != "confirmed" or found.starts_at is None:
        raise Refused("appointment_not_confirmed")
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//loyalty//patients' app//DE")
    calendar.add("version", "2.0")
    event = icalendar.Event()
    event.add("uid", f"{found.appointment_id}@loyalty")
    event.add("dtstamp", datetime.fromtimestamp(now(), timezone.utc))
    event.add("dtstart", found.starts_at)
    event.add("dtend", found.starts_at + LENGTH)
    event.add("summary", f"{program_name}: {found.location_name}")
    event.add("location", found.location_name)
    calendar.add_component(event)
    return calendar.to_ical()


def _change(member_id: str, appointment_id: str, status: str, allowed: tuple[str, ...],
            refusal: str) -> AppointmentView:
    with transaction():
        authoring.hold({("appointment", appointment_id)})
        row = _row(member_id, appointment_id)
        if row["status"] not in allowed:
            raise Refused(refusal)
        authoring.write([authoring.Write("appointment", {**row, "status": status}, fields=("status",))])
    return _own(member_id, appointment_id)


def _row(member_id: str, appointment_id: str) -> dict:
    """The member's own appointment; any other id is unknown to them."""
    row = rows.row("appointment", appointment_id)
    if row is None or row.get("member") != member_id:
        raise Refused("appointment_unknown")
    return row


def _own(member_id: str, appointment_id: str) -> AppointmentView:
    names = {loc.id: loc.name for loc in Location.select(Location.id, Location.name)}
    return _view(_row(member_id, appointment_id), names)


def _view(row: dict, names: dict[str, str]) -> AppointmentView:
    return AppointmentView(row["id"], row["location"], names.get(row["location"], ""),
                           [d for d in (row.get("days") or "").split(",") if d],
                           [t for t in (row.get("times") or "").split(",") if t], row.get("note"), row["status"],
                           as_utc(row.get("starts_at")), row.get("reply"), as_utc(row["requested_at"]))


def _now() -> datetime:
    return datetime.fromtimestamp(now(), timezone.utc)
