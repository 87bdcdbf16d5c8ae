"""The member summary (migration 0007) and the day rollups (0015) equal a from-scratch computation
over the ledger after any sequence of check-ins, purchases, refunds, redemptions, undos, treatments,
erasures and entries applied by sync from another station (an undo may arrive before the entry it undoes).
The day rollups' definition is loyalty.activity, the one HQ keeps its rollups to."""
from __future__ import annotations

import itertools
from datetime import date, timedelta
from zoneinfo import available_timezones

import peewee as pw
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loyalty import activity, kpis, ledger
from loyalty import clock as clock_module
from loyalty.errors import Refused
from loyalty.services import award_purchase, check_in, enroll, erase_member, record_treatment, redeem, refund, undo
from loyalty.store import Feedback, LedgerEntry, Member, Treatment, db, refill_summaries, rezone, rollup_zone
from loyalty.store.fields import UtcDateTimeField
from loyalty.store.outbox import new_id
from loyalty.tally import SETS, SUMS, unpack
from sync.protocol import Event, PullResponse
from sync.station import apply_page

REVENUE = (ledger.PURCHASE, ledger.TREATMENT, ledger.REFUND)
COLUMNS = ("member_id", "balance", "visits", "first_visit", "second_visit", "prev_visit", "last_visit",
           "revenue_cents")
_ts = UtcDateTimeField().db_value
_seq = itertools.count(1)


def from_scratch() -> list[tuple]:
    """Every member's facts computed in Python from the ledger rows, in the table's column order."""
    entries = list(LedgerEntry.select())
    undone = {e.ref for e in entries if e.kind == ledger.UNDO and e.ref}
    rows = []
    for (member_id,) in Member.select(Member.id).order_by(Member.id).tuples():
        mine = [e for e in entries if e.member_id == member_id]
        live = [e for e in mine if e.id not in undone]
        visits = sorted(_ts(e.created_at) for e in live if e.kind == ledger.VISIT)
        first = visits[0] if visits else None
        rows.append((member_id, sum(e.points for e in mine), len(visits), first,
                     min((v for v in visits if v > first), default=None) if first else None,
                     visits[-2] if len(visits) > 1 else None, visits[-1] if visits else None,
                     sum(e.amount_cents for e in live if e.kind in REVENUE)))
    return rows


DAY_SUMS = [n for n in SUMS if n != "held_delta"]


def shares() -> dict[str, activity.Share]:
    """Every member's share of the day rollups by loyalty.activity, from the rows themselves."""
    numbers = dict(db.execute_sql("SELECT member_id, n FROM member_rollup").fetchall())
    out = {}
    for m in Member.select():
        out[m.id] = activity.share(activity.Records(
            numbers[m.id], m.home_location or f"device:{m.created_device}", m.created_at, m.erased_at is not None,
            tuple(activity.Entry(e.id, e.kind, e.points, e.amount_cents, e.ref, e.created_at)
                  for e in LedgerEntry.select().where(LedgerEntry.member == m.id)),
            tuple((f.at, f.score) for f in Feedback.select().where((Feedback.member == m.id)
                                                                  & Feedback.score.is_null(False))),
            tuple(activity.Treatment(t.item_code, t.performed_at, t.recall_due, t.entry)
                  for t in Treatment.select().where(Treatment.member == m.id))),
            rollup_zone())
    return out


