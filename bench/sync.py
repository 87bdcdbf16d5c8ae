"""Sync throughput and latency against a real PostgreSQL HQ on loopback, in one run.

1. Push and pull throughput: one station pushes N records (default 10,000 ledger entries written
   through the services), a second station pulls and applies them.
2. Idle round cost as HQ's event store grows 10^4 -> 10^6: a station that is up to date does a
   full round (nothing to push, an empty pull). It must stay flat: cost follows what changed.
3. Pruning pushed batches (`hq_batch`): the one-off start-up delete of an old HQ's backlog of
   batches past the replay window, and the per-push delete of one device's old batches with the
   table holding a million other rows. The push path must stay in the low milliseconds.
4. Latency under load: S simulated stations (default 50) each sync every 10 s for a minute, as the
   issue asks, and then with time compressed 20x (every 0.5 s) as a stress line; p50/p95/p99 per
   request. The load stations run as threads of this process, so on a small machine their own
   client work is part of what the stress line measures. The
   stations are up to date when the run starts (their cursor is HQ's head), as stations that
   sync every 10 s are: catching up on a backlog is what the throughput line measures. HQ runs
   `loyalty hq serve` with its default worker count (one process per core, at most 4).
Targets: 10k push + pull < 5 s; idle round < 20 ms; p99 < 100 ms.
PostgreSQL: LOYALTY_TEST_PG (make bench starts it), else scripts/postgres.sh is run here.
"""
from __future__ import annotations

import os
import random
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]


def _pg_url() -> tuple[str, bool]:
    url = os.environ.get("LOYALTY_TEST_PG")
    if url:
        return url, False
    url = subprocess.run([str(ROOT / "scripts" / "postgres.sh"), "start"], check=True, capture_output=True,
                         text=True).stdout.strip()
    return url, True


def _bench_db(url: str, name: str = "loyalty_bench") -> str:
    """A database of its own beside the tests' one (created once), for a benchmark's data."""
    bench = url.replace("/loyalty_test?", f"/{name}?")
    with psycopg.connect(url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f"CREATE DATABASE {name}")
    return bench


def throughput(hq, template, folder: Path, records: int) -> tuple[float, float]:
    from loyalty.services import enroll
    from loyalty.services.members import add_entry
    from loyalty.store import db
    a = template.node(folder, "writer", hq)
    member = enroll("Anna", a.device, email="anna@example.org", consent_program=True, age_confirmed=True).member_id
    with db.atomic():
        for _ in range(records):
            add_entry(member, "adjust", a.manager, points=1, reason="bench")
    b = template.node(folder, "reader", hq)
    from sync.station import sync_round
    a.use()
    client = a.client()
    started = time.perf_counter()
    sync_round(client)
    push_s = time.perf_counter() - started
    b.use()
    client = b.client()
    started = time.perf_counter()
    sync_round(client)
    pull_s = time.perf_counter() - started
    return push_s, pull_s


def idle_round(hq, template, folder: Path, sizes: list[int], rounds: int = 30) -> list[tuple[int, float, float]]:
    from sync.hq.db import hq_db
    from sync.station import sync_round
    node = template.node(folder, "idle", hq)
    results = []
    have = 0
    for size in sizes:
        with hq_db.connection_context():
            hq_db.execute_sql(
                "INSERT INTO hq_event (id, device_id, seq, tbl, record_id, op, hlc, fields, payload, digest, position, "
                "received_at) SELECT 'bench-' || g, 'bench-device', g, 'ledger_entry', 'bench-' || g, 'upsert', "
                "g, NULL, "
                "'{}', 'x', s.position + g - %s::bigint, 0 FROM generate_series(%s::bigint, %s::bigint) g, hq_stream s "
                "WHERE s.id = 1",
                (have, have + 1, size),
            )
            hq_db.execute_sql("UPDATE hq_stream SET position = position + %s::bigint WHERE id = 1", (size - have,))
            hq_db.execute_sql("ANALYZE hq_event")
        have = size
        node.use()
        from loyalty.store.settings import set_setting
        from sync.protocol import make_cursor
        with hq_db.connection_context():
            epoch, position = hq_db.execute_sql("SELECT epoch, position FROM hq_stream WHERE id = 1").fetchone()
        set_setting("hq.cursor", make_cursor(epoch, position))
        client = node.client()
        sync_round(client)
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            sync_round(client)
            times.append((time.perf_counter() - started) * 1000)
        results.append((size, statistics.median(times), sorted(times)[int(0.95 * (len(times) - 1))]))
    return results


