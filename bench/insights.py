"""Dashboard and list load times at 100,000 members and 1,000,000 ledger entries (target: under 1 s).

Builds a temporary station database with bulk inserts (one prepared statement per table) (two
years of history: sign-ups, visits, purchases, treatments with recalls, redemptions, refunds, a few
undos, feedback, negative-balance flags), then times the dashboard for the last quarter and every
list, each the median of a few runs. The bulk load runs without indexes and triggers, then builds
them and refills the member summary of migration 0007 once.

`python -m bench.insights [members] [entries] [runs]`
"""
from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from loyalty import clock, ledger
from loyalty.program import ASSETS
from loyalty.services import init_station, insights
from loyalty.store import close_database, db, open_database, refill_summaries
from loyalty.store.fields import UtcDateTimeField

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
HISTORY_DAYS = 730
KIND_WEIGHTS = ((ledger.VISIT, 60), (ledger.PURCHASE, 20), (ledger.TREATMENT, 12), (ledger.REDEEM, 4),
                (ledger.REFUND, 1), (ledger.BIRTHDAY, 1), (ledger.ADJUST, 2))
TREATMENTS = (("botox", 35000, 70), ("filler", 45000, 243), ("microneedling", 18000, 28), ("facial", 8900, 30))


def build(path: Path, members: int, entries: int, seed: int = 11) -> dict[str, int]:
    """Fill a fresh station database at `path`; returns row counts."""
    rng = random.Random(seed)
    open_database(path)
    device = init_station(ASSETS / "programs" / "clinic-de.toml").device_id
    kinds = [k for k, _ in KIND_WEIGHTS]
    weights = [w for _, w in KIND_WEIGHTS]
    counter = iter(range(1, 1 << 62))

    def new_id() -> str:   # unique like a UUIDv7, without its cost per row
        return f"{next(counter):08x}-0000-7000-8000-{rng.getrandbits(48):012x}"

    member_rows, entry_rows, treatment_rows, feedback_rows, flag_rows = [], [], [], [], []
    others_per_member = max(entries - members, 0) / max(members, 1)
    for i in range(members):
        mid = new_id()
        created = NOW - timedelta(seconds=rng.randrange(HISTORY_DAYS * 86400))
        member_rows.append((mid, f"Vorname{i}", f"Nachname{i}", f"vorname{i} nachname{i}", f"nachname{i}",
                            f"m{i}@example.org", rng.randint(1, 28), rng.randint(1, 12), _ts(created), "de",
                            _ts(created), device))
        entry_rows.append((new_id(), mid, ledger.SIGNUP, 50, 0, 0, None, None, device, "signup", _ts(created)))
        count = int(others_per_member) + (rng.random() < others_per_member % 1)
        span = (NOW - created).total_seconds()
        purchases = []
        for _ in range(count):
            at = created + timedelta(seconds=rng.random() * span)
            kind = rng.choices(kinds, weights)[0]
            eid = new_id()
            points = stamps = amount = 0
            item = ref = None
            if kind == ledger.VISIT:
                stamps = 1
            elif kind == ledger.PURCHASE:
                amount = rng.randrange(1000, 20000)
                points = amount // 100
                purchases.append((eid, amount, points))
            elif kind == ledger.TREATMENT:
                item, amount, recall = rng.choice(TREATMENTS)
                treatment_rows.append((new_id(), mid, item, _ts(at), _ts(at + timedelta(days=recall)), eid, device))
            elif kind == ledger.REDEEM:
                points, amount = -rng.choice((150, 300, 500)), rng.choice((0, 5000))
            elif kind == ledger.REFUND and purchases:
                ref, bought, earned = rng.choice(purchases)
                amount, points = -bought, -earned
            elif kind == ledger.BIRTHDAY:
                points = 50
            else:
                kind, points = ledger.ADJUST, rng.randint(-20, 40)
            entry_rows.append((eid, mid, kind, points, stamps, amount, item, ref, device, kind, _ts(at)))
            if kind == ledger.VISIT and rng.random() < 0.08:
                feedback_rows.append((new_id(), mid, eid, rng.choice((10, 10, 9, 9, 8, 7, 6, 3)),
                                      _ts(at + timedelta(hours=1)), device))
        if rng.random() < 0.002:
            flag_rows.append((new_id(), mid, "negative_balance", "balance -20",
                              _ts(NOW - timedelta(days=rng.randint(1, 60)))))
    for victim in rng.sample(range(len(entry_rows)), min(300, len(entry_rows))):
        e = entry_rows[victim]
        entry_rows.append((new_id(), e[1], ledger.UNDO, -e[3], -e[4], -e[5], None, e[0], device, "undo",
                           _ts(_TS.python_value(e[10]) + timedelta(seconds=20))))
    schema = list(db.execute_sql(
        "SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND sql IS NOT NULL "
        "AND tbl_name IN ('member', 'ledger_entry', 'treatment', 'feedback', 'flag')"))
    db.execute_sql("PRAGMA synchronous = OFF")   # a throwaway file: no need to survive a power cut
    with db.atomic():
        # Building an index once is far faster than a million random inserts into it, and the member
        # summary is refilled in one pass instead of by a trigger per row.
        for kind, name, _ in schema:
            db.execute_sql(f'DROP {kind.upper()} "{name}"')
        _insert("member", "id first_name last_name name_key last_key email birthday_day birthday_month "
                "birthday_set_at locale created_at created_device", member_rows)
        _insert("ledger_entry", "id member_id kind points stamps amount_cents item_code ref device_id reason "
                "created_at", entry_rows, config_version=1)
        _insert("treatment", "id member_id item_code performed_at recall_due entry device_id", treatment_rows)
        _insert("feedback", "id member_id visit_entry score at device_id", feedback_rows, reports_problem=0)
        _insert("flag", "id member_id kind detail at", flag_rows)
        for _, _, sql in schema:
            db.execute_sql(sql)
        refill_summaries(db)
    db.execute_sql("PRAGMA synchronous = FULL")
    return {"members": len(member_rows), "ledger entries": len(entry_rows), "treatments": len(treatment_rows),
            "feedback": len(feedback_rows), "flags": len(flag_rows)}


