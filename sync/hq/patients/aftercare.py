"""Aftercare check-ins answered in the app: "How are you?" on day 3, the result check on day 14
with photos, from the program's existing aftercare plan for each treatment.

An answer is an HQ-authored record every station pulls; its photos stay at HQ. An answer that
reports a problem (the patient says so, or their words do, as at the kiosk) or a result check
with photos opens a follow-up for the clinical team, never anything promotional. The app never
names the treatment: a check-in is about "your visit on 20 November".
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from uuid6 import uuid7

from loyalty import recall
from loyalty.errors import Refused
from loyalty.feedback_words import problem_words
from loyalty.store.fields import as_utc
from loyalty.store.models import AftercareAnswer, AftercarePhoto, FollowUp
from loyalty.store.registry import RECORDS
from sync.hq import authoring, rows
from sync.hq.db import AppPhoto, now, transaction
from sync.hq.patients.home import program
from sync.hq.patients.photos import PER_ANSWER
from sync.protocol import HQ_DEVICE

STEPS = ("how_are_you", "result_check")     # the touch points that ask the patient something
FEELINGS = ("good", "unsure", "problem")
OPEN_DAYS = 30                              # a check-in can be answered this long after its day
MAX_TEXT = 2000


@dataclass(frozen=True)
class CheckIn:
    treatment_id: str
    step: str
    visit_at: datetime           # when the treatment was: the app says "your visit on ..."
    due_at: datetime
    answered: bool
    photos: bool                 # the result check asks for photos


@dataclass(frozen=True)
class Answered:
    answer_id: str
    follow_up_id: str | None     # the clinical team's task, when one was opened
    reports_problem: bool


def checkins(member_id: str, moment: datetime | None = None) -> list[CheckIn]:
    """Check-ins whose day has come, open or answered, newest first."""
    moment = moment or _now()
    current = program()
    answered = {a["id"] for a in rows.owned("aftercare_answer", member_id)}
    found = []
    for treatment in rows.owned("treatment", member_id):
        performed = as_utc(treatment["performed_at"])
        item = current.catalogue.get(treatment["item_code"])
        schedule = recall.aftercare_schedule(performed, item.aftercare if item else None,
                                             as_utc(treatment.get("recall_due")))
        for step, due in schedule:
            if step in STEPS and due <= moment <= due + timedelta(days=OPEN_DAYS):
                found.append(CheckIn(treatment["id"], step, performed, due,
                                     f"{treatment['id']}:{step}" in answered, step == "result_check"))
    return sorted(found, key=lambda c: (c.answered, -c.due_at.timestamp()))


def answer(member_id: str, treatment_id: str, step: str, feeling: str, text: str | None,
           photo_ids: list[str] = ()) -> Answered:
    if feeling not in FEELINGS:
        raise Refused("checkin_feeling_missing")
    text = (text or "").strip() or None
    if text and len(text) > MAX_TEXT:
        raise Refused("feedback_too_long", max=MAX_TEXT)
    due = next((c for c in checkins(member_id) if c.treatment_id == treatment_id and c.step == step), None)
    if due is None:
        raise Refused("checkin_unknown")
    photo_ids = list(dict.fromkeys(photo_ids))
    if photo_ids and not due.photos:
        raise Refused("checkin_no_photos")
    if len(photo_ids) > PER_ANSWER:
        raise Refused("photo_too_many", max=PER_ANSWER)
    answer_id = f"{treatment_id}:{step}"
    words = problem_words(text)
    problem = feeling == "problem" or bool(words)
    moment = _now()
    with transaction():
        authoring.hold({("aftercare_answer", answer_id)})
        if rows.row("aftercare_answer", answer_id) is not None:
            raise Refused("checkin_answered")
        photos = list(AppPhoto.select(AppPhoto.id, AppPhoto.size, AppPhoto.width, AppPhoto.height, AppPhoto.sha256)
                      .where(AppPhoto.id.in_(photo_ids) & (AppPhoto.member_id == member_id)
                             & AppPhoto.answer_id.is_null())) if photo_ids else []
        if len(photos) != len(photo_ids):
            raise Refused("photo_unknown")
        device = HQ_DEVICE
        writes = [_write(AftercareAnswer(id=answer_id, member=member_id, treatment=treatment_id, step=step,
                                         feeling=feeling, text=text, reports_problem=problem, at=moment,
                                         device_id=device))]
        writes += [_write(AftercarePhoto(id=p.id, member=member_id, answer=answer_id, content_type="image/jpeg",
                                         size=p.size, width=p.width, height=p.height, sha256=p.sha256, at=moment,
                                         device_id=device)) for p in photos]
        follow_up = None
        if problem or photos:
            treatment = rows.row("treatment", treatment_id)
            detail = {"answer": answer_id, "step": step, "feeling": feeling, "words": sorted(set(words)),
                      "photos": [p.id for p in photos], "treatment": treatment["item_code"],
                      "treatment_at": treatment["performed_at"]}
            follow_up = str(uuid7())
            writes.append(_write(FollowUp(id=follow_up, member=member_id,
                                          kind="aftercare_problem" if problem else "aftercare_result",
                                          detail=json.dumps(detail), created_at=moment, status="open")))
        authoring.write(writes)
        if photos:
            AppPhoto.update(answer_id=answer_id).where(AppPhoto.id.in_([p.id for p in photos])).execute()
    return Answered(answer_id, follow_up, problem)


def has_treatments(member_id: str) -> bool:
    return bool(rows.owned("treatment", member_id))


def _write(row) -> authoring.Write:
    return authoring.Write(row._meta.table_name, RECORDS[row._meta.table_name].payload(row))


def _now() -> datetime:
    return datetime.fromtimestamp(now(), timezone.utc)
