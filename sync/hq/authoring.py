"""Records HQ writes itself (the patients' app): events of HQ's own device, stored as a push is.

HQ has one device of its own (`hq_author`), with its own hybrid logical clock and sequence. Each
write becomes an event with its own id, stored once, merged into its row by the same rules and
handed out by the same pull as a station's, so every station gets it and the fault tests hold for
it. Only record types the registry lets HQ author are taken, each checked against its schema.
"""
from __future__ import annotations

from dataclasses import dataclass

from uuid6 import uuid7

from loyalty import hlc
from loyalty.store import registry
from loyalty.store.registry import RECORDS, Author
from sync.hq import service
from sync.hq.db import Author as AuthorRow
from sync.hq.db import Stream, is_postgres, lock_records, now
from sync.protocol import ACCEPTED, Receipt
from sync.protocol import Event as WireEvent


class Refusal(Exception):
    """HQ cannot write this record (the registry or the merge refuses it); nothing was stored."""

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
        return str(self.payload.get(RECORDS[self.table].key))


def hq_device() -> str:
    return AuthorRow.get_by_id(1).device_id


def hold(keys: set[tuple[str, str]]) -> None:
    """Before reading records to change them: HQ's device row, then the records' merge locks, in the
    order every write takes them, so a read-modify-write loses no concurrent change."""
    query = AuthorRow.select(AuthorRow.id).where(AuthorRow.id == 1)
    (query.for_update() if is_postgres() else query).get()
    lock_records(keys)


def write(changes: list[Write]) -> list[Receipt]:
    """Store HQ's own records in the caller's transaction (`sync.hq.db.transaction()`).

    Raises Refusal, before anything is stored, for a record type HQ may not author or a payload the
    registry refuses; and, rolling back with the caller, for one the merge refuses (a reference
    HQ does not hold).
    """
    for change in changes:
        kind = RECORDS.get(change.table)
        if kind is None or Author.HQ not in kind.authors:
            raise Refusal(change.table, change.record_id, "author_not_allowed")
        reason = registry.invalid(change.table, change.record_id, change.op, change.payload)
        if reason:
            raise Refusal(change.table, change.record_id, reason)
    device, last_hlc, last_seq = _claim(len(changes))
    first_hlc, first_seq = last_hlc - len(changes) + 1, last_seq - len(changes) + 1
    events = [WireEvent(id=str(uuid7()), device_id=device, seq=first_seq + i, table=c.table, record_id=c.record_id,
                        op=c.op, hlc=first_hlc + i, fields=None if c.fields is None else list(c.fields),
                        payload=c.payload)
              for i, c in enumerate(changes)]
    receipts, _ = service.store_events(device, events, Author.HQ)
    for change, receipt in zip(changes, receipts):
        if receipt.status != ACCEPTED:
            raise Refusal(change.table, change.record_id, receipt.reason or receipt.status)
    return receipts


def _claim(count: int) -> tuple[str, int, int]:
    """Lock HQ's device row and take `count` clock values and sequence numbers.

    The clock moves past its own last value, the wall clock and every clock HQ has stored, so an
    edit the patient makes after seeing the desk's answer sorts after that answer everywhere.
    """
    query = AuthorRow.select().where(AuthorRow.id == 1)
    row = (query.for_update() if is_postgres() else query).get()
    seen = Stream.select(Stream.max_hlc).where(Stream.id == 1).scalar() or 0
    last_hlc = max(row.hlc + count, hlc.from_wall(int(now() * 1000)) + count - 1, seen + count)
    AuthorRow.update(hlc=last_hlc, seq=row.seq + count).where(AuthorRow.id == 1).execute()
    return row.device_id, last_hlc, row.seq + count
