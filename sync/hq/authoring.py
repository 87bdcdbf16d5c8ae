"""The patients' app's records, written by HQ as its own device through `service.store_authored`.

Each write becomes an event of `HQ_DEVICE` with its own id, at a clock past every clock HQ has
stored, merged into its row by the same rules and handed out by the same pull as a station's, so
every station gets it and the fault tests hold for it. Only record types the registry lets HQ
author are taken, each checked against its schema by the same `_invalid` as a push.
"""
from __future__ import annotations

from dataclasses import dataclass

from loyalty.store.registry import RECORDS
from sync.hq import service
from sync.hq.db import lock_records
from sync.protocol import ACCEPTED, Receipt


class Refusal(Exception):
    """HQ cannot write this record (the registry or the merge refuses it); the caller's transaction
    rolls back, so nothing is stored."""

    def __init__(self, table: str, record_id: str, reason: str):
        super().__init__(f"{table}/{record_id}: {reason}")
        self.table, self.record_id, self.reason = table, record_id, reason


@dataclass(frozen=True)
class Write:
    """One record as it travels: the whole row (registry payload) and, for an edit, what changed."""
    table: str
    payload: dict
    fields: tuple[str, ...] | None = None
    op: str = "upsert"

    @property
    def record_id(self) -> str:
        kind = RECORDS.get(self.table)
        return str(self.payload.get(kind.key if kind else "id"))


def hold(keys: set[tuple[str, str]]) -> None:
    """Before reading records to change them: their merge locks, as every write takes them, so a
    read-modify-write loses no concurrent change."""
    lock_records(keys)


def write(changes: list[Write]) -> list[Receipt]:
    """Store HQ's own records in the caller's transaction (`sync.hq.db.transaction()`).

    Raises Refusal for a record type HQ may not author, a payload the registry refuses or one the
    merge refuses (a reference HQ does not hold); the caller's transaction then rolls back.
    """
    receipts = service.store_authored([(c.table, c.record_id, c.op, c.payload,
                                        None if c.fields is None else list(c.fields)) for c in changes])
    for change, receipt in zip(changes, receipts):
        if receipt.status != ACCEPTED:
            raise Refusal(change.table, change.record_id, receipt.reason or receipt.status)
    return receipts