def batch_pruning(old_rows: int = 1_000_000, own_batches: tuple[int, ...] = (0, 300, 3000),
                  rounds: int = 50) -> tuple[float, list[tuple[int, float, float]]]:
    """(start-up prune of `old_rows` batches in s, [(the device's recent batches, median ms, p95 ms)])."""
    import time as clock_time

    from sync.hq import service
    from sync.hq.db import hq_db, now, transaction

    def fill(device: str, count: int, at: float, prefix: str) -> None:
        hq_db.execute_sql("INSERT INTO hq_batch (device_id, batch_id, digest, receipts, at) "
                          "SELECT %s || (g %% 500), %s || g, 'd', '[]', %s FROM generate_series(1, %s) g",
                          (device, prefix, at, count))

    old = now() - 3600
    with hq_db.connection_context():
        hq_db.execute_sql("DELETE FROM hq_batch")
        with transaction():
            fill("old-device-", old_rows, old, "old-")
        hq_db.execute_sql("ANALYZE hq_batch")
        started = clock_time.perf_counter()
        with transaction():
            assert service.prune_batches() == old_rows
        startup_s = clock_time.perf_counter() - started
        with transaction():
            fill("other-device-", old_rows, now(), "recent-")     # a busy HQ: many devices' batches in the window
        results = []
        for count in own_batches:
            hq_db.execute_sql("DELETE FROM hq_batch WHERE device_id = 'bench-device'")
            hq_db.execute_sql("INSERT INTO hq_batch (device_id, batch_id, digest, receipts, at) "
                              "SELECT 'bench-device', 'b' || g, 'd', '[]', %s FROM generate_series(1, %s) g",
                              (now(), count))
            hq_db.execute_sql("ANALYZE hq_batch")
            times = []
            for _ in range(rounds):
                started = clock_time.perf_counter()
                with transaction():
                    service.prune_batches("bench-device")
                times.append((clock_time.perf_counter() - started) * 1000)
            results.append((count, statistics.median(times), sorted(times)[int(0.95 * (len(times) - 1))]))
        hq_db.execute_sql("DELETE FROM hq_batch")
    return startup_s, results


def load(hq, stations: int, interval_s: float, duration_s: float, tag: str = "load",
         own_members: bool = False) -> tuple[dict[str, tuple], int]:
    """Simulated stations: enrolled devices pushing 1-3 ledger entries and pulling, every interval.
    `tag` names the run's devices, so several runs can share one HQ. All stations write to one member
    (the worst case: HQ keeps a member's rollups under the member's lock, so their pushes take turns),
    or with `own_members` each to ten of its own, as stations of a group do."""
    import uuid

    from sync.client import HqClient
    from sync.protocol import Event, PullRequest, PushRequest, batch_id
    member_device = HqClient(hq.url).enrol(hq.code(), f"{tag}-member")
    owner = HqClient(hq.url, f"{tag}-member", member_device.secret)
    member_ids = [f"{tag}-member-{k}" for k in range(stations * 10 if own_members else 1)]
    members = [Event(id=str(uuid.uuid4()), device_id=f"{tag}-member", seq=k + 1, table="member", record_id=member_id,
                     op="upsert", hlc=k + 1, payload={"id": member_id, "first_name": "Last", "locale": "de",
                                                      "created_at": "2026-01-01T00:00:00.000000Z",
                                                      "created_device": f"{tag}-member"})
               for k, member_id in enumerate(member_ids)]
    for start in range(0, len(members), 200):
        owner.push(PushRequest(batch_id=f"{tag}-member-{start}", events=members[start:start + 200]))
    clients = []
    for i in range(stations):
        answer = HqClient(hq.url).enrol(hq.code(), f"{tag}-{i}")
        clients.append(HqClient(hq.url, f"{tag}-{i}", answer.secret))
    from sync.hq.db import hq_db
    from sync.protocol import make_cursor
    with hq_db.connection_context():
        head = make_cursor(*hq_db.execute_sql("SELECT epoch, position FROM hq_stream WHERE id = 1").fetchone())
    pushes, pulls, errors, lock = [], [], [0], threading.Lock()
    stop_at = time.monotonic() + duration_s

    def station(client: HqClient, seed: int) -> None:
        rng = random.Random(seed)
        mine = member_ids[seed * 10:seed * 10 + 10] if own_members else member_ids
        cursor, seq = head, 0
        time.sleep(rng.uniform(0, interval_s))
        while time.monotonic() < stop_at:
            events = []
            for _ in range(rng.randint(1, 3)):
                seq += 1
                entry = str(uuid.uuid4())
                events.append(Event(id=entry, device_id=client.device_id, seq=seq, table="ledger_entry",
                                    record_id=entry, op="upsert", hlc=seq,
                                    payload={"id": entry, "member": rng.choice(mine), "kind": "earn", "points": 5,
                                             "device_id": client.device_id, "reason": "",
                                             "created_at": "2026-01-01T00:00:00.000000Z"}))
            try:
                started = time.perf_counter()
                client.push(PushRequest(batch_id=batch_id([e.id for e in events]), events=events))
                pushed = time.perf_counter()
                page = client.pull(PullRequest(cursor=cursor, limit=500))
                done = time.perf_counter()
                cursor = page.cursor
                with lock:
                    pushes.append((pushed - started) * 1000)
                    pulls.append((done - pushed) * 1000)
            except Exception:
                with lock:
                    errors[0] += 1
            time.sleep(max(0.0, interval_s * rng.uniform(0.9, 1.1)))

    threads = [threading.Thread(target=station, args=(c, i)) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"push": _percentiles(pushes), "pull": _percentiles(pulls), "all": _percentiles(pushes + pulls)}, errors[0]


