"""A hostile enrolled device for the sync tests: its own signed pushes, and records of every type,
valid ones derived from the registry and others bent by hypothesis into whatever it likes."""
from __future__ import annotations

import json
import time
import uuid

import peewee as pw
import requests
from hypothesis import strategies as st

from loyalty import hlc
from loyalty.store.fields import UtcDateTimeField
from loyalty.store.registry import RECORDS
from sync import signing
from sync.client import HqClient
from sync.hq.db import Event as StoredEvent
from sync.hq.db import Stream, hq_db, transaction
from sync.protocol import Event, batch_id

MOMENT = "2026-03-02T09:30:00.000000Z"
FIELD_NAMES = sorted({name for kind in RECORDS.values() for name in kind.model._meta.fields})
GONE = object()      # a mutation that leaves the field out


def now_hlc(ahead_ms: int = 0) -> int:
    return hlc.from_wall(int(time.time() * 1000) + ahead_ms)


def example(table: str, record_id: str, device: str, refs: dict[str, str]) -> dict:
    """A record of `table` that every check takes: the registry's schema filled in plainly.

    `refs`: table -> the id of a record there that a reference may point to (a member, a plan).
    """
    kind = RECORDS[table]
    references = kind.references()
    payload = {}
    for name, column in kind.model._meta.fields.items():
        if name in kind.local_fields:
            continue
        if name == kind.key:
            value = record_id
        elif name in references:
            value = refs[references[name]]
        elif name == kind.creator_field:
            value = device
        elif name in kind.choices:
            value = kind.choices[name][0]
        elif column.null:
            value = None
        elif isinstance(column, UtcDateTimeField):
            value = MOMENT
        elif isinstance(column, pw.BooleanField):
            value = False
        elif isinstance(column, pw.IntegerField):
            low, high = kind.limits.get(name, (0, 0))
            value = 0 if low <= 0 <= high else low
        else:
            value = "x"
        payload[name] = value
    return payload


def values():
    """What a hostile device puts into a field: anything JSON carries, and a few near misses."""
    return st.one_of(
        st.none(), st.booleans(),
        st.integers(-2 ** 70, 2 ** 70), st.integers(-20, 20),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(st.characters(blacklist_categories=("Cs",)), max_size=12),
        st.sampled_from([MOMENT, "2199-12-31T23:59:59.999999Z", "1999-12-31T23:59:59.999999Z", "2026-02-30",
                         "x" * 4001, "de", "revoked", "active", "cancelled", "manager", "earn", "redeem"]))


def mutations(table: str, most: int = 3):
    """(field, value or GONE): changes that turn a valid record of `table` into anything; mostly of
    its own fields, so every check of their types, ranges and choices gets its turn."""
    own = sorted(RECORDS[table].model._meta.fields) if table in RECORDS else ["id"]
    names = st.one_of(st.sampled_from(own), st.sampled_from(own), st.sampled_from(FIELD_NAMES),
                      st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True))
    return st.lists(st.tuples(names, st.one_of(values(), st.just(GONE))), max_size=most)


def clocks():
    """A clock: now, a little behind or ahead, or anything the 63-bit column holds."""
    return st.one_of(st.just(0), st.integers(-3_600_000, hlc.MAX_AHEAD_MS // 2).map(now_hlc),
                     st.integers(hlc.MAX_AHEAD_MS * 2, 10 ** 12).map(now_hlc), st.integers(0, 2 ** 63 - 1))


def bend(payload: dict, changes: list) -> dict:
    bent = dict(payload)
    for name, value in changes:
        if value is GONE:
            bent.pop(name, None)
        else:
            bent[name] = value
    return bent


class Rogue:
    """An enrolled device that writes its events by hand: whatever it likes, signed with its own key."""

    def __init__(self, hq, name: str = "rogue", location: str = "Praxis Mitte"):
        self.device = f"{name}-{uuid.uuid4().hex[:8]}"
        answer = HqClient(hq.url).enrol(hq.code(location), self.device)
        self.client = HqClient(hq.url, self.device, answer.secret)
        self.seq = 0

    def event(self, table: str, payload: dict, *, hlc_value: int | None = None, op: str = "upsert",
              fields: list[str] | None = None, record_id: str | None = None) -> Event:
        self.seq += 1
        key = RECORDS[table].key if table in RECORDS else "id"
        return Event(id=str(uuid.uuid4()), device_id=self.device, seq=self.seq, table=table,
                     record_id=record_id or str(payload.get(key)), op=op,
                     hlc=now_hlc() if hlc_value is None else hlc_value, fields=fields, payload=payload)

    def push(self, *events: Event) -> dict[str, tuple[str, str | None]]:
        """Signed JSON as Python writes it, so a NaN arrives as NaN (the client's own encoder sends null)."""
        body = json.dumps({"batch_id": batch_id([e.id for e in events]),
                           "events": [e.model_dump() for e in events]}).encode()
        headers = signing.sign(self.device, self.client.secret, "POST", "/v1/sync/push", body, time.time())
        answer = requests.post(self.client.url + "/v1/sync/push", data=body, timeout=10,
                               headers={**headers, "Content-Type": "application/json"})
        assert answer.status_code == 200, answer.text
        return {r["id"]: (r["status"], r["reason"]) for r in answer.json()["receipts"]}

    def member(self, **changes) -> dict:
        return {**example("member", str(uuid.uuid4()), self.device, {}), "first_name": "Eve", **changes}

    def entry(self, member: str, **changes) -> dict:
        return {**example("ledger_entry", str(uuid.uuid4()), self.device, {"member": member}),
                "kind": "adjust", "points": 5, **changes}


def stored_unchecked(events: list[Event]) -> None:
    """Write events into HQ's stream the way HQ did before it checked them."""
    with hq_db.connection_context(), transaction():
        stream = Stream.get_by_id(1)
        for i, e in enumerate(events, 1):
            StoredEvent.create(id=e.id, device_id=e.device_id, seq=e.seq, tbl=e.table, record_id=e.record_id,
                               op=e.op, hlc=e.hlc, fields=None if e.fields is None else json.dumps(e.fields),
                               payload=json.dumps(e.payload), digest=e.digest(), position=stream.position + i,
                               received_at=time.time())
        Stream.update(position=stream.position + len(events),
                      max_hlc=max([stream.max_hlc, *(e.hlc for e in events)])).where(Stream.id == 1).execute()
