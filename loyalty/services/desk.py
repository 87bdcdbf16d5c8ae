"""What the front desk reads about members: profile, history, recalls, consents, recent check-ins.

Reads only; the staff app shows these beside the member's status. Health data (which treatment)
is for staff eyes: the kiosk never calls these.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import peewee as pw

from loyalty import clock, ledger
from loyalty.services.members import get_member, member_status
from loyalty.services.purchases import live_refunds
from loyalty.store import ConsentEvent, LedgerEntry, Member, Staff, Treatment
from loyalty.store.fields import as_utc


@dataclass(frozen=True)
class MemberProfile:
    member_id: str
    first_name: str
    last_name: str | None
    email: str | None
    phone: str | None
    birthday_day: int | None
    birthday_month: int | None
    note: str | None
    locale: str
    created_at: datetime


@dataclass(frozen=True)
class HistoryRow:
    entry_id: str
    at: datetime
    kind: str
    points: int
    stamps: int
    amount_cents: int
    item_code: str | None
    reward_code: str | None
    refundable: bool          # a purchase not yet refunded in full
    refundable_cents: int     # what of it can still be refunded


@dataclass(frozen=True)
class RecallRow:
    item_code: str
    performed_at: datetime
    recall_due: datetime


@dataclass(frozen=True)
class ConsentRow:
    purpose: str
    granted: bool
    at: datetime
    source: str
    staff_name: str | None


@dataclass(frozen=True)
class CheckInRow:
    entry_id: str
    member_id: str
    first_name: str
    last_name: str | None
    at: datetime
    rewards_ready: list[str]


def member_profile(member_id: str) -> MemberProfile:
    m = get_member(member_id)
    return MemberProfile(m.id, m.first_name or "", m.last_name, m.email, m.phone, m.birthday_day,
                         m.birthday_month, m.note, m.locale, m.created_at)


def member_history(member_id: str, limit: int = 30) -> list[HistoryRow]:
    entries = list(LedgerEntry.select().where(LedgerEntry.member == member_id)
                   .order_by(LedgerEntry.created_at.desc(), LedgerEntry.id.desc()).limit(limit))
    purchases = [e.id for e in entries if e.kind == ledger.PURCHASE]
    refunded: dict[str, int] = {}
    undone: set[str] = set()
    if purchases:
        undone = {ref for (ref,) in LedgerEntry.select(LedgerEntry.ref)
                  .where(LedgerEntry.ref.in_(purchases) & (LedgerEntry.kind == ledger.UNDO)).tuples()}
        for r in live_refunds(purchases):
            refunded[r.ref] = refunded.get(r.ref, 0) - r.amount_cents
    left = {e.id: 0 if e.kind != ledger.PURCHASE or e.id in undone else max(0, e.amount_cents - refunded.get(e.id, 0))
            for e in entries}
    return [HistoryRow(e.id, as_utc(e.created_at), e.kind, e.points, e.stamps, e.amount_cents, e.item_code,
                       e.reward_code, left[e.id] > 0, left[e.id])
            for e in entries]


def member_recalls(member_id: str) -> list[RecallRow]:
    """Upcoming recalls by treatment, soonest first (staff only: names the treatment)."""
    rows = (Treatment.select().where((Treatment.member == member_id) & Treatment.recall_due.is_null(False))
            .order_by(Treatment.recall_due))
    return [RecallRow(t.item_code, as_utc(t.performed_at), as_utc(t.recall_due)) for t in rows]


def consent_history(member_id: str) -> list[ConsentRow]:
    """Every consent given or withdrawn, oldest first: what was given when, and by whom."""
    names = {s.id: s.name for s in Staff.select(Staff.id, Staff.name)}
    rows = ConsentEvent.select().where(ConsentEvent.member == member_id).order_by(ConsentEvent.at)
    return [ConsentRow(c.purpose, c.granted, as_utc(c.at), c.source, names.get(c.staff_id)) for c in rows]


def latest_check_in() -> str | None:
    """The newest visit entry id (UUIDv7, so it sorts by time): cheap to poll for check-ins
    made by a kiosk in another process on the same database."""
    return (LedgerEntry.select(pw.fn.MAX(LedgerEntry.id))
            .where((LedgerEntry.kind == ledger.VISIT) & (LedgerEntry.created_at >= _recent())).scalar())


def recent_check_ins(limit: int = 8) -> list[CheckInRow]:
    entries = list(LedgerEntry.select(LedgerEntry, Member).join(Member)
                   .where((LedgerEntry.kind == ledger.VISIT) & (LedgerEntry.created_at >= _recent()))
                   .order_by(LedgerEntry.created_at.desc()).limit(limit))
    return [CheckInRow(e.id, e.member_id, e.member.first_name or "", e.member.last_name, as_utc(e.created_at),
                       member_status(e.member_id).rewards_ready)
            for e in entries]


def _recent() -> datetime:
    return clock.now() - timedelta(hours=12)
