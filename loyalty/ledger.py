"""Ledger arithmetic: pure functions over entries, no I/O.

Balances are sums. Points expire oldest first: each earning is a lot, every debit spends the
oldest lots that remain, and a lot still unspent when it is older than the expiry period expires.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Protocol

# Kinds of entries. Earning kinds count toward tiers ("points earned in the last 12 months").
SIGNUP, VISIT, PURCHASE, TREATMENT, REFERRAL, BIRTHDAY = (
    "signup",
    "visit",
    "purchase",
    "treatment",
    "referral",
    "birthday",
)
REDEEM, REFUND, ADJUST, EXPIRE, IMPORT, UNDO = "redeem", "refund", "adjust", "expire", "import", "undo"
KINDS = (SIGNUP, VISIT, PURCHASE, TREATMENT, REFERRAL, BIRTHDAY, REDEEM, REFUND, ADJUST, EXPIRE, IMPORT, UNDO)
TIER_KINDS = (PURCHASE, TREATMENT, REFUND)


class EntryLike(Protocol):
    id: str
    kind: str
    points: int
    stamps: int
    created_at: datetime


@dataclass(frozen=True)
class Lot:
    entry_id: str
    earned_at: datetime
    remaining: int


def points_balance(entries: Iterable[EntryLike]) -> int:
    return sum(e.points for e in entries)


def stamps_balance(entries: Iterable[EntryLike]) -> int:
    return sum(e.stamps for e in entries)


def open_lots(entries: Iterable[EntryLike]) -> list[Lot]:
    """What is left of each earning after debits spent the oldest lots first."""
    ordered = sorted(entries, key=lambda e: (e.created_at, e.id))
    lots: list[list] = []
    debt = 0
    for entry in ordered:
        if entry.points > 0:
            amount = entry.points
            if debt:
                paid = min(debt, amount)
                debt -= paid
                amount -= paid
            lots.append([entry.id, entry.created_at, amount])
        elif entry.points < 0:
            owed = -entry.points
            for lot in lots:
                if not owed:
                    break
                take = min(lot[2], owed)
                lot[2] -= take
                owed -= take
            debt += owed
    return [Lot(i, at, left) for i, at, left in lots if left > 0]


def expired_lots(entries: Iterable[EntryLike], cutoff: datetime) -> list[Lot]:
    """Lots earned before `cutoff` that still hold points: these expire now."""
    return [lot for lot in open_lots(entries) if lot.earned_at < cutoff]
