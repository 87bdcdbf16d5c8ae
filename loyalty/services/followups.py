"""The clinical team's task list: low scores, reported problems, messages whose delivery is uncertain."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from loyalty import clock
from loyalty.errors import Refused
from loyalty.services.context import Actor, audit, require_staff
from loyalty.store import AftercareAnswer, Feedback, FollowUp, Member, write
from loyalty.store.outbox import new_id, record

KINDS = ("problem_reported", "low_score", "uncertain_message")   # opened here; the app opens aftercare_* at HQ
AFTERCARE = ("aftercare_problem", "aftercare_result")
MAX_NOTE = 1000


@dataclass(frozen=True)
class FollowUpRow:
    follow_up_id: str
    member_id: str
    first_name: str
    last_name: str | None
    phone: str | None
    email: str | None
    kind: str                         # problem_reported | low_score | uncertain_message
    created_at: datetime
    score: int | None                 # the feedback's score, if any
    text: str | None                  # the patient's words, shown to staff only
    treatment: str | None             # catalogue code of the treatment before it (staff see its name)
    treatment_at: datetime | None
    message_id: str | None            # for uncertain_message: the message to check
    detail: dict = field(default_factory=dict)
    feeling: str | None = None        # an aftercare answer from the app: good | unsure | problem
    step: str | None = None           # how_are_you | result_check
    photos: list[str] = field(default_factory=list)   # photo ids: the pictures stay at HQ


def open_follow_ups(limit: int = 100) -> list[FollowUpRow]:
    """Open tasks: reported problems first (at the kiosk or in the app), then the rest, oldest first."""
    tasks = list(FollowUp.select(FollowUp, Member).join(Member)
                 .where(FollowUp.status == "open")
                 .order_by(FollowUp.kind.not_in(("problem_reported", "aftercare_problem")), FollowUp.created_at)
                 .limit(limit))
    ids = [t.feedback for t in tasks if t.feedback]
    answers = {f.id: f for f in Feedback.select().where(Feedback.id.in_(ids))} if ids else {}
    checkin_ids = [_detail(t.detail).get("answer") for t in tasks if t.kind in AFTERCARE]
    checkins = {a.id: a for a in AftercareAnswer.select().where(AftercareAnswer.id.in_(checkin_ids))} \
        if checkin_ids else {}
    rows = []
    for task in tasks:
        detail = _detail(task.detail)
        answer = answers.get(task.feedback) or checkins.get(detail.get("answer"))
        at = detail.get("treatment_at")
        rows.append(FollowUpRow(
            follow_up_id=task.id, member_id=task.member.id, first_name=task.member.first_name or "",
            last_name=task.member.last_name, phone=task.member.phone, email=task.member.email,
            kind=task.kind, created_at=task.created_at, score=getattr(answer, "score", None),
            text=answer.text if answer else None, treatment=detail.get("treatment"),
            treatment_at=datetime.fromisoformat(at) if at else None,
            message_id=detail.get("message_id"), detail=detail, feeling=detail.get("feeling"),
            step=detail.get("step"), photos=list(detail.get("photos") or [])))
    return rows


def _detail(text: str) -> dict:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {"text": text}
    return value if isinstance(value, dict) else {"text": text}


def open_follow_up(member_id: str, kind: str, detail: dict, feedback_id: str | None = None) -> FollowUp:
    """Open a task inside the caller's transaction (feedback and the message sender use it)."""
    if kind not in KINDS:
        raise ValueError(f"unknown follow-up kind {kind!r}")
    return record(FollowUp(id=new_id(), member=member_id, kind=kind, feedback=feedback_id,
                           detail=json.dumps(detail, default=str), created_at=clock.now()))


def close_follow_up(follow_up_id: str, actor: Actor, note: str | None = None) -> None:
    """Staff mark a task done, with an optional note of what they did."""
    require_staff(actor)
    note = (note or "").strip() or None
    if note and len(note) > MAX_NOTE:
        raise Refused("note_too_long", max=MAX_NOTE)
    with write():
        task = FollowUp.get_or_none(FollowUp.id == follow_up_id)
        if task is None:
            raise Refused("follow_up_unknown")
        if task.status != "open":
            raise Refused("follow_up_closed")
        task.status, task.closed_at, task.closed_by, task.note = "done", clock.now(), actor.staff_id, note
        record(task, insert=False)
        audit(actor, "follow_up_closed", task.member_id, follow_up=follow_up_id, kind=task.kind)