def assert_rollups_exact() -> None:
    expected = shares()
    columns = "member_id, home, created_day, first_day, last_day, erased, balance"
    members = db.execute_sql(f"SELECT {columns} FROM member_rollup ORDER BY member_id").fetchall()
    balances = dict(db.execute_sql("SELECT member_id, SUM(points) FROM ledger_entry GROUP BY 1").fetchall())
    assert members == [(mid, s.home, s.created_day, s.first_day, max(s.visit_days, default=None), int(erased),
                        balances.get(mid, 0))
                       for (mid, s), erased in zip(sorted(expected.items()), _erased_flags(expected))]
    assert db.execute_sql(f"SELECT {columns} FROM member_rollup_fresh ORDER BY member_id").fetchall() == members
    totals: dict[tuple[str, int], dict[str, int]] = {}
    for s in expected.values():
        for day, row in s.sums.items():
            target = totals.setdefault((s.home, day), {})
            for name, value in row.items():
                target[name] = target.get(name, 0) + value
    wanted = sorted((home, day, *(row.get(n, 0) for n in DAY_SUMS)) for (home, day), row in totals.items()
                    if any(row.get(n, 0) for n in DAY_SUMS))
    columns = ", ".join(DAY_SUMS)
    table = db.execute_sql(f"SELECT home, day, {columns} FROM location_day ORDER BY home, day").fetchall()
    assert [r for r in table if any(r[2:])] == wanted
    fresh = db.execute_sql(f"SELECT home, day, {columns} FROM location_day_fresh ORDER BY home, day").fetchall()
    assert [r for r in fresh if any(r[2:])] == wanted
    visit_days = sorted((s.n, d) for s in expected.values() for d in s.visit_days)
    assert db.execute_sql("SELECT n, day FROM member_day WHERE visits > 0 ORDER BY n, day").fetchall() == visit_days
    sets: dict[tuple[str, int, str], list[int]] = {}
    for s in expected.values():
        for kind, days in (("visitors", s.visit_days), ("firsts", [s.first_day] if s.first_day else []),
                           ("enrolled", [s.created_day])):
            for day in days:
                sets.setdefault((s.home, day, kind), []).append(s.n)
    for query in ("SELECT home, day, visitors, firsts, enrolled FROM location_day",
                  "SELECT home, day, visitors, firsts, enrolled FROM location_day_fresh"):
        found = {(home, day, kind): unpack(blob).tolist() for home, day, *blobs in db.execute_sql(query).fetchall()
                 for kind, blob in zip(SETS, blobs) if blob and len(unpack(blob))}
        assert found == {key: sorted(members) for key, members in sets.items()}, query
    assert (db.execute_sql("SELECT * FROM member_day ORDER BY n, day").fetchall()
            == db.execute_sql("SELECT * FROM member_day_fresh ORDER BY n, day").fetchall())
    recalls: dict[tuple, int] = {}
    for s in expected.values():
        for key, count in s.recalls.items():
            recalls[(s.home, *key)] = recalls.get((s.home, *key), 0) + count
    for table in ("treatment_recall", "treatment_recall_fresh"):
        found = db.execute_sql(f"SELECT home, item_code, day, close_day, rebooked, COUNT(*) FROM {table} "
                               "GROUP BY 1, 2, 3, 4, 5").fetchall()
        assert {row[:4] + (bool(row[4]),): row[5] for row in found} == recalls, table


def _erased_flags(expected: dict[str, activity.Share]) -> list[bool]:
    erased = {m for (m,) in Member.select(Member.id).where(Member.erased_at.is_null(False)).tuples()}
    return [mid in erased for mid in sorted(expected)]


def summary_table() -> list[tuple]:
    return list(db.execute_sql(f'SELECT {", ".join(COLUMNS)} FROM member_summary ORDER BY member_id').fetchall())


def assert_summary_exact() -> None:
    expected = from_scratch()
    assert summary_table() == expected
    fresh = db.execute_sql(f'SELECT {", ".join(COLUMNS)} FROM member_summary_fresh ORDER BY member_id').fetchall()
    assert list(fresh) == expected
    assert_rollups_exact()


def pulled(*payloads: dict) -> PullResponse:
    """A page from HQ carrying ledger entries written by another station."""
    n = next(_seq)
    events = [Event(id=new_id(), device_id="other-station", seq=n * 10 + k, table="ledger_entry",
                    record_id=p["id"], op="upsert", hlc=n * 10 + k, payload=p) for k, p in enumerate(payloads)]
    return PullResponse(events=events, cursor=f"c{n}", has_more=False, epoch="e1", server_hlc=n * 10 + 9)


