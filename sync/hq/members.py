"""Members across the group in the console: find (the desk's search rules), a member's history at every
location, moving their home location, and the GDPR export (Art. 15) and erasure (Art. 17).

HQ holds each member's merged records (`hq_row`); what belongs to a member, what an export lists and
what an erasure leaves are the record registry's rules, the ones every station applies. A move and
an erasure are records HQ writes itself (`service.store_authored`): the stations pull and apply them
like any station's edit, so an erasure from here scrubs every station's copy and revokes the cards
everywhere, as one made at a desk does.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from types import SimpleNamespace

from loyalty.errors import Refused
from loyalty.member_search import best_hits, prefix_end
from loyalty.store.fields import UtcDateTimeField
from loyalty.store.registry import MEMBER_FIELDS, RECORDS, owned_through
from sync.hq import service
from sync.hq.admins import MEMBER_DATA, MEMBERS, audit, authorise
from sync.hq.db import Device, Location, Row, hq_db, is_postgres, now, row_field, transaction

HISTORY_LINES = 200
_stamp = UtcDateTimeField().db_value
SEARCH_ORDER = {"name_key": ("name_key",), "last_key": ("last_key", "name_key"), "email": ("email",),
                "phone_key": ("phone_key",)}


@dataclass(frozen=True)
class MemberHit:
    id: str
    first_name: str
    last_name: str | None
    email: str | None
    phone: str | None
    home_location: str | None


@dataclass(frozen=True)
class HistoryLine:
    at: str                        # ISO time, UTC
    kind: str
    points: int
    stamps: int
    amount_cents: int
    item_code: str | None
    reward_code: str | None
    location: str | None           # where it was written (None: HQ itself)


@dataclass(frozen=True)
class MemberFile:
    id: str
    first_name: str | None
    last_name: str | None
    email: str | None
    phone: str | None
    created_at: str
    joined_at: str | None          # the location where they joined
    home_location_id: str | None
    home_location: str | None
    erased: bool
    points: int
    stamps: int
    cards: list[tuple[str, str]]   # (card id, status)
    consents: dict[str, bool]
    history: list[HistoryLine]     # newest first, at most HISTORY_LINES
    entries: int                   # all ledger entries


def find_members(token: str, query: str, limit: int = 10) -> list[MemberHit]:
    """As you type, with the desk's rules (`loyalty.member_search`); erased members are not found."""
    authorise(token, MEMBERS)
    homes = _location_names()
    rows = best_hits(query, limit, _members_by_prefix)
    return [MemberHit(r.id, r.first_name or "", r.last_name, r.email, r.phone, homes.get(r.home_location))
            for r in rows]


def _members_by_prefix(column: str, prefix: str, limit: int) -> list[SimpleNamespace]:
    order = ", ".join(row_field(c) for c in SEARCH_ORDER[column])
    mark = "%s" if is_postgres() else "?"
    sql = (f"SELECT record_id, data FROM hq_row WHERE tbl = 'member' AND {row_field(column)} >= {mark} "
           f"AND {row_field(column)} < {mark} ORDER BY {order} LIMIT {mark}")
    hits = []
    for record_id, data in hq_db.execute_sql(sql, (prefix, prefix_end(prefix), limit * 2)).fetchall():
        row = json.loads(data)
        if row.get("erased_at") is None:
            hits.append(SimpleNamespace(id=record_id, **{k: row.get(k) for k in (
                "first_name", "last_name", "email", "phone", "name_key", "last_key", "phone_key", "home_location")}))
    return hits[:limit]


def member_file(token: str, member_id: str) -> MemberFile:
    """Everything the console shows of one member; the look is audited (personal data)."""
    admin = authorise(token, MEMBERS)
    member = _member_row(member_id)
    places = _device_locations()
    homes = _location_names()
    entries = sorted(_owned("ledger_entry", member_id), key=lambda e: e.get("created_at") or "", reverse=True)
    cards = [(c["id"], c.get("status") or "") for c in _owned("card", member_id)]
    consents: dict[str, bool] = {}
    for event in sorted(_owned("consent_event", member_id), key=lambda c: (c.get("at") or "", c.get("granted"))):
        consents[event["purpose"]] = bool(event.get("granted"))
    history = [HistoryLine(e.get("created_at") or "", e.get("kind") or "", int(e.get("points") or 0),
                           int(e.get("stamps") or 0), int(e.get("amount_cents") or 0), e.get("item_code"),
                           e.get("reward_code"), places.get(e.get("device_id")))
               for e in entries[:HISTORY_LINES]]
    with transaction():
        audit(admin, "member.view", member_id)
    return MemberFile(
        member_id, member.get("first_name"), member.get("last_name"), member.get("email"), member.get("phone"),
        member.get("created_at") or "", places.get(member.get("created_device")), member.get("home_location"),
        homes.get(member.get("home_location")), bool(member.get("erased_at")),
        sum(int(e.get("points") or 0) for e in entries), sum(int(e.get("stamps") or 0) for e in entries),
        cards, consents, history, len(entries))


