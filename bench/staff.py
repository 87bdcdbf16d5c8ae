"""Staff app at scale: search-as-you-type latency and dashboard load time.

Builds a temporary station database with `--members` members (default 100,000) and `--entries`
ledger entries (default 1,000,000; visits, purchases, treatments, redemptions over two years),
bulk-inserted in one transaction, then times the same service calls the staff app makes: one
`search()` per keystroke while first names, last names, full names, e-mails and phone numbers of
40 members are typed, from the first key on; every two-letter pair "aa" to "zz" (the short
prefixes that match thousands of members); and texts that match nothing. Per kind of query:
p50/p95/p99/max wall-clock and p99 CPU time (the machine may be shared). Then
`insights.dashboard()` for 4, 12 and 52 weeks (cold: first call; warm: repeated). Last the
manager's alerts screen (`flags.open_flags()`, with each alert's figures) and a member page's
alerts (`flags.member_flags()`) with 20, 200 and 1,000 open alerts on random members.
Targets (issue 4): search results under 100 ms after a keystroke, dashboard under 1 s.
"""
from __future__ import annotations

import argparse
import math
import random
import statistics
import string
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from loyalty import clock
from loyalty.contacts import fold
from loyalty.program import ASSETS
from loyalty.services import device_id, init_station, search
from loyalty.store import close_database, db, open_database, refill_summaries

FIRST = ["Anna", "Lukas", "Sophie", "Jonas", "Marie", "Leon", "Emma", "Paul", "Mia", "Felix", "Lea", "Ben",
         "Hanna", "Elias", "Lina", "Noah", "Clara", "Finn", "Greta", "Jakob", "Ida", "Emil", "Frieda", "Anton"]
LAST = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann",
        "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann",
        "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt", "Werner", "Krause", "Meier", "Lehmann"]
FMT = "%Y-%m-%dT%H:%M:%S.%fZ"
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)


def build(path: Path, members: int, entries: int, seed: int = 4) -> list[tuple[str, str, str, str]]:
    """Bulk-insert members and ledger entries; returns (first, last, e-mail, phone) of 40 members to type."""
    rng = random.Random(seed)
    open_database(path)
    init_station(ASSETS / "programs" / "clinic-de.toml", "Bench", "2468")
    device = device_id()
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
                "created_at, created_device) VALUES "
                + ",".join(["(?,?,?,?,?,?,?,?,?,?,?)"] * len(member_rows[start : start + 5000])),
                [v for row in member_rows[start : start + 5000] for v in row],
            )
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
    picks = [member_rows[i] for i in sorted(rng.sample(range(members), min(40, members)))]
    return [(r[1], r[2], r[5], "0" + r[6][3:]) for r in picks]


def _insert_entries(batch: list[tuple]) -> None:
    db.execute_sql(
        "INSERT INTO ledger_entry (id, member_id, kind, points, stamps, amount_cents, item_code, reward_code, "
        "device_id, reason, created_at, config_version) VALUES "
        + ",".join(["(?,?,?,?,?,?,?,?,?,'',?,1)"] * len(batch)), [v for row in batch for v in row])


def alerts(members: int, seed: int = 12) -> None:
    """Open alerts on random members, added in steps; the alerts screen and a member page read them."""
    from loyalty.services import Actor, flags
    from loyalty.store import Staff
    rng = random.Random(seed)
    manager = Actor(device_id(), *Staff.select(Staff.id, Staff.role, Staff.name).where(Staff.role == "manager")
                    .tuples().get())
    print(f"{'alerts':<34} {'open':>10} {'list ms':>10} {'member ms':>9}")
    made = 0
    for target in (20, 200, 1000):
        rows = [(f"f{n:07d}", f"m{rng.randrange(members):08d}", rng.choice(("negative_balance", "many_transactions")),
                 (NOW - timedelta(days=rng.randrange(30))).strftime(FMT)) for n in range(made, target)]
        with db.atomic():
            db.execute_sql('INSERT INTO flag (id, member_id, kind, detail, at) VALUES '
                           + ",".join(["(?,?,?,'',?)"] * len(rows)), [v for row in rows for v in row])
        made = target
        listed = statistics.median(time_ms(lambda: flags.open_flags(manager, limit=1000), repeat=3))
        one = statistics.median(time_ms(lambda member=rows[0][1]: flags.member_flags(member), repeat=3))
        print(f"{'  flags.open_flags / member_flags':<34} {target:>10,} {listed:>10.0f} {one:>9.1f}")


def time_ms(call, repeat: int = 1) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        out.append((time.perf_counter() - started) * 1000)
    return out


def typed(text: str, first: int = 1) -> list[str]:
    """Each keystroke's text, from the `first`-th key on."""
    return [text[:n] for n in range(first, len(text) + 1)]


def search_texts(people: list[tuple[str, str, str, str]]) -> dict[str, list[str]]:
    """What a receptionist types, by kind of query; phone numbers in the national form, '0171 ...'."""
    def phone(number: str) -> str:
        return f"{number[:4]} {number[4:]}"
    return {
        "1 letter (first key of any kind)": [p[k][0] for p in people for k in (0, 1, 2)],
        "2 letters, every pair aa..zz": [a + b for a in string.ascii_lowercase for b in string.ascii_lowercase],
        "first name, 2+ letters": [t for p in people for t in typed(p[0], 2)],
        "last name, 2+ letters": [t for p in people for t in typed(p[1], 2)],
        "full name, 'Anna M...'": [t for p in people for t in typed(f"{p[0]} {p[1]}", len(p[0]) + 2)],
        "e-mail, 2+ letters": [t for p in people for t in typed(p[2], 2)],
        "phone '0171 ...', 2+ digits": [t for p in people for t in typed(phone(p[3]), 2)],
        "no match": [f"zq{a}{b}" for a in "xyz" for b in string.ascii_lowercase],
    }


def timed(texts: list[str]) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds of one `search()` per text, each sorted."""
    wall, cpu = [], []
    for text in texts:
        started, used = time.perf_counter(), time.process_time()
        search(text)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - used) * 1000)
    return sorted(wall), sorted(cpu)


def percentile(ordered: list[float], share: float) -> float:
    """Nearest rank: the smallest value at or above `share` of the samples."""
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


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
            print(f"{'search as you type':<34} {'n':>5} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7} "
                  f"{'cpu p99':>7}")
            for label, texts in search_texts(people).items():
                wall, cpu = timed(texts)
                print(f"{'  ' + label:<34} {len(wall):>5} {percentile(wall, .5):>7.2f} {percentile(wall, .95):>7.2f} "
                      f"{percentile(wall, .99):>7.2f} {wall[-1]:>7.2f} {percentile(cpu, .99):>7.2f}")
            print(f"{'dashboard':<34} {'period':>10} {'cold ms':>10} {'warm ms':>8}")
            end = NOW.date()
            for weeks in (4, 12, 52):
                start = end - timedelta(days=weeks * 7 - 1)
                def load(start=start):
                    return insights.dashboard(start, end)
                cold = time_ms(load)[0]
                warm = statistics.median(time_ms(load, repeat=3))
                print(f"{'  insights.dashboard':<34} {str(weeks) + ' weeks':>10} {cold:>10.0f} {warm:>8.0f}")
            alerts(args.members)
            print("targets: search < 100 ms per keystroke, dashboard < 1000 ms")
            close_database()
    finally:
        clock.set_source(None)


if __name__ == "__main__":
    main()
