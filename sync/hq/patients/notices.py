"""Telling patients what happened, and keeping it in their inbox in the app.

The notifier (a thread in every HQ process) looks at what the stations stored since its cursor:
a desk's answer to an appointment request (confirmed, a time proposed, declined) that still
stands becomes a notice,
planned once by its key, claimed by one process, and sent by the member's preferred channel. An
answer is what the patient asked for, so it needs no marketing consent. Every notice stays in the
inbox, sent or not, in the member's language when it is read.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

from uuid6 import uuid7

from loyalty import i18n
from loyalty.store.fields import as_utc
from loyalty.templates import Rendered, render
from sync.hq import rows
from sync.hq.db import AppCursor, AppNotice, AppPush, Event, Location, is_postgres, now, transaction
from sync.hq.patients import aftercare, push
from sync.hq.patients.postbox import Letter
from sync.hq.patients.push import Pusher
from sync.hq.program import program_in_force
from sync.protocol import HQ_DEVICE

ANSWERS = ("confirmed", "proposed", "declined")
PAGE = 2000                # events looked at per pass
MAX_ATTEMPTS = 3
LEASE = 300                # a notice still `sending` after 5 minutes: its process died mid-send


@dataclass(frozen=True)
class Notice:
    notice_id: str
    kind: str
    title: str             # in the member's language, as the letter's subject
    text: str              # short, as the SMS
    created_at: datetime
    read: bool
    channel: str | None
    status: str


def plan_notices() -> int:
    """Notices for the desks' answers among the events stored since the cursor (one page of them);
    returns how many events it looked at, so a caller repeats it until HQ's stream is read."""
    with transaction():
        query = AppCursor.select().where(AppCursor.id == 1)
        cursor = (query.for_update() if is_postgres() else query).get()
        events = list(Event.select(Event.position, Event.tbl, Event.record_id, Event.device_id, Event.payload)
                      .where(Event.position > cursor.position).order_by(Event.position).limit(PAGE).tuples())
        if not events:
            return 0
        for _, table, record_id, device, payload in events:
            if table != "appointment" or device == HQ_DEVICE:
                continue
            answer, row = json.loads(payload), rows.row("appointment", record_id)
            if row is None or answer.get("status") not in ANSWERS or not _stands(answer, row):
                continue
            key = f"appointment:{record_id}:{row['status']}:{row.get('starts_at') or ''}"
            params = {"appointment": record_id, "starts_at": row.get("starts_at"), "location": row["location"]}
            AppNotice.insert(id=str(uuid7()), key=key, member_id=row["member"], kind=f"appointment_{row['status']}",
                             params=json.dumps(params), created_at=now()).on_conflict_ignore().execute()
        AppCursor.update(position=events[-1][0]).where(AppCursor.id == 1).execute()
    return len(events)


def _stands(answer: dict, row: dict) -> bool:
    """The desk's answer is still what the record says: a proposal the patient accepted or an
    appointment cancelled before the notifier came round needs no message any more."""
    return all(row.get(field) == answer.get(field) for field in ("status", "starts_at"))


def plan_checkin_notices(days: int = 2) -> int:
    """A push message when an aftercare question is due, for members whose devices take push
    messages (the station's aftercare e-mail already reaches everyone else); once per question."""
    planned = 0
    members = {m for (m,) in AppPush.select(AppPush.member_id).distinct().tuples()}
    moment = datetime.fromtimestamp(now(), timezone.utc)
    for member_id in sorted(members):
        for checkin in aftercare.checkins(member_id, moment):
            if checkin.answered or checkin.due_at < moment - timedelta(days=days):
                continue
            with transaction():
                planned += (AppNotice.insert(
                    id=str(uuid7()), key=f"checkin:{checkin.treatment_id}:{checkin.step}", member_id=member_id,
                    kind=f"checkin_{checkin.step}", params=json.dumps({"visit_at": checkin.visit_at.isoformat()}),
                    created_at=now()).on_conflict_ignore().as_rowcount().execute())
    return planned


