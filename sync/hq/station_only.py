"""Fields that never leave their station (a PIN's Argon2 hash, its failed attempts, its lock-out).

The registry keeps them off the wire (`local_fields`), but stations from before that sent them, and
HQ databases in the field hold them in stored events and merged rows. A leaked HQ database must not
hand out PIN hashes: a 4-digit PIN has 10^4 candidates, tried in minutes. So HQ strips them from
every push and scrubs what it stored before, when a server process starts.
"""
from __future__ import annotations

import json

from loyalty.store.registry import RECORDS
from sync.hq.db import Event, Row
from sync.protocol import Event as WireEvent

LOCAL_FIELDS = {table: set(kind.local_fields) for table, kind in RECORDS.items() if kind.synced and kind.local_fields}


def strip(events: list[WireEvent]) -> list[WireEvent]:
    """The events as an up-to-date station sends them: station-only fields taken out."""
    return [_stripped(event) for event in events]


def _stripped(event: WireEvent) -> WireEvent:
    local = LOCAL_FIELDS.get(event.table)
    if not local or not (local & set(event.payload) or local & set(event.fields or ())):
        return event
    return event.model_copy(update={
        "payload": {k: v for k, v in event.payload.items() if k not in local},
        "fields": None if event.fields is None else [f for f in event.fields if f not in local]})


def scrub_stored() -> int:
    """Take station-only fields out of stored events and rows; returns how many were rewritten.

    Idempotent (a clean database is read, not written) and run in the caller's transaction. An
    event's digest is recomputed, so a station resending the event gets `duplicate`, as before.
    """
    rewritten = 0
    for table, local in LOCAL_FIELDS.items():
        for event in Event.select().where(Event.tbl == table):
            payload = json.loads(event.payload)
            fields = None if event.fields is None else json.loads(event.fields)
            if not (local & set(payload) or local & set(fields or ())):
                continue
            wire = _stripped(WireEvent(id=event.id, device_id=event.device_id, seq=event.seq, table=event.tbl,
                                       record_id=event.record_id, op=event.op, hlc=event.hlc, fields=fields,
                                       payload=payload))
            Event.update(payload=json.dumps(wire.payload), digest=wire.digest(),
                         fields=None if wire.fields is None else json.dumps(wire.fields)).where(
                Event.id == event.id).execute()
            rewritten += 1
        for row in Row.select().where(Row.tbl == table):
            data, clocks = json.loads(row.data), json.loads(row.clocks)
            if not (local & set(data) or local & set(clocks)):
                continue
            Row.update(data=json.dumps({k: v for k, v in data.items() if k not in local}),
                       clocks=json.dumps({k: v for k, v in clocks.items() if k not in local})).where(
                (Row.tbl == table) & (Row.record_id == row.record_id)).execute()
            rewritten += 1
    return rewritten
