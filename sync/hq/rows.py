"""HQ's merged rows of one member, for the patients' app: read through the row indexes of `db`.

Each row is the record as every station holds it (the registry payload: ids as text, times as
ISO text, flags as booleans).
"""
from __future__ import annotations

import json

import peewee as pw

from loyalty.store.registry import RECORDS
from sync.hq.db import Row, row_field


def _field(name: str) -> pw.SQL:
    """A field of a row's data, written as its index is (`db._row_indexes`), so the index is used."""
    return pw.SQL(row_field(name))


def row(table: str, record_id: str) -> dict | None:
    found = Row.select(Row.data).where((Row.tbl == table) & (Row.record_id == record_id)).first()
    return json.loads(found.data) if found else None


def owned(table: str, member_id: str) -> list[dict]:
    """The member's records of one table (its registry owner field names them)."""
    kind = RECORDS[table]
    if kind.owner == kind.key:
        found = row(table, member_id)
        return [found] if found else []
    return [json.loads(data) for (data,) in Row.select(Row.data).where(
        (Row.tbl == table) & (_field(kind.owner) == member_id)).tuples()]


def through(table: str, parent_ids: list[str]) -> list[dict]:
    """Records that belong to a member through others (a plan's benefit uses)."""
    field, _ = RECORDS[table].via
    if not parent_ids:
        return []
    return [json.loads(data) for (data,) in Row.select(Row.data).where(
        (Row.tbl == table) & _field(field).in_(parent_ids)).tuples()]


def member_by_contact(field: str, value: str) -> dict | None:
    """The oldest member not erased whose e-mail or phone (normalised) is `value`."""
    rows = [json.loads(data) for (data,) in Row.select(Row.data).where(
        (Row.tbl == "member") & (_field(field) == value)).tuples()]
    living = [r for r in rows if not r.get("erased_at")]
    return min(living, key=lambda r: (r.get("created_at") or "", r["id"])) if living else None
