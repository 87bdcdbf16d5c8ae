"""Appointment requests from the patients' app, answered at the desk of the location they were
sent to: confirm a time, propose another, or decline, with a short note to the patient.

The request is an HQ-authored record this station pulled; the answer is this station's edit of it
(status, time, note, who and when), which HQ merges and the patient's app shows.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from loyalty import clock
from loyalty.errors import Refused
from loyalty.services.context import Actor, audit, require_staff
from loyalty.store import Appointment, Member, write
from loyalty.store.outbox import record
from loyalty.store.settings import HOME_LOCATION, get_setting

MAX_REPLY = 500
SHOWN_AFTER = timedelta(hours=12)    # a confirmed appointment stays on the list until a little after it


@dataclass(frozen=True)
class AppointmentRow:
    appointment_id: str
    member_id: str
    first_name: str
    last_name: str | None
    phone: str | None
    email: str | None
    days: list[str]                  # mon ... sat, empty: any day
    times: list[str]                 # morning | midday | afternoon | evening, empty: any time
    note: str | None
    status: str
    starts_at: datetime | None
    reply: str | None
    requested_at: datetime


def appointment_requests(limit: int = 100) -> list[AppointmentRow]:
    """This location's requests: new ones first (oldest first), then proposals waiting for the
    patient, then confirmed appointments still to come."""
    now = clock.now()
    query = (Appointment.select(Appointment, Member).join(Member)
             .where((Appointment.location == get_setting(HOME_LOCATION, ""))
                    & (Appointment.status.in_(("requested", "proposed"))
                       | ((Appointment.status == "confirmed") & (Appointment.starts_at >= now - SHOWN_AFTER))))
             .order_by(Appointment.status != "requested", Appointment.status != "proposed", Appointment.starts_at,
                       Appointment.requested_at)
             .limit(limit))
    return [AppointmentRow(a.id, a.member.id, a.member.first_name or "", a.member.last_name, a.member.phone,
                           a.member.email, [d for d in a.days.split(",") if d], [t for t in a.times.split(",") if t],
                           a.note, a.status, a.starts_at, a.reply, a.requested_at) for a in query]


def confirm_appointment(appointment_id: str, starts_at: datetime, actor: Actor, reply: str | None = None) -> None:
    _answer(appointment_id, actor, "confirmed", starts_at, reply)


def propose_appointment(appointment_id: str, starts_at: datetime, actor: Actor, reply: str | None = None) -> None:
    _answer(appointment_id, actor, "proposed", starts_at, reply)


def decline_appointment(appointment_id: str, actor: Actor, reply: str | None = None) -> None:
    _answer(appointment_id, actor, "declined", None, reply)


def _answer(appointment_id: str, actor: Actor, status: str, starts_at: datetime | None, reply: str | None) -> None:
    require_staff(actor)
    reply = (reply or "").strip() or None
    if reply and len(reply) > MAX_REPLY:
        raise Refused("note_too_long", max=MAX_REPLY)
    now = clock.now()
    if status != "declined" and (starts_at is None or starts_at <= now):
        raise Refused("appointment_time_past")
    with write():
        found = Appointment.get_or_none(Appointment.id == appointment_id)
        if found is None or found.location != get_setting(HOME_LOCATION, ""):
            raise Refused("appointment_unknown")
        if found.status in ("cancelled", "declined"):
            raise Refused(f"appointment_already_{found.status}")
        found.status, found.reply, found.answered_at, found.answered_by = status, reply, now, actor.staff_id
        if starts_at is not None:
            found.starts_at = starts_at
        record(found, insert=False)
        audit(actor, f"appointment_{status}", found.member_id, appointment=appointment_id)