def remote_entry(member_id: str, kind: str, at, *, points: int = 0, stamps: int = 0, amount: int = 0,
                 ref: str | None = None) -> dict:
    return {"id": new_id(), "member": member_id, "kind": kind, "points": points, "stamps": stamps,
            "amount_cents": amount, "item_code": None, "reward_code": None, "ref": ref, "device_id": "other-station",
            "staff_id": None, "reason": kind, "created_at": _ts(at), "config_version": 1}


operations = st.lists(st.one_of(
    st.tuples(st.just("checkin"), st.booleans()),
    st.tuples(st.just("award"), st.integers(100, 40000)),
    st.tuples(st.just("refund"), st.integers(0, 5), st.one_of(st.none(), st.integers(1, 20000))),
    st.tuples(st.just("redeem")),
    st.tuples(st.just("treatment"), st.sampled_from(["botox", "facial", "microneedling"])),
    st.tuples(st.just("undo"), st.integers(0, 6)),
    st.tuples(st.just("remote_visit"), st.integers(-200, 200)),
    st.tuples(st.just("remote_purchase"), st.integers(100, 30000), st.integers(-200, 0)),
    st.tuples(st.just("remote_undo_first"), st.sampled_from([ledger.VISIT, ledger.PURCHASE]), st.booleans()),
    st.tuples(st.just("advance"), st.sampled_from([0.005, 1, 13, 24 * 30])),
    st.tuples(st.just("erase")),
), min_size=1, max_size=14)

