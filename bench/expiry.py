"""Points expiry as the station's scheduler runs it once a day: `python -m bench.expiry`.

The station of bench.core (--members members, --entries ledger entries over the 700 days before
its start), 60 days on: the lots earned more than 24 months ago expire. Times the day's first pass
(which writes the expiries) and a second pass the same day (nothing left to do: what every restart
costs), and check-ins at the kiosk while a pass runs beside them in the scheduler's thread, against
check-ins alone, taking turns.
"""
from __future__ import annotations

import argparse
import random
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

from bench.core import T0, _sample, _stats, build
from loyalty import clock, ledger
from loyalty.services import Actor, check_in, expire_points
from loyalty.store import LedgerEntry, close_database, db


def scheduler_pass(device: Actor, running: threading.Event) -> None:
    """One expiry pass in its own thread and connection, as the station's scheduler runs it."""
    running.set()
    expire_points(device)
    db.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.expiry", description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--ops", type=int, default=600, help="check-ins to time, half of them beside a pass")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        tokens, seconds = build(Path(folder) / "bench.db", args.members, args.entries)
        print(f"built {args.members:,} members, {args.entries:,} ledger entries in {seconds:.1f} s")
        device = Actor(db.execute_sql("SELECT value FROM setting WHERE key='device_id'").fetchone()[0])
        now = [T0 + timedelta(days=60)]
        clock.set_source(lambda: now[0])
        rows = []
        for label in ("first pass of the day (expires)", "second pass the same day"):
            started, used = time.perf_counter(), time.process_time()
            report = expire_points(device)
            rows.append((label, time.perf_counter() - started, time.process_time() - used, report.members,
                         report.points))
        expired = LedgerEntry.select().where(LedgerEntry.kind == ledger.EXPIRE).count()
        rng = random.Random(3)
        visitors = rng.sample(tokens, min(args.ops, len(tokens)))

        def visit(token: str) -> None:
            now[0] += timedelta(seconds=7)
            assert check_in(token, device).status == "checked_in"

        beside, alone = [], []
        for start in range(0, len(visitors), 100):
            batch = visitors[start:start + 100]
            running = threading.Event()
            thread = threading.Thread(target=scheduler_pass, args=(device, running))
            thread.start()
            running.wait()
            beside += [_sample(visit, token) for token in batch[:50] if thread.is_alive()]
            thread.join()
            alone += [_sample(visit, token) for token in batch[50:]]
        clock.set_source(None)
        close_database()
    print(f"{'expiry pass':34} {'wall s':>8} {'cpu s':>8} {'members':>8} {'points':>10}")
    for label, wall, cpu, members, points in rows:
        print(f"{label:34} {wall:>8.2f} {cpu:>8.2f} {members:>8,} {points:>10,}")
    print(f"expiry entries written: {expired:,} (each lot once: a second pass writes none)")
    print(f"{'check-in':34} {'n':>6} {'p50 ms':>8} {'p99 ms':>8} {'cpu p50':>8} {'cpu p99':>8}")
    for label, samples in (("beside an expiry pass", beside), ("alone (turns)", alone)):
        n, p50, p99, cpu50, cpu99 = _stats(samples) if samples else (0, 0, 0, 0, 0)
        print(f"{label:34} {n:>6} {p50:>8.2f} {p99:>8.2f} {cpu50:>8.2f} {cpu99:>8.2f}")


if __name__ == "__main__":
    main()
