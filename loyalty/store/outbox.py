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
    """Queue the whole row as one event with its own id and the station's next clock value."""
    kind = RECORDS[instance._meta.table_name]
    payload = kind.payload(instance)
    record_id, event_id, stamp = str(instance._pk), new_id(), next_hlc()
    Outbox.create(record_id=record_id, table=kind.table, op=op, payload=json.dumps(payload, default=str),
                  created_at=clock.now(), event_id=event_id, hlc=stamp,
                  fields=None if fields is None else json.dumps(fields))
    if kind.mutable:
        row = RowClock.get_or_none(RowClock.tbl == kind.table, RowClock.record_id == record_id)
        clocks = json.loads(row.clocks) if row else {}
        mark = [stamp, get_setting(DEVICE_ID, ""), event_id]
        clocks.update({name: mark for name in (payload if fields is None else fields)})
        RowClock.insert(tbl=kind.table, record_id=record_id, clocks=json.dumps(clocks)).on_conflict_replace().execute()


def next_hlc() -> int:
    """Advance and keep the station's hybrid logical clock (monotonic across restarts and clock jumps)."""
    value = hlc.tick(int(get_setting(HLC, "0")), int(clock.now().timestamp() * 1000))
    set_setting(HLC, str(value))
    return value


def observe_hlc(remote: int) -> None:
    """Move the station's clock past a value seen from HQ, so later local edits sort after it."""
    value = hlc.receive(int(get_setting(HLC, "0")), remote, int(clock.now().timestamp() * 1000))
    set_setting(HLC, str(value))