def _percentiles(latencies: list[float]) -> tuple[int, float, float, float]:
    """(count, p50, p95, p99) in ms."""
    latencies = sorted(latencies)
    return len(latencies), *(latencies[int(q * (len(latencies) - 1))] for q in (0.5, 0.95, 0.99))


def main(records: int = 10_000, sizes: tuple[int, ...] = (10_000, 100_000, 1_000_000), stations: int = 50,
         runs: tuple[tuple[float, float, bool], ...] = ((1.0, 60.0, False), (20.0, 20.0, False), (20.0, 20.0, True)),
         workers: int | None = None) -> None:
    """`runs`: (time compression, seconds, each station its own members) of each latency run."""
    from loyalty import clock
    from sync.cli import DEFAULT_WORKERS
    from tests.sync.hq_harness import Hq, Template, reset_hq_tables
    url, started = _pg_url()
    folder = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    try:
        db_url = _bench_db(url)
        reset_hq_tables(db_url)
        hq = Hq(db_url, folder, workers=workers or DEFAULT_WORKERS)
        try:
            template = Template.build(folder / "template")
            push_s, pull_s = throughput(hq, template, folder, records)
            clock.set_source(None)
            idle = idle_round(hq, template, folder, list(sizes))
            startup_prune_s, prunes = batch_pruning()
            latencies = [(compression, own, *load(hq, stations, 10.0 / compression, seconds,
                                                  f"load{compression:g}x{'own' if own else ''}", own))
                         for compression, seconds, own in runs]
        finally:
            hq.stop()
    finally:
        if started:
            subprocess.run([str(ROOT / "scripts" / "postgres.sh"), "stop"], check=False)
    print(f"{'measure':<52} {'value':>12}  target")
    print(f"{f'push {records} records (records/s)':<52} {records / push_s:>12,.0f}")
    print(f"{f'pull + apply {records} records (records/s)':<52} {records / pull_s:>12,.0f}")
    print(f"{f'push + pull {records} records (s)':<52} {push_s + pull_s:>12.2f}  < 5 s")
    for size, median, p95 in idle:
        print(f"{f'idle round, HQ holds {size:,} events: median / p95 (ms)':<52} {median:>6.1f} /{p95:>5.1f}  < 20 ms")
    print(f"{'start-up prune of 1,000,000 old batches (s)':<52} {startup_prune_s:>12.2f}")
    for count, median, p95 in prunes:
        print(f"{f'prune on push, device holds {count:,} batches: med/p95 (ms)':<52} {median:>6.2f} /{p95:>5.2f}")
    for compression, own, latency, errors in latencies:
        pace = "every 10 s" if compression == 1 else f"every {10 / compression:g} s (stress, {compression:g}x)"
        whose = "each its own 10 members" if own else "all to one member"
        print(f"{f'{stations} stations {pace}, {whose}, {hq.servers[0].workers} HQ workers':<52}")
        for name, (count, p50, p95, p99) in latency.items():
            print(f"{f'  {name} ({count} requests): p50 / p95 / p99 (ms)':<52} {p50:>5.0f} /{p95:>4.0f} /{p99:>5.0f}"
                  + ("  p99 < 100 ms" if compression == 1 else ""))
        print(f"{'  failed rounds':<52} {errors:>12}")


if __name__ == "__main__":
    main()