def send_notices(send: Callable[[Letter], str | None], channels: frozenset[str], pusher: Pusher | None = None,
                 limit: int = 50) -> int:
    """Send planned notices, each claimed first so one HQ process sends it; returns how many went.

    A member's devices that take push messages get it that way; when none does (or none took it),
    it goes as a letter, except a check-in question (the station's aftercare e-mail asks it already).
    A notice whose process died between claim and answer is marked failed, never sent twice blindly.
    """
    sent = 0
    with transaction():
        AppNotice.update(status="failed").where((AppNotice.status == "sending")
                                                & (AppNotice.claimed_at < now() - LEASE)).execute()
    for (notice_id,) in (AppNotice.select(AppNotice.id).where(AppNotice.status == "planned")
                         .order_by(AppNotice.created_at).limit(limit).tuples()):
        with transaction():
            if not AppNotice.update(status="sending", attempts=AppNotice.attempts + 1, claimed_at=now()).where(
                    (AppNotice.id == notice_id) & (AppNotice.status == "planned")).execute():
                continue
            notice = AppNotice.get_by_id(notice_id)
            member = rows.row("member", notice.member_id)
        living = member is not None and not member.get("erased_at")
        channel = reference = None
        if living and pusher is not None and push.subscribed(notice.member_id):
            rendered = _rendered(notice, member)
            if push.deliver(notice.member_id, {"title": rendered.subject, "body": rendered.sms, "url": "./",
                                               "tag": notice.id}, pusher):
                channel = reference = "push"
        letter = None
        if reference is None and living and not notice.kind.startswith("checkin_"):
            letter = _letter(notice, member, channels)
            reference = send(letter) if letter else None
            channel = letter.channel if letter else None
        status = "sent" if reference else ("unsent" if letter is None else
                                           "failed" if notice.attempts >= MAX_ATTEMPTS else "planned")
        with transaction():
            AppNotice.update(status=status, channel=channel if reference else None,
                             sent_at=now() if reference else None).where(AppNotice.id == notice_id).execute()
        sent += bool(reference)
    return sent


def inbox(member_id: str, limit: int = 50) -> list[Notice]:
    member = rows.row("member", member_id) or {}
    found = (AppNotice.select().where(AppNotice.member_id == member_id)
             .order_by(AppNotice.created_at.desc()).limit(limit))
    notices = []
    for notice in found:
        rendered = _rendered(notice, member)
        notices.append(Notice(notice.id, notice.kind, rendered.subject, rendered.sms,
                              datetime.fromtimestamp(notice.created_at, timezone.utc), notice.read_at is not None,
                              notice.channel, notice.status))
    return notices


def unread(member_id: str) -> int:
    return AppNotice.select().where((AppNotice.member_id == member_id) & AppNotice.read_at.is_null()).count()


def mark_read(member_id: str) -> None:
    with transaction():
        AppNotice.update(read_at=now()).where((AppNotice.member_id == member_id)
                                              & AppNotice.read_at.is_null()).execute()


def _letter(notice: AppNotice, member: dict, channels: frozenset[str]) -> Letter | None:
    """By the member's preferred channel when it can reach them, else e-mail, else SMS."""
    reachable = [c for c, field in (("email", "email"), ("sms", "phone")) if member.get(field) and c in channels]
    if not reachable:
        return None
    channel = member.get("channel") if member.get("channel") in reachable else reachable[0]
    to = member["email"] if channel == "email" else member["phone"]
    return Letter(channel, to, _rendered(notice, member), notice.id)


def _rendered(notice: AppNotice, member: dict) -> Rendered:
    lang = member.get("locale") if member.get("locale") in i18n.LANGUAGES else "de"
    program = program_in_force()
    params = json.loads(notice.params or "{}")
    if params.get("visit_at"):
        return render(notice.kind, lang, first_name=member.get("first_name") or "",
                      program=program.name if program else "", on=datetime.fromisoformat(params["visit_at"]))
    when = ""
    if params.get("starts_at"):
        when = i18n.fmt_appointment(as_utc(params["starts_at"]), lang, program.timezone if program else "Europe/Berlin")
        location = Location.get_or_none(Location.id == params.get("location"))
        when += f" ({location.name})" if location and Location.select().count() > 1 else ""
    return render(notice.kind, lang, first_name=member.get("first_name") or "",
                  program=program.name if program else "", when=when)
