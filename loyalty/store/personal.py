"""A member's records on this station, found through the registry: for the GDPR export and erasure."""
from __future__ import annotations

import json
from datetime import datetime

from loyalty.store.models import Outbox, RowClock
from loyalty.store.registry import RECORDS, Erase, owned_through, scrub

CHUNK = 500


def records_of(member_id: str) -> dict[str, list[str]]:
    """table -> ids of every record that belongs to the member, directly or through another record."""
    found: dict[str, list[str]] = {}
    for kind in RECORDS.values():
        if kind.owner is None:
            continue
        model = kind.model
        ids = [str(i) for (i,) in model.select(model._meta.primary_key)
               .where(getattr(model, kind.owner) == member_id).tuples()]
        if ids:
            found[kind.table] = ids
    for parent in list(found):
        for kind in owned_through(parent):
            column = getattr(kind.model, kind.via[0])
            ids = [str(i) for start in range(0, len(found[parent]), CHUNK)
                   for (i,) in kind.model.select(kind.model._meta.primary_key)
                   .where(column.in_(found[parent][start:start + CHUNK])).tuples()]
            if ids:
                found[kind.table] = ids
    return found


def export_rows(member_id: str) -> dict[str, list[dict]]:
    """Every record of the member by export section, oldest first (ids are time-ordered UUIDv7)."""
    owned = records_of(member_id)
    sections: dict[str, list[dict]] = {}
    for kind in RECORDS.values():
        if kind.export is None:
            continue
        model, ids = kind.model, owned.get(kind.table, [])
        rows = [row for start in range(0, len(ids), CHUNK)
                for row in model.select().where(model._meta.primary_key.in_(ids[start:start + CHUNK]))
                .order_by(model._meta.primary_key).dicts()]
        sections[kind.export] = [{k: v.isoformat() if isinstance(v, datetime) else v
                                  for k, v in row.items() if k not in kind.local_fields} for row in rows]
    return sections


def forget(member_id: str) -> None:
    """Leave of the member's records what the registry's erasure rule allows, queued events included.

    Runs in the caller's transaction and writes no events. The outbox is scrubbed too: an event
    not yet sent must not carry the name or e-mail to HQ afterwards.
    """
    owned = records_of(member_id)
    for table in reversed(list(RECORDS)):             # records owned through another go before it
        ids = owned.get(table)
        if not ids:
            continue
        kind = RECORDS[table]
        model, key = kind.model, kind.model._meta.primary_key
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start:start + CHUNK]
            if kind.erase is Erase.DROP:
                model.delete().where(key.in_(chunk)).execute()
                RowClock.delete().where((RowClock.tbl == table) & RowClock.record_id.in_(chunk)).execute()
            elif kind.cleared:
                model.update(**kind.cleared).where(key.in_(chunk)).execute()
            if kind.cleared_keys:
                column = kind.cleared_keys[0]
                for record_id, value in model.select(key, getattr(model, column)).where(key.in_(chunk)).tuples():
                    scrubbed = scrub(table, {column: value})[column]
                    if scrubbed != value:
                        model.update({getattr(model, column): scrubbed}).where(key == record_id).execute()
        _scrub_outbox(table, ids)


def _scrub_outbox(table: str, ids: list[str]) -> None:
    """Rewrite the queued and sent events of these records as the erasure leaves them (dropped ones go)."""
    for start in range(0, len(ids), CHUNK):
        for row in Outbox.select().where((Outbox.table == table) & Outbox.record_id.in_(ids[start:start + CHUNK])):
            payload = json.loads(row.payload)
            scrubbed = scrub(table, payload)
            if scrubbed is None:
                Outbox.delete().where(Outbox.seq == row.seq).execute()
            elif scrubbed != payload:
                Outbox.update(payload=json.dumps(scrubbed)).where(Outbox.seq == row.seq).execute()
