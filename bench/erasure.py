"""What GDPR erasure costs at HQ (PostgreSQL), as HQ's merged rows grow 10^4 -> 10^6, in one run.

1. An erasure: finding the member's records (a text search over hq_row) and scrubbing their rows
   and events, in one transaction, as the push that brings the erase event does it.
2. The check every push now makes: are any of the batch's members erased already (one indexed
   lookup); measured for a batch of 500 ledger entries of 500 members.
PostgreSQL: LOYALTY_TEST_PG (make bench starts it), else scripts/postgres.sh is run here.
"""
from __future__ import annotations

import itertools
import json
import statistics
import subprocess
import time
import uuid

from bench.sync import ROOT, _bench_db, _pg_url

_POSITIONS = itertools.count(1)    # below the stream's positions, so the bench events never collide


def _fill(size: int, have: int) -> None:
    from sync.hq.db import hq_db
    hq_db.execute_sql(
        "INSERT INTO hq_row (tbl, record_id, data, clocks, position) SELECT 'ledger_entry', 'bench-' || g, "
        "'{\"id\": \"bench-' || g || '\", \"member\": \"other-' || (g %% 5000) || '\", \"points\": 5, "
        "\"reason\": \"\"}', '{}', g FROM generate_series(%s::bigint, %s::bigint) g", (have + 1, size))
    hq_db.execute_sql("ANALYZE hq_row")


def _member_records(member_id: str, entries: int) -> list:
    from sync.protocol import Event
    events = [Event(id=str(uuid.uuid4()), device_id="bench", seq=0, table="member", record_id=member_id,
                    op="upsert", hlc=1, payload={"id": member_id, "first_name": "Zerlinde", "email": "z@example.org"})]
    for _ in range(entries):
        entry = str(uuid.uuid4())
        events.append(Event(id=entry, device_id="bench", seq=0, table="ledger_entry", record_id=entry, op="upsert",
                            hlc=1, payload={"id": entry, "member": member_id, "points": 5, "item_code": "botox",
                                            "reason": "treatment"}))
    return events


def _store(events) -> None:
    from sync.hq.db import Event, Row, now
    for e in events:
        Event.insert(id=e.id, device_id=e.device_id, seq=0, tbl=e.table, record_id=e.record_id, op=e.op, hlc=1,
                     payload=json.dumps(e.payload), digest="x", position=-next(_POSITIONS),
                     received_at=now()).execute()
        Row.insert(tbl=e.table, record_id=e.record_id, data=json.dumps(e.payload), clocks="{}", position=0).execute()


def main(sizes: tuple[int, ...] = (10_000, 100_000, 1_000_000), rounds: int = 5) -> None:
    from sync.hq import erasure
    from sync.hq.db import hq_db, open_hq, transaction
    from sync.protocol import ACCEPTED, Event, Receipt
    from tests.sync.hq_harness import reset_hq_tables
    url, started = _pg_url()
    results = []
    try:
        db_url = _bench_db(url)
        reset_hq_tables(db_url)
        open_hq(db_url)
        have = 0
        with hq_db.connection_context():
            for size in sizes:
                _fill(size, have)
                have = size
                erase_ms = []
                for _ in range(rounds):
                    member_id = str(uuid.uuid4())
                    with transaction():
                        _store(_member_records(member_id, 20))
                    erase = Event(id=str(uuid.uuid4()), device_id="bench", seq=0, table="member",
                                  record_id=member_id, op="erase", hlc=2, payload={"id": member_id})
                    begun = time.perf_counter()
                    with transaction():
                        erasure.scrub_pushed([erase], [Receipt(id=erase.id, status=ACCEPTED)])
                    erase_ms.append((time.perf_counter() - begun) * 1000)
                batch = [Event(id=str(uuid.uuid4()), device_id="bench", seq=0, table="ledger_entry",
                               record_id=str(i), op="upsert", hlc=1, payload={"id": str(i), "member": f"m-{i}"})
                         for i in range(500)]
                receipts = [Receipt(id=e.id, status=ACCEPTED) for e in batch]
                check_ms = []
                for _ in range(rounds * 4):
                    begun = time.perf_counter()
                    with transaction():
                        erasure.scrub_pushed(batch, receipts)
                    check_ms.append((time.perf_counter() - begun) * 1000)
                results.append((size, statistics.median(erase_ms), max(erase_ms), statistics.median(check_ms)))
    finally:
        if started:
            subprocess.run([str(ROOT / "scripts" / "postgres.sh"), "stop"], check=False)
    print(f"{'HQ rows':>10} {'erasure median (ms)':>20} {'erasure max (ms)':>17} {'push check, 500 events (ms)':>28}")
    for size, median, worst, check in results:
        print(f"{size:>10,} {median:>20.1f} {worst:>17.1f} {check:>28.2f}")


if __name__ == "__main__":
    main()
