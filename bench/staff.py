"""Staff app at scale: search-as-you-type latency and dashboard load time.

Builds a temporary station database with `--members` members (default 100,000) and `--entries`
ledger entries (default 1,000,000; visits, purchases, treatments, redemptions over two years),
bulk-inserted in one transaction, then times the same service calls the staff app makes: one
`search()` per keystroke while a name, an e-mail and a phone number are typed, and
`insights.dashboard()` for 4, 12 and 52 weeks (cold: first call; warm: repeated).
Targets (issue 4): search results under 100 ms after a keystroke, dashboard under 1 s.
"""
from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from loyalty import clock
from loyalty.contacts import fold
from loyalty.program import ASSETS
from loyalty.services import context, init_station, search
from loyalty.store import close_database, db, open_database, refill_summaries

FIRST = ["Anna", "Lukas", "Sophie", "Jonas", "Marie", "Leon", "Emma", "Paul", "Mia", "Felix", "Lea", "Ben",
         "Hanna", "Elias", "Lina", "Noah", "Clara", "Finn", "Greta", "Jakob", "Ida", "Emil", "Frieda", "Anton"]
LAST = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann",
        "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann",
        "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt", "Werner", "Krause", "Meier", "Lehmann"]
FMT = "%Y-%m-%dT%H:%M:%S.%fZ"
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)


def build(path: Path, members: int, entries: int, seed: int = 4) -> list[tuple[str, str, str]]:
    """Bulk-insert members and ledger entries; returns (name, e-mail, phone) of a few members to type."""
    rng = random.Random(seed)
    open_database(path)
    init_station(ASSETS / "programs" / "clinic-de.toml", "Bench", "2468")
    device = context.device_id()
    member_rows, ids = [], []
    for i in range(members):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        mid = f"m{i:08d}"
        phone = f"+4917{rng.randrange(10**8, 10**9)}"
        created = NOW - timedelta(days=rng.randrange(0, 730), minutes=rng.randrange(1440))
        member_rows.append((mid, first, last, fold(f"{first} {last}"), fold(last),
                            f"{fold(first)}.{fold(last)}.{i}@example.org", phone, phone[1:], "de",
                            created.strftime(FMT), device))
        ids.append((mid, created))
    kinds = ["visit"] * 6 + ["purchase"] * 2 + ["treatment", "redeem"]
    db.execute_sql("PRAGMA synchronous = OFF")   # a throw-away database: no fsync while filling it
    triggers = list(db.execute_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                   "AND tbl_name IN ('member', 'ledger_entry')"))
    with db.atomic():
        for name, _ in triggers:   # the member summary is refilled in one pass, not by a trigger per row
            db.execute_sql(f'DROP TRIGGER "{name}"')
        for start in range(0, len(member_rows), 5000):
            db.execute_sql(
                "INSERT INTO member (id, first_name, last_name, name_key, last_key, email, phone, phone_key, locale, "
                "created_at, created_device) VALUES " + ",".join(["(?,?,?,?,?,?,?,?,?,?,?)"] * len(member_rows[start:start + 5000])),
                [v for row in member_rows[start:start + 5000] for v in row])
        batch = []
        for n in range(entries):
            mid, created = ids[rng.randrange(members)]
            at = created + timedelta(minutes=rng.randrange(max(1, int((NOW - created).total_seconds() // 60))))
            kind = rng.choice(kinds)
            points = {"visit": 0, "purchase": rng.randrange(10, 300), "treatment": 0, "redeem": -150}[kind]
            amount = {"visit": 0, "purchase": points * 100, "treatment": 35000, "redeem": 0}[kind]
            batch.append((f"e{n:09d}", mid, kind, points, 1 if kind == "visit" else 0, amount,
                          "botox" if kind == "treatment" else None, "lounge" if kind == "redeem" else None,
                          device, at.strftime(FMT)))
            if len(batch) == 5000:
                _insert_entries(batch)
                batch = []
        if batch:
            _insert_entries(batch)
        for _, sql in triggers:
            db.execute_sql(sql)
        refill_summaries(db)
    db.execute_sql("ANALYZE")
    picks = [member_rows[i] for i in (7, members // 2, members - 3)]
    return [(f"{r[1]} {r[2]}", r[5], "0" + r[6][3:]) for r in picks]


def _insert_entries(batch: list[tuple]) -> None:
    db.execute_sql(
        "INSERT INTO ledger_entry (id, member_id, kind, points, stamps, amount_cents, item_code, reward_code, "
        "device_id, reason, created_at, config_version) VALUES "
        + ",".join(["(?,?,?,?,?,?,?,?,?,'',?,1)"] * len(batch)), [v for row in batch for v in row])


def time_ms(call, repeat: int = 1) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        out.append((time.perf_counter() - started) * 1000)
    return out


def typed(text: str) -> list[str]:
    return [text[:n] for n in range(2, len(text) + 1)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    from loyalty.services import insights
    clock.set_source(lambda: NOW)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            people = build(Path(tmp) / "bench.db", args.members, args.entries)
            print(f"built {args.members:,} members and {args.entries:,} ledger entries in "
                  f"{time.perf_counter() - started:.1f} s")
            print(f"{'search as you type':<34} {'keystrokes':>10} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}")
            for label, index in (("name", 0), ("e-mail", 1), ("phone", 2)):
                samples = []
                for person in people:
                    for prefix in typed(person[index]):
                        samples += time_ms(lambda: search(prefix))
                samples.sort()
                p95 = samples[int(len(samples) * 0.95) - 1]
                print(f"{'  by ' + label:<34} {len(samples):>10} {statistics.median(samples):>10.1f} "
                      f"{p95:>8.1f} {max(samples):>8.1f}")
            print(f"{'dashboard':<34} {'period':>10} {'cold ms':>10} {'warm ms':>8}")
            end = NOW.date()
            for weeks in (4, 12, 52):
                start = end - timedelta(days=weeks * 7 - 1)
                cold = time_ms(lambda: insights.dashboard(start, end))[0]
                warm = statistics.median(time_ms(lambda: insights.dashboard(start, end), repeat=3))
                print(f"{'  insights.dashboard':<34} {str(weeks) + ' weeks':>10} {cold:>10.0f} {warm:>8.0f}")
            print("targets: search < 100 ms per keystroke, dashboard < 1000 ms")
            close_database()
    finally:
        clock.set_source(None)


if __name__ == "__main__":
    main()
