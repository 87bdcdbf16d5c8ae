"""Points expiry: lots older than the program's period expire, oldest first, exactly once."""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from loyalty import clock, ledger
from loyalty.periods import add_months
from loyalty.services.context import Actor, current_program
from loyalty.services.members import add_entry
from loyalty.store import LedgerEntry, Member, write

# Expiry entries get ids derived from the lot, so two stations or two runs cannot expire a lot twice.
NS_EXPIRE = uuid.UUID("6f1d3c1e-6c36-4f53-9a0e-4f1f3d2b7a10")


@dataclass(frozen=True)
class ExpiryReport:
    members: int
    points: int


def expire_points(actor: Actor) -> ExpiryReport:
    program = current_program()
    if not program.expiry_months:
        return ExpiryReport(0, 0)
    now = clock.now()
    cutoff = add_months(now, -program.expiry_months)
    candidates = (Member.select(Member.id).join(LedgerEntry)
                  .where((LedgerEntry.points > 0) & (LedgerEntry.created_at < cutoff)).distinct())
    members = points = 0
    for (member_id,) in candidates.tuples():
        with write():
            entries = list(LedgerEntry.select().where(LedgerEntry.member == member_id))
            lots = ledger.expired_lots(entries, cutoff)
            for lot in lots:
                entry_id = str(uuid.uuid5(NS_EXPIRE, lot.entry_id))
                if LedgerEntry.get_or_none(LedgerEntry.id == entry_id):
                    continue
                add_entry(member_id, ledger.EXPIRE, actor, points=-lot.remaining, ref=lot.entry_id,
                          reason="points expired", entry_id=entry_id)
                points += lot.remaining
            members += bool(lots)
    return ExpiryReport(members, points)
