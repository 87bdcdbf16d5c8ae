"""Suspicious-activity flags: a member's points went below zero, or unusually many entries were
booked for them in one day. The station raises them; a manager looks at the member, notes what
they found and resolves the flag; the desk sees a member's open flags on the member page.

A flag is a mutable synced record (`loyalty/store/registry.py`): its resolution (who, when, the
note) travels to HQ and every station, so a flag resolved at one location is closed at all.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import peewee as pw

from loyalty import clock, kpis
from loyalty.errors import Refused
from loyalty.services.context import Actor, audit, current_program, require_manager
from loyalty.store import Flag, LedgerEntry, Member, Staff, queries, write
from loyalty.store.outbox import new_id, record
from loyalty.visits import local_day_start

MANY_TRANSACTIONS, NEGATIVE_BALANCE = "many_transactions", "negative_balance"
MAX_NOTE = 1000


@dataclass(frozen=True)
class FlagRow:
    flag_id: str
    member_id: str
    first_name: str
    last_name: str | None
    kind: str                     # many_transactions | negative_balance
    at: datetime                  # when it was raised
    day: date                     # the local day it was raised on
    entries_that_day: int         # the member's ledger entries on that day
    balance: int                  # the member's points now
    resolved_at: datetime | None  # None while open
    resolved_by: str | None       # who resolved it; None while open or when resolved at another location
    note: str | None              # what the manager found


# --- raising (inside the caller's transaction) --------------------------------------------------

def flag_negative(member_id: str, balance: int) -> None:
    """A balance below zero (a refund after a redemption, two offline redemptions met at sync):
    one open flag per member; once resolved, the next entry that leaves it below zero raises another."""
    if balance >= 0:
        return
    open_flag = Flag.select().where((Flag.member == member_id) & (Flag.kind == NEGATIVE_BALANCE)
                                    & Flag.resolved_at.is_null()).exists()
    if not open_flag:
        record(Flag(id=new_id(), member=member_id, kind=NEGATIVE_BALANCE, detail=f"balance {balance}",
                    at=clock.now()))


def flag_busy_member(member_id: str, limit: int) -> None:
    """Count today's entries of the member and flag when there are more than `limit`."""
    day_start = local_day_start(clock.now(), current_program().timezone)
    today = LedgerEntry.select().where((LedgerEntry.member == member_id)
                                       & (LedgerEntry.created_at >= day_start)).count()
    flag_if_busy(member_id, today, limit, day_start)


def flag_if_busy(member_id: str, entries_today: int, limit: int, day_start: datetime) -> bool:
    """Unusually many ledger entries today (possible misuse): one flag a day, resolved or not.
    True when the member is flagged for today."""
    if entries_today <= limit:
        return False
    already = Flag.select().where((Flag.member == member_id) & (Flag.kind == MANY_TRANSACTIONS)
                                  & (Flag.at >= day_start)).exists()
    if not already:
        record(Flag(id=new_id(), member=member_id, kind=MANY_TRANSACTIONS,
                    detail=f"{entries_today} transactions today", at=clock.now()))
    return True


# --- reading ----------------------------------------------------------------------------------

def open_flags(actor: Actor, limit: int = 200) -> list[FlagRow]:
    """The manager's work list: open flags of members not erased, oldest first."""
    require_manager(actor)
    query = (_joined().where(Flag.resolved_at.is_null() & Member.erased_at.is_null())
             .order_by(Flag.at).limit(limit))
    return _rows(query)


def member_flags(member_id: str) -> list[FlagRow]:
    """A member's open flags, oldest first: the member page shows them to every staff member."""
    return _rows(_joined().where((Flag.member == member_id) & Flag.resolved_at.is_null()).order_by(Flag.at))


def resolved_flags(actor: Actor, days: int = 30, limit: int = 100) -> list[FlagRow]:
    """Flags resolved in the last `days` days, newest first: who looked, when, and what they found."""
    require_manager(actor)
    since = clock.now() - timedelta(days=days)
    query = (_joined().where(Flag.resolved_at.is_null(False) & (Flag.resolved_at >= since))
             .order_by(Flag.resolved_at.desc()).limit(limit))
    return _rows(query)


def _joined() -> pw.ModelSelect:
    return Flag.select(Flag, Member.id, Member.first_name, Member.last_name).join(Member)


def _rows(query: pw.ModelSelect) -> list[FlagRow]:
    flags = list(query)
    if not flags:
        return []
    tz = current_program().timezone
    days = {flag.id: kpis.local_date(flag.at, tz) for flag in flags}
    entries = queries.entries_between([(flag.id, flag.member_id, kpis.local_midnight(days[flag.id], tz),
                                        kpis.local_midnight(days[flag.id] + timedelta(days=1), tz))
                                       for flag in flags])
    points = queries.points_of(sorted({flag.member_id for flag in flags}))
    names = dict(Staff.select(Staff.id, Staff.name).tuples())
    return [FlagRow(flag_id=flag.id, member_id=flag.member_id, first_name=flag.member.first_name or "",
                    last_name=flag.member.last_name, kind=flag.kind, at=flag.at, day=days[flag.id],
                    entries_that_day=entries[flag.id], balance=points.get(flag.member_id, 0),
                    resolved_at=flag.resolved_at, resolved_by=names.get(flag.resolved_by) if flag.resolved_by else None,
                    note=flag.note)
            for flag in flags]


# --- resolving --------------------------------------------------------------------------------

def resolve_flag(flag_id: str, actor: Actor, note: str) -> FlagRow:
    """A manager has looked and says what they found; the flag closes here and, after sync, everywhere."""
    require_manager(actor)
    note = (note or "").strip()
    if not note:
        raise Refused("flag_note_required")
    if len(note) > MAX_NOTE:
        raise Refused("note_too_long", max=MAX_NOTE)
    with write():
        flag = Flag.get_or_none(Flag.id == flag_id)
        if flag is None:
            raise Refused("flag_unknown")
        if flag.resolved_at is not None:
            raise Refused("flag_resolved")
        flag.resolved_at, flag.resolved_by, flag.note = clock.now(), actor.staff_id, note
        record(flag, insert=False)
        audit(actor, "flag_resolved", flag.member_id, flag=flag.id, kind=flag.kind)
    [row] = _rows(_joined().where(Flag.id == flag_id))
    return row
