"""Kiosk feedback after a visit: one optional 0-10 score and text; problems go to the clinical team.

A low score or a text that reports a problem becomes a FollowUp task. Feedback never feeds a
marketing message: the message planner does not read this table.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from loyalty import clock, events, ledger
from loyalty.errors import Refused
from loyalty.feedback_words import is_low_score, problem_words
from loyalty.services.context import Actor, audit, current_program
from loyalty.services.followups import open_follow_up
from loyalty.services.members import get_member
from loyalty.store import Feedback, LedgerEntry, Treatment, write
from loyalty.store.outbox import new_id, record
from loyalty.visits import local_day_start

MAX_TEXT = 2000
TREATMENT_WINDOW = timedelta(days=30)   # a problem text this long after a treatment is about it


@dataclass(frozen=True)
class FeedbackResult:
    feedback_id: str
    reports_problem: bool
    follow_up_id: str | None   # the clinical team's task, when one was opened


def feedback_prompt(member_id: str) -> str | None:
    """The visit to ask about: the last visit on an earlier day than today, if not yet answered.

    Called right after a check-in, so today's visit is never the one asked about.
    """
    member = get_member(member_id)
    if member.erased_at is not None:
        return None
    today = local_day_start(clock.now(), current_program().timezone)
    visit = (LedgerEntry.select(LedgerEntry.id)
             .where((LedgerEntry.member == member_id) & (LedgerEntry.kind == ledger.VISIT)
                    & (LedgerEntry.created_at < today))
             .order_by(LedgerEntry.created_at.desc()).first())
    if visit is None:
        return None
    if Feedback.select().where(Feedback.visit_entry == visit.id).exists():
        return None
    return visit.id


def submit_feedback(member_id: str, visit_entry: str | None, score: int | None, text: str | None,
                    actor: Actor) -> FeedbackResult:
    """Keep the answer (both empty means "skipped": not asked again for this visit)."""
    if score is not None and (isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 10):
        raise Refused("score_invalid")
    text = (text or "").strip() or None
    if text and len(text) > MAX_TEXT:
        raise Refused("feedback_too_long", max=MAX_TEXT)
    now = clock.now()
    with write():
        member = get_member(member_id)
        if member.erased_at is not None:
            raise Refused("member_unknown")
        visit = None
        if visit_entry is not None:
            visit = LedgerEntry.get_or_none((LedgerEntry.id == visit_entry) & (LedgerEntry.member == member_id)
                                            & (LedgerEntry.kind == ledger.VISIT))
            if visit is None:
                raise Refused("feedback_visit_unknown")
            if Feedback.select().where(Feedback.visit_entry == visit_entry).exists():
                raise Refused("feedback_done")
        words = problem_words(text)
        low = is_low_score(score)
        feedback = record(Feedback(id=new_id(), member=member_id, visit_entry=visit_entry, score=score,
                                   text=text, reports_problem=bool(words or low), at=now,
                                   device_id=actor.device_id))
        follow_up = None
        if words or low:
            treatment = _treatment_before(member_id, visit.created_at if visit else now)
            detail = {"score": score, "words": sorted(set(words)), "visit_entry": visit_entry,
                      "treatment": treatment.item_code if treatment else None,
                      "treatment_at": treatment.performed_at.isoformat() if treatment else None}
            follow_up = open_follow_up(member_id, "problem_reported" if words else "low_score", detail,
                                       feedback_id=feedback.id)
        if actor.is_staff:
            audit(actor, "feedback", member_id, feedback=feedback.id)
    if follow_up is not None:
        events.publish(events.Event("follow_up_opened", {"follow_up_id": follow_up.id, "member_id": member_id,
                                                         "kind": follow_up.kind}))
    return FeedbackResult(feedback.id, bool(words or low), follow_up.id if follow_up else None)


def _treatment_before(member_id: str, at) -> Treatment | None:
    """The latest treatment up to the end of the rated visit's day, within the window."""
    return (Treatment.select()
            .where((Treatment.member == member_id) & (Treatment.performed_at <= at + timedelta(days=1))
                   & (Treatment.performed_at >= at - TREATMENT_WINDOW))
            .order_by(Treatment.performed_at.desc()).first())
