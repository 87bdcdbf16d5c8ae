"""The daily scheduling pass (plan_messages over every trigger) for many members.

Members, consents, two years of visits and purchases, treatments and birthdays are bulk-inserted
into a fresh SQLite file; then the pass runs twice at 10:00 Berlin: the first plans the day's
messages, the second must plan nothing (idempotent) and shows the cost of a repeated pass.
`python -m bench.retention [members]` (default 100,000; target under 10 s for the pass).
"""
from __future__ import annotations

import random
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from loyalty import clock
from loyalty.program import DEFAULT_PROGRAM
from loyalty.services.context import current_program
from loyalty.services.messages import TRIGGERS, plan_messages
from loyalty.services.station import init_station
from loyalty.store import close_database, db, open_database
from loyalty.store.fields import UtcDateTimeField
from loyalty.store.models import Message
from loyalty.store.settings import device_id

NOW = datetime(2026, 6, 15, 8, 0, tzinfo=timezone.utc)   # 10:00 in Berlin
_ts = UtcDateTimeField().db_value


def populate(members: int, seed: int = 6) -> dict[str, int]:
    """Bulk insert: every member with e-mail, program consent, most with care and marketing."""
    rng = random.Random(seed)
    device = device_id()
    items = [code for code, item in current_program().catalogue.items() if item.recall_days]
    rows = {"member": [], "consent_event": [], "ledger_entry": [], "treatment": []}
    serial = iter(range(10 ** 9))

    def new_id() -> str:   # sortable, unique, cheaper than UUIDv7 for a million rows
        return f"b{next(serial):012d}"

    for n in range(members):
        member = new_id()
        joined = NOW - timedelta(days=rng.randint(0, 730), minutes=rng.randint(0, 600))
        birthday = (rng.randint(1, 28), rng.randint(1, 12)) if rng.random() < 0.6 else (None, None)
        rows["member"].append((member, f"Member{n}", f"member{n}@example.org", *birthday,
                               _ts(joined) if birthday[0] else None, "de", _ts(joined), device))
        for purpose, share in (("program", 1.0), ("care", 0.7), ("marketing", 0.5)):
            if rng.random() < share:
                rows["consent_event"].append((new_id(), member, purpose, 1, _ts(joined), device, "kiosk"))
        rows["ledger_entry"].append((new_id(), member, "signup", 50, 0, 0, None, device, _ts(joined)))
        for _ in range(rng.randint(0, 6)):
            at = joined + (NOW - joined) * rng.random()
            rows["ledger_entry"].append((new_id(), member, "visit", 0, 1, 0, None, device, _ts(at)))
            if rng.random() < 0.5:
                cents = rng.randint(2000, 30000)
                rows["ledger_entry"].append((new_id(), member, "purchase", cents // 100, 0, cents, "serum",
                                             device, _ts(at)))
        if items and rng.random() < 0.3:
            item = rng.choice(items)
            at = NOW - timedelta(days=rng.randint(0, 300), hours=rng.randint(0, 8))
            due = at + timedelta(days=current_program().catalogue[item].recall_days)
            entry = new_id()
            rows["ledger_entry"].append((entry, member, "treatment", 0, 0, 0, item, device, _ts(at)))
            rows["treatment"].append((new_id(), member, item, _ts(at), _ts(due), entry, device))
    sql = {
        "member": 'INSERT INTO member (id, first_name, email, birthday_day, birthday_month, birthday_set_at, '
                  'locale, created_at, created_device) VALUES (?,?,?,?,?,?,?,?,?)',
        "consent_event": 'INSERT INTO consent_event (id, member_id, purpose, granted, at, device_id, source) '
                         'VALUES (?,?,?,?,?,?,?)',
        "ledger_entry": 'INSERT INTO ledger_entry (id, member_id, kind, points, stamps, amount_cents, item_code, '
                        'device_id, reason, created_at, config_version) VALUES (?,?,?,?,?,?,?,?,\'\',?,1)',
        "treatment": 'INSERT INTO treatment (id, member_id, item_code, performed_at, recall_due, entry, device_id) '
                     'VALUES (?,?,?,?,?,?,?)',
    }
    with db.atomic():
        for table, values in rows.items():
            db.connection().executemany(sql[table], values)
    db.execute_sql("ANALYZE")
    return {table: len(values) for table, values in rows.items()}


def main(members: int | None = None) -> None:
    members = members or (int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
    with tempfile.TemporaryDirectory() as tmp:
        open_database(Path(tmp) / "bench.db")
        clock.set_source(lambda: NOW)
        try:
            init_station(DEFAULT_PROGRAM)
            started = time.perf_counter()
            counts = populate(members)
            setup = time.perf_counter() - started
            print(f"{members:,} members, {counts['ledger_entry']:,} ledger entries, "
                  f"{counts['treatment']:,} treatments, {counts['consent_event']:,} consents "
                  f"(bulk insert {setup:.1f} s)")
            print(f"{'pass':<22}{'wall s':>9}{'CPU s':>9}{'planned':>9}")
            for label in ("daily pass", "repeated pass"):
                started, cpu = time.perf_counter(), time.process_time()
                report = plan_messages(NOW)
                print(f"{label:<22}{time.perf_counter() - started:>9.2f}{time.process_time() - cpu:>9.2f}"
                      f"{report.total:>9,}")
            print("by trigger, repeated alone (planned = messages of that trigger):")
            for trigger in TRIGGERS:
                started, cpu = time.perf_counter(), time.process_time()
                plan_messages(NOW, (trigger,))
                planned = Message.select().where(Message.trigger == trigger).count()
                print(f"  {trigger:<20}{time.perf_counter() - started:>9.2f}{time.process_time() - cpu:>9.2f}"
                      f"{planned:>9,}")
            print("target: the daily pass under 10 s for 100,000 members")
        finally:
            clock.set_source(None)
            close_database()


if __name__ == "__main__":
    main()
