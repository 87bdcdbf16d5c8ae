"""GDPR erasure at HQ: a member's erasure scrubs every event and row HQ holds of them.

Runs inside the push transaction that stores the erase event, so no pull ever hands out the
person's data after it; what the patients' app keeps of them (signed-in devices, sign-in codes,
inbox, photos) goes in the same transaction. Events that arrive later for an erased member (a station that was
offline, a station restored from a backup) are scrubbed in the push that stores them. The rule
of what stays is each record type's in `loyalty.store.registry`, the one the stations apply.
"""
from __future__ import annotations

import json

from loyalty.store import registry
from sync.hq.db import APP_PERSONAL, Erasure, Event, Row, now
from sync.protocol import ACCEPTED, Receipt
from sync.protocol import Event as WireEvent


def scrub_pushed(events: list[WireEvent], receipts: list[Receipt]) -> None:
    """After a batch is stored: apply its erasures, and scrub its events of members erased before."""
    accepted = [e for e, r in zip(events, receipts) if r.status == ACCEPTED]
    erased_now = sorted({e.record_id for e in accepted if e.table == "member" and e.op == "erase"})
    owners = {_owner(e) for e in accepted} - {None} - set(erased_now)
    erased_before = {m for (m,) in Erasure.select(Erasure.member_id)
                     .where(Erasure.member_id.in_(sorted(owners))).tuples()} if owners else set()
    for member_id in erased_now:
        Erasure.insert(member_id=member_id, at=now()).on_conflict_ignore().execute()
        _scrub(records_of(member_id))
        for model in APP_PERSONAL:        # the patients' app's own rows: devices, codes, inbox, photos
            model.delete().where(model.member_id == member_id).execute()
    if erased_before:
        late = {(e.table, e.record_id) for e in accepted if _owner(e) in erased_before}
        for parent in {table for table, _ in late}:
            ids = {record_id for table, record_id in late if table == parent}
            for kind in registry.owned_through(parent):
                late |= {(e.table, e.record_id) for e in accepted
                         if e.table == kind.table and e.payload.get(kind.via[0]) in ids}
        _scrub(late)


def _owner(event: WireEvent) -> str | None:
    """As text: a payload value may be any scalar, and member ids are compared as text columns."""
    return registry.owner(event.table, event.record_id, event.payload)


def records_of(member_id: str) -> set[tuple[str, str]]:
    """(table, record id) of everything HQ holds of one member, found through the merged rows.

    A text search over the rows: erasures are rare, and it needs no member column in the hot path.
    """
    found = {("member", member_id)}
    for row in Row.select(Row.tbl, Row.record_id, Row.data).where(Row.data.contains(member_id)):
        if registry.owner(row.tbl, row.record_id, json.loads(row.data)) == member_id:
            found.add((row.tbl, row.record_id))
    for parent, parent_id in sorted(found):
        for kind in registry.owned_through(parent):
            for row in Row.select(Row.record_id, Row.data).where((Row.tbl == kind.table)
                                                                 & Row.data.contains(parent_id)):
                if json.loads(row.data).get(kind.via[0]) == parent_id:
                    found.add((kind.table, row.record_id))
    return found


def _scrub(keys: set[tuple[str, str]]) -> None:
    """Rewrite the rows and events of these records as the erasure leaves them; dropped ones go."""
    by_table: dict[str, list[str]] = {}
    for table, record_id in keys:
        by_table.setdefault(table, []).append(record_id)
    for table, record_ids in sorted(by_table.items()):
        for start in range(0, len(record_ids), 500):
            chunk = record_ids[start:start + 500]
            if registry.RECORDS[table].erase is registry.Erase.DROP:
                Row.delete().where((Row.tbl == table) & Row.record_id.in_(chunk)).execute()
                Event.delete().where((Event.tbl == table) & Event.record_id.in_(chunk)).execute()
                continue
            for row in Row.select().where((Row.tbl == table) & Row.record_id.in_(chunk)):
                data = json.loads(row.data)
                scrubbed = registry.scrub(table, data)
                if scrubbed != data:
                    Row.update(data=json.dumps(scrubbed)).where(
                        (Row.tbl == table) & (Row.record_id == row.record_id)).execute()
            for event in Event.select(Event.id, Event.payload).where((Event.tbl == table)
                                                                     & Event.record_id.in_(chunk)):
                payload = json.loads(event.payload)
                scrubbed = registry.scrub(table, payload)
                if scrubbed != payload:
                    Event.update(payload=json.dumps(scrubbed)).where(Event.id == event.id).execute()