_TS = UtcDateTimeField()


def _ts(moment: datetime) -> str:
    return _TS.db_value(moment)


def _insert(table: str, columns: str, rows: list[tuple], **constant) -> None:
    """Bulk insert through one prepared statement (peewee's insert_many spends minutes building SQL
    text for a million rows); columns named as in the migrations."""
    names = columns.split() + list(constant)
    sql = (f'INSERT INTO "{table}" ({", ".join(chr(34) + n + chr(34) for n in names)}) '
           f'VALUES ({", ".join("?" for _ in names)})')
    extra = tuple(constant.values())
    db.connection().executemany(sql, (row + extra for row in rows))


def median_ms(call, runs: int) -> tuple[float, float]:
    """Median wall-clock and CPU milliseconds: the machine is shared, so CPU time shows the cost of
    the call itself and wall time what a manager waited on this machine today."""
    wall, cpu = [], []
    for _ in range(runs):
        began, began_cpu = time.perf_counter(), time.process_time()
        call()
        wall.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def calls() -> list[tuple[str, object]]:
    today = NOW.date()
    quarter = (today - timedelta(days=90), today)
    return [
        ("dashboard, last 90 days", lambda: insights.dashboard(*quarter)),
        ("dashboard, last 365 days", lambda: insights.dashboard(today - timedelta(days=365), today)),
        ("recall_due(14)", lambda: insights.recall_due(14)),
        ("at_risk()", insights.at_risk),
        ("birthdays_this_month()", insights.birthdays_this_month),
        ("negative_balances()", insights.negative_balances),
        ("segment_counts()", insights.segment_counts),
        ("to_csv(at_risk())", lambda: insights.to_csv(insights.at_risk())),
    ]


def main(members: int = 100_000, entries: int = 1_000_000, runs: int = 2) -> None:
    clock.set_source(lambda: NOW)
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        counts = build(Path(tmp) / "bench.db", members, entries)
        print(f"built in {time.perf_counter() - began:.1f} s: "
              + ", ".join(f"{n:,} {what}" for what, n in counts.items()))
        sizes = {}
        for label, call in calls():
            result = call()
            sizes[label] = len(result) if isinstance(result, (list, str)) else ""
        timed = {label: median_ms(call, runs) for label, call in calls()}
        close_database()
    clock.set_source(None)
    print(f"{'call':<28} {'rows':>7} {'wall ms':>8} {'cpu ms':>7} {'< 1 s':>6}")
    for label, _ in calls():
        wall, cpu = timed[label]
        ok = "yes" if wall < 1000 else ("cpu" if cpu < 1000 else "no")
        print(f"{label:<28} {sizes[label]!s:>7} {wall:>8.0f} {cpu:>7.0f} {ok:>6}")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:4]))
