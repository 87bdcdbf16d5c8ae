"""Hot-path reads in plain SQL, for check-in and search.

Peewee builds a query's SQL anew on every call, which on this kind of machine costs more (about
half a millisecond a query) than SQLite needs to answer it from an index. The few reads a
check-in and a search make are written out here once; everything else uses the query builder.
"""
from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from loyalty.member_search import prefix_end
from loyalty.store.db import db
from loyalty.store.fields import UtcDateTimeField, as_utc
from loyalty.store.models import Card, Member

_stamp = UtcDateTimeField().db_value


def setting(key: str) -> str | None:
    row = db.execute_sql('SELECT "value" FROM "setting" WHERE "key" = ?', (key,)).fetchone()
    return row[0] if row else None


def newest_program() -> tuple[int, str] | None:
    return db.execute_sql('SELECT "version", "toml" FROM "program_version" ORDER BY "version" DESC LIMIT 1').fetchone()


def card(card_id: str) -> Card | None:
    return next(iter(Card.raw('SELECT * FROM "card" WHERE "id" = ?', card_id)), None)


def member_with_extras(member_id: str, recall_since: datetime) -> Member | None:
    """The member row with x_due (earliest recall since, of treatments not had again later: a
    treatment repeated replaces its recall), x_plan (active plan) and x_flags (open flags)."""
    sql = ('SELECT m.*, '
           '(SELECT MIN(t."recall_due") FROM "treatment" t WHERE t."member_id" = m."id" AND t."recall_due" >= ? '
           ' AND NOT EXISTS (SELECT 1 FROM "treatment" a WHERE a."member_id" = t."member_id" '
           '  AND a."item_code" = t."item_code" AND a."performed_at" > t."performed_at")) AS x_due, '
           '(SELECT s."plan_code" FROM "membership" s WHERE s."member_id" = m."id" AND s."status" = \'active\' '
           'ORDER BY s."started_at" DESC LIMIT 1) AS x_plan, '
           '(SELECT COUNT(*) FROM "flag" f WHERE f."member_id" = m."id" AND f."resolved_at" IS NULL) AS x_flags '
           'FROM "member" m WHERE m."id" = ?')
    member = next(iter(Member.raw(sql, _stamp(recall_since), member_id)), None)
    if member is not None:
        member.x_due = as_utc(member.x_due)
    return member


def ledger_summary(member_id: str, tier_kinds: tuple[str, ...], tier_since: datetime, day_start: datetime,
                   visit: str, birthday: str) -> tuple:
    """points, stamps, tier points, last visit, visits today, entries today, last birthday bonus, first visit."""
    kinds = ", ".join("?" for _ in tier_kinds)
    sql = ('SELECT COALESCE(SUM("points"), 0), COALESCE(SUM("stamps"), 0), '
           f'COALESCE(SUM(CASE WHEN "kind" IN ({kinds}) AND "created_at" >= ? THEN "points" ELSE 0 END), 0), '
           'MAX(CASE WHEN "kind" = ? THEN "created_at" END), '
           'COALESCE(SUM(CASE WHEN "kind" = ? AND "created_at" >= ? THEN 1 ELSE 0 END), 0), '
           'COALESCE(SUM(CASE WHEN "created_at" >= ? THEN 1 ELSE 0 END), 0), '
           'MAX(CASE WHEN "kind" = ? THEN "created_at" END), '
           'MIN(CASE WHEN "kind" = ? THEN "created_at" END) '
           'FROM "ledger_entry" WHERE "member_id" = ?')
    today = _stamp(day_start)
    row = db.execute_sql(sql, (*tier_kinds, _stamp(tier_since), visit, visit, today, today, birthday, visit,
                               member_id)).fetchone()
    return (int(row[0]), int(row[1]), int(row[2]), as_utc(row[3]), int(row[4]), int(row[5]), as_utc(row[6]),
            as_utc(row[7]))


class SearchRow(NamedTuple):
    """What a search hit shows and is ranked by."""
    id: str
    first_name: str | None
    last_name: str | None
    email: str | None
    phone: str | None
    name_key: str | None
    last_key: str | None
    phone_key: str | None


# Each search column with the index order its range is read in (see migration 0008_search).
SEARCH_ORDER = {"name_key": '"name_key"', "last_key": '"last_key", "name_key"', "email": '"email"',
                "phone_key": '"phone_key"'}


def members_by_prefix(column: str, prefix: str, limit: int) -> list[SearchRow]:
    """The first `limit` members not erased whose `column` starts with `prefix`, in index order.

    A range on the column's index that stops after `limit` rows however many match, returned as
    plain tuples: building peewee models (with their date parsing) cost more than the query.
    """
    order = SEARCH_ORDER[column]
    sql = ('SELECT "id", "first_name", "last_name", "email", "phone", "name_key", "last_key", "phone_key" '
           f'FROM "member" WHERE "{column}" >= ? AND "{column}" < ? AND "erased_at" IS NULL '
           f'ORDER BY {order} LIMIT ?')
    return [SearchRow(*row) for row in db.execute_sql(sql, (prefix, prefix_end(prefix), limit))]


def points_of(member_ids: list[str]) -> dict[str, int]:
    marks = ", ".join("?" for _ in member_ids)
    rows = db.execute_sql(f'SELECT "member_id", SUM("points") FROM "ledger_entry" WHERE "member_id" IN ({marks}) '
                          'GROUP BY "member_id"', member_ids)
    return {member_id: int(total or 0) for member_id, total in rows}


def entries_between(spans: list[tuple[str, str, datetime, datetime]]) -> dict[str, int]:
    """Ledger entries of a member in [start, end), for each (key, member id, start, end), in one
    statement: a count per span through the (member, created_at) index. The alerts screen asks for
    one span per open alert; one query each cost 1.7 s for 1,000 alerts (bench/staff.py)."""
    counts: dict[str, int] = {}
    for first in range(0, len(spans), 500):
        chunk = spans[first:first + 500]
        values = ", ".join("(?, ?, ?, ?)" for _ in chunk)
        sql = (f'WITH span("key", "member_id", "lo", "hi") AS (VALUES {values}) '
               'SELECT s."key", (SELECT COUNT(*) FROM "ledger_entry" e WHERE e."member_id" = s."member_id" '
               'AND e."created_at" >= s."lo" AND e."created_at" < s."hi") FROM span s')
        params = [v for key, member, lo, hi in chunk for v in (key, member, _stamp(lo), _stamp(hi))]
        counts.update(db.execute_sql(sql, params).fetchall())
    return counts
