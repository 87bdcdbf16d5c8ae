"""Points expiry: lots older than the program's period expire, oldest first, exactly once."""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from loyalty import clock, ledger
from loyalty.periods import add_months
from loyalty.services.context import Actor, current_program
from loyalty.services.members import add_entry
from loyalty.store import LedgerEntry, write

# Expiry entries get ids derived from the lot, so two stations or two runs cannot expire a lot twice.
NS_EXPIRE = uuid.UUID("6f1d3c1e-6c36-4f53-9a0e-4f1f3d2b7a10")


@dataclass(frozen=True)
class ExpiryReport:
    members: int
    points: int


def expire_points(actor: Actor) -> ExpiryReport:
    """Each member's lots past the cutoff, in a write transaction of their own.

    Runs in the station's scheduler beside the kiosk, so it reads first and takes the writer lock
    only for members with something left to expire (most have none after the day's first pass),
    reading again under the lock. Never a write while a read cursor is open: that read's snapshot
    could not be upgraded once a check-in had committed ("database is locked" without waiting).
    """
    program = current_program()
    if not program.expiry_months:
        return ExpiryReport(0, 0)
    cutoff = add_months(clock.now(), -program.expiry_months)
    candidates = [member_id for (member_id,) in LedgerEntry.select(LedgerEntry.member).where(
        (LedgerEntry.points > 0) & (LedgerEntry.created_at < cutoff)).distinct().tuples()]
    members = points = 0
    for member_id in candidates:
        if not _due(member_id, cutoff):
            continue
        with write():
            lots = _due(member_id, cutoff)
            for lot in lots:
                add_entry(member_id, ledger.EXPIRE, actor, points=-lot.remaining, ref=lot.entry_id,
                          reason="points expired", entry_id=_expiry_id(lot))
                points += lot.remaining
        members += bool(lots)
    return ExpiryReport(members, points)


def _due(member_id: str, cutoff) -> list[ledger.Lot]:
    """The member's lots past the cutoff that still hold points and were not expired before."""
    entries = list(LedgerEntry.select(LedgerEntry.id, LedgerEntry.points, LedgerEntry.created_at)
                   .where(LedgerEntry.member == member_id))
    lots = ledger.expired_lots(entries, cutoff)
    if not lots:
        return []
    done = {i for (i,) in LedgerEntry.select(LedgerEntry.id).where(
        LedgerEntry.id.in_([_expiry_id(lot) for lot in lots])).tuples()}
    return [lot for lot in lots if _expiry_id(lot) not in done]


def _expiry_id(lot: ledger.Lot) -> str:
    return str(uuid.uuid5(NS_EXPIRE, lot.entry_id))