_emails = itertools.count()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_summary_equals_the_ledger_after_random_operations(station, clock, ops):
    """Each example adds a member of its own; the whole table is compared after every step."""
    joined = enroll("Prop", station.device, email=f"sum{next(_emails)}@example.org", consent_program=True,
                    age_confirmed=True)
    mid, token = joined.member_id, joined.card_token
    staff = station.receptionist
    for op in ops:
        mine = list(LedgerEntry.select().where(LedgerEntry.member == mid).order_by(LedgerEntry.created_at))
        now = clock_module.now()
        try:
            if op[0] == "checkin":
                check_in(token, staff if op[1] else station.device)
            elif op[0] == "award":
                award_purchase(mid, op[1], staff, item_code="serum")
            elif op[0] == "refund":
                purchases = [e for e in mine if e.kind == ledger.PURCHASE]
                if purchases:
                    refund(purchases[op[1] % len(purchases)].id, staff, amount_cents=op[2])
            elif op[0] == "redeem":
                redeem(mid, "lounge", staff)
            elif op[0] == "treatment":
                record_treatment(mid, op[1], staff)
            elif op[0] == "undo":
                undo(mine[-1 - op[1] % len(mine)].id, staff)
            elif op[0] == "remote_visit":
                apply_page(pulled(remote_entry(mid, ledger.VISIT, now + timedelta(hours=op[1]), stamps=1)))
            elif op[0] == "remote_purchase":
                apply_page(pulled(remote_entry(mid, ledger.PURCHASE, now + timedelta(hours=op[2]),
                                               points=op[1] // 100, amount=op[1])))
            elif op[0] == "remote_undo_first":
                kind, same_page = op[1], op[2]
                original = remote_entry(
                    mid,
                    kind,
                    now - timedelta(hours=3),
                    stamps=int(kind == ledger.VISIT),
                    points=0 if kind == ledger.VISIT else 50,
                    amount=0 if kind == ledger.VISIT else 5000,
                )
                reversal = remote_entry(mid, ledger.UNDO, now - timedelta(hours=2, minutes=59),
                                        points=-original["points"], stamps=-original["stamps"],
                                        amount=-original["amount_cents"], ref=original["id"])
                if same_page:
                    apply_page(pulled(reversal, original))
                else:
                    apply_page(pulled(reversal))
                    apply_page(pulled(original))
            elif op[0] == "advance":
                clock.advance(hours=op[1])
            elif op[0] == "erase":
                erase_member(mid, station.manager)
        except Refused:
            pass
        assert_summary_exact()


def test_an_undone_visit_leaves_the_summary(clock, station):
    desk = station.receptionist
    joined = enroll("Ute", desk, email="ute@example.org", consent_program=True, age_confirmed=True)
    first = clock_module.now()
    check_in(joined.card_token, desk)
    clock.advance(days=1)
    check_in(joined.card_token, desk)
    mistake = LedgerEntry.select().where((LedgerEntry.member == joined.member_id) & (LedgerEntry.kind == "visit")
                                         ).order_by(LedgerEntry.created_at.desc()).get()
    clock.advance(seconds=20)
    undo(mistake.id, desk)
    row = dict(zip(COLUMNS, summary_table()[0]))
    assert (row["visits"], row["first_visit"], row["last_visit"], row["prev_visit"]) == (
        1,
        _ts(first),
        _ts(first),
        None,
    )
    assert row["balance"] == 50
    assert_summary_exact()


def test_erasure_keeps_the_amounts_and_deleting_a_member_drops_the_row(clock, station):
    desk = station.receptionist
    kept = enroll("Vera", desk, email="vera@example.org", consent_program=True, age_confirmed=True)
    gone = enroll("Wim", desk, email="wim@example.org", consent_program=True, age_confirmed=True)
    award_purchase(kept.member_id, 12000, desk, item_code="serum")
    erase_member(kept.member_id, station.manager)
    undo(award_purchase(gone.member_id, 3000, desk, item_code="serum").entry_id, desk)
    check_in(gone.card_token, desk)
    # an undo that came by sync before its entry: the cascade deletes it first and puts the entry back
    original = remote_entry(gone.member_id, ledger.PURCHASE, clock_module.now(), points=20, amount=2000)
    apply_page(pulled(remote_entry(gone.member_id, ledger.UNDO, clock_module.now(), points=-20, amount=-2000,
                                   ref=original["id"])))
    apply_page(pulled(original))
    assert_summary_exact()
    assert dict(zip(COLUMNS, summary_table()[[r[0] for r in summary_table()].index(kept.member_id)])
                )["revenue_cents"] == 12000
    with db.atomic():
        Member.delete().where(Member.id == gone.member_id).execute()
    assert [r[0] for r in summary_table()] == [kept.member_id]
    assert_summary_exact()


def test_refill_rebuilds_the_table_after_a_bulk_load(clock, station):
    desk = station.receptionist
    joined = enroll("Xaver", desk, email="xaver@example.org", consent_program=True, age_confirmed=True)
    check_in(joined.card_token, desk)
    with db.atomic():
        db.execute_sql("DELETE FROM member_summary")
        db.execute_sql("DELETE FROM location_day")
        assert summary_table() == []
        refill_summaries(db)
    assert len(summary_table()) == 1
    assert_summary_exact()


def test_the_sql_day_is_the_local_calendar_day_in_every_time_zone(station):
    """The triggers' local_day() decides a day by the minute; every zone's offset is whole minutes, so it
    agrees with the calendar in every zone, on both sides of each local midnight."""
    days = [date(year, month, 1) for year in (2025, 2026) for month in range(1, 13)]
    previous = rollup_zone()
    try:
        for zone in sorted(available_timezones()):
            with db.atomic():
                rezone(db, zone)
            for day in days:
                midnight = kpis.local_midnight(day, zone)
                for moment in (midnight, midnight - timedelta(microseconds=1)):
                    got = db.execute_sql("SELECT local_day(?)", (_ts(moment),)).fetchone()[0]
                    assert got == kpis.local_date(moment, zone).toordinal(), (zone, moment)
    finally:
        with db.atomic():
            rezone(db, previous)


def test_the_ledger_refuses_changes_to_amounts_but_erasure_may_blank_texts(clock, station):
    desk = station.receptionist
    joined = enroll("Yara", desk, email="yara@example.org", consent_program=True, age_confirmed=True)
    entry = award_purchase(joined.member_id, 5000, desk, item_code="serum").entry_id
    with pytest.raises(pw.IntegrityError, match="append-only"):
        with db.atomic():
            LedgerEntry.update(points=LedgerEntry.points + 1).where(LedgerEntry.id == entry).execute()
    erase_member(joined.member_id, station.manager)
    assert LedgerEntry.get_by_id(entry).item_code is None
    assert LedgerEntry.get_by_id(entry).points == 50
    assert_summary_exact()