def locations(token: str) -> list[tuple[str, str]]:
    """(id, name) of every location, for choosing a member's home."""
    authorise(token, MEMBERS)
    return [(loc.id, loc.name) for loc in Location.select().order_by(Location.name)]


def move_home(token: str, member_id: str, location_id: str) -> None:
    """The member's home location (whose station sends their reminders) becomes `location_id`."""
    admin = authorise(token, MEMBERS)
    with transaction():
        member = _member_row(member_id, lock=True)
        if member.get("erased_at"):
            raise Refused("member_unknown")
        target = Location.get_or_none(Location.id == location_id)
        if target is None:
            raise Refused("location_unknown")
        if member.get("home_location") == location_id:
            raise Refused("member_home_same", location=target.name)
        before = _location_names().get(member.get("home_location"))
        service.store_authored([("member", member_id, "upsert", {**member, "home_location": location_id},
                                 ["home_location"])])
        audit(admin, "member.move_home", member_id, before=before, after=target.name)


def export_member(token: str, member_id: str) -> dict:
    """Everything HQ holds of one member (GDPR Art. 15), by the registry's export sections, oldest first.

    Messages stay at the station that sent them and are in its own export, which the file says.
    """
    admin = authorise(token, MEMBER_DATA)
    _member_row(member_id)
    data: dict = {"member_id": member_id, "exported_at": _stamp(datetime.now(timezone.utc)),
                  "exported_by": "head office",
                  "not_held_here": sorted(k.export for k in RECORDS.values() if k.export and not k.synced)}
    owned = _records_of(member_id)
    for kind in RECORDS.values():
        if kind.export and kind.synced:
            rows = sorted(owned.get(kind.table, []), key=lambda r: str(r.get(kind.key)))
            data[kind.export] = rows[0] if kind.export == "member" and rows else rows
    with transaction():
        audit(admin, "member.export", member_id)
    return data


def erase_member(token: str, member_id: str) -> None:
    """GDPR erasure from HQ, with the station's guarantees: the member's erase event and their cards'
    revocation travel to every station, HQ scrubs its own events and rows in the same transaction."""
    admin = authorise(token, MEMBER_DATA)
    with transaction():
        member = _member_row(member_id, lock=True)
        if member.get("erased_at"):
            raise Refused("already_erased")
        moment = _stamp(datetime.fromtimestamp(now(), timezone.utc))
        cleared = {**member, **dict.fromkeys(MEMBER_FIELDS), "erased_at": moment}
        changes = [("member", member_id, "erase", cleared, [*MEMBER_FIELDS, "erased_at"])]
        for card in _owned("card", member_id):
            if card.get("status") == "active":
                changes.append(("card", card["id"], "upsert",
                                {**card, "status": "revoked", "revoked_at": moment, "revoked_reason": "erased"},
                                ["status", "revoked_at", "revoked_reason"]))
        service.store_authored(changes)
        audit(admin, "member.erase", member_id)


# --- reading the merged rows ------------------------------------------------------------------

def _member_row(member_id: str, lock: bool = False) -> dict:
    query = Row.select(Row.data).where((Row.tbl == "member") & (Row.record_id == str(member_id)[:64]))
    if lock and is_postgres():
        query = query.for_update()
    row = query.first()
    if row is None:
        raise Refused("member_unknown")
    return json.loads(row.data)


def _owned(table: str, member_id: str) -> list[dict]:
    """Rows of `table` that belong to the member by its owner field (indexed for `member`)."""
    kind = RECORDS[table]
    mark = "%s" if is_postgres() else "?"
    sql = f"SELECT data FROM hq_row WHERE tbl = {mark} AND {row_field(kind.owner)} = {mark}"
    return [json.loads(data) for (data,) in hq_db.execute_sql(sql, (table, member_id)).fetchall()]


def _records_of(member_id: str) -> dict[str, list[dict]]:
    """table -> every row of the member, directly or through another record (benefit uses through plans)."""
    mark = "%s" if is_postgres() else "?"
    found: dict[str, list[dict]] = {"member": [_member_row(member_id)]}
    for kind in RECORDS.values():
        if kind.synced and kind.owner and kind.owner != kind.key:
            rows = _owned(kind.table, member_id)
            if rows:
                found[kind.table] = rows
    for parent in list(found):
        ids = {str(r[RECORDS[parent].key]) for r in found[parent]}
        for kind in owned_through(parent):
            marks = ", ".join([mark] * len(ids))
            sql = f"SELECT data FROM hq_row WHERE tbl = {mark} AND {row_field(kind.via[0])} IN ({marks})"
            rows = [json.loads(data) for (data,) in hq_db.execute_sql(sql, (kind.table, *sorted(ids))).fetchall()]
            if rows:
                found[kind.table] = rows
    return found


def _device_locations() -> dict[str, str]:
    return {d.id: d.location.name for d in Device.select(Device, Location).join(Location)}


def _location_names() -> dict[str, str]:
    return {loc.id: loc.name for loc in Location.select()}
