"""Every synced write queues an event for HQ in the transaction that makes it; the station's clock.

Each event carries its own id (HQ stores it once), the station's hybrid logical clock, the fields
it changed and, for a mutable record, the per-field clocks its merge compares (`row_clock`).
What syncs and how it merges is the record's entry in `registry`.
"""
from __future__ import annotations

import json

import peewee as pw
from uuid6 import uuid7

from loyalty import clock, hlc
from loyalty.store.models import Outbox, RowClock
from loyalty.store.registry import RECORDS
from loyalty.store.settings import DEVICE_ID, HLC, get_setting, set_setting


def new_id() -> str:
    return str(uuid7())


def record(instance: pw.Model, *, insert: bool = True, op: str = "upsert") -> pw.Model:
    """Save a row and queue it for HQ in the caller's transaction (an update carries its changed fields).

    A change of station-only fields alone (a PIN's failed attempts) is saved and sends nothing.
    """
    kind = RECORDS[instance._meta.table_name]
    changed = None if insert else sorted(f.name for f in instance.dirty_fields if f.name not in kind.local_fields)
    instance.save(force_insert=insert)
    if kind.synced and (changed is None or changed):
        enqueue(instance, op, fields=changed)
    return instance


def enqueue(instance: pw.Model, op: str = "upsert", fields: list[str] | None = None) -> None:
    """Queue the whole row as one event with its own id and the station's next clock value.

    An edit of a mutable record sorts after the edits it overwrites (`hlc.after`), so it wins at HQ
    as it wins here, even when those came from a clock ahead of this station's.
    """
    kind = RECORDS[instance._meta.table_name]
    payload = kind.payload(instance)
    record_id, event_id = str(instance._pk), new_id()
    changed = payload if fields is None else fields
    row = RowClock.get_or_none(RowClock.tbl == kind.table, RowClock.record_id == record_id) if kind.mutable else None
    clocks = json.loads(row.clocks) if row else {}
    stamp = hlc.after(next_hlc(), max((clocks[name][0] for name in changed if name in clocks), default=-1))
    Outbox.create(record_id=record_id, table=kind.table, op=op, payload=json.dumps(payload, default=str),
                  created_at=clock.now(), event_id=event_id, hlc=stamp,
                  fields=None if fields is None else json.dumps(fields))
    if kind.mutable:
        mark = [stamp, get_setting(DEVICE_ID, ""), event_id]
        clocks.update({name: mark for name in changed})
        RowClock.insert(tbl=kind.table, record_id=record_id, clocks=json.dumps(clocks)).on_conflict_replace().execute()


def next_hlc() -> int:
    """Advance and keep the station's hybrid logical clock (monotonic across restarts and clock jumps)."""
    value = hlc.tick(int(get_setting(HLC, "0")), clock.now_ms())
    set_setting(HLC, str(value))
    return value


def observe_hlc(remote: int) -> None:
    """Move the station's clock past a value seen from HQ, so later local edits sort after it; never
    more than `hlc.MAX_AHEAD` past this station's own wall clock."""
    value = hlc.receive(int(get_setting(HLC, "0")), remote, clock.now_ms())
    set_setting(HLC, str(value))


def restamp(event_ids: list[str], hq_clock: int) -> None:
    """Give queued events HQ refused as too far ahead (`clock_ahead`) a new id and a clock just past
    HQ's, in the order they were written; the row clocks they set follow. Nothing is lost when this
    station's wall clock runs a day fast: its writes arrive, stamped when HQ first heard of them.

    A station clock that stays ahead of HQ's (adopted from a hostile device before HQ checked clocks)
    is taken back to HQ's, so the next writes need no second try.
    """
    device, stamp = get_setting(DEVICE_ID, ""), hq_clock
    for start in range(0, len(event_ids), 500):
        rows = list(Outbox.select().where(Outbox.event_id.in_(event_ids[start:start + 500])).order_by(Outbox.seq))
        for row in rows:
            stamp, event_id = stamp + 1, new_id()
            Outbox.update(event_id=event_id, hlc=stamp).where(Outbox.seq == row.seq).execute()
            kind = RECORDS.get(row.table)
            clock_row = (RowClock.get_or_none(RowClock.tbl == row.table, RowClock.record_id == row.record_id)
                         if kind is not None and kind.mutable else None)
            if clock_row is not None:
                clocks = json.loads(clock_row.clocks)
                moved = {name: [stamp, device, event_id] for name, mark in clocks.items() if mark[2] == row.event_id}
                if moved:
                    RowClock.update(clocks=json.dumps({**clocks, **moved})).where(
                        (RowClock.tbl == row.table) & (RowClock.record_id == row.record_id)).execute()
    if hlc.physical_ms(int(get_setting(HLC, "0"))) > hlc.physical_ms(hq_clock) + hlc.MAX_AHEAD_MS:
        set_setting(HLC, str(max(stamp, hq_clock)))
