"""The patients' app at HQ on PostgreSQL, in one run.

1. Home screen server time: the session check and everything the card screen shows (member, card,
   standing from the ledger, plan, next visit, history) for random members, with 100,000 members
   and 1,000,000 ledger entries in HQ's rows. Target p95 < 300 ms.
2. Sign-in throughput: codes asked for (a code row, the rate-limit counts, the letter rendered) and
   codes checked (the hash compare, a session opened), one after another, per second.
3. Web Push: one message VAPID-signed, encrypted (RFC 8291) and posted to a push service on
   loopback, p50 / p95.
4. A phone photo (12 MP JPEG with metadata) made upright, scaled and re-encoded without metadata.
The data lives in its own database (loyalty_app_bench) and is loaded once; a second run reuses it.
PostgreSQL: LOYALTY_TEST_PG (make bench starts it), else scripts/postgres.sh is run here.
"""
from __future__ import annotations

import io
import random
import statistics
import subprocess
import time

from bench.sync import ROOT, _bench_db, _pg_url

MEMBERS, ENTRIES_EACH = 100_000, 10


def load(members: int = MEMBERS, entries_each: int = ENTRIES_EACH) -> float:
    """Members with cards, ledgers (signup, visits, purchases, a redemption), plans and treatments, as
    stations' payloads in hq_row; the row indexes are built after the load. Returns seconds (0: reused)."""
    from sync.hq.db import _row_indexes, hq_db
    have = hq_db.execute_sql("SELECT count(*) FROM hq_row WHERE tbl = 'ledger_entry'").fetchone()[0]
    if have >= members * entries_each:
        return 0.0
    started = time.perf_counter()
    hq_db.execute_sql("TRUNCATE hq_row")
    for name in _row_indexes():
        hq_db.execute_sql(f"DROP INDEX IF EXISTS {name}")
    stamp = "to_char(timestamp '2025-01-01' + ({}) * interval '1 minute', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
    hq_db.execute_sql(
        "INSERT INTO hq_row (tbl, record_id, data, clocks, position) SELECT 'member', 'm' || g, jsonb_build_object("
        "'id', 'm' || g, 'first_name', 'Name' || g, 'last_name', 'Bench', 'email', 'member' || g || '@example.org', "
        "'phone', NULL, 'locale', 'de', 'created_at', " + stamp.format("mod(g, 500000)") + ", "
        "'created_device', 'bench', 'erased_at', NULL, 'home_location', NULL, 'channel', NULL)::text, '{}', g "
        "FROM generate_series(1, %s) g", (members,))
    hq_db.execute_sql(
        "INSERT INTO hq_row (tbl, record_id, data, clocks, position) SELECT 'card', c, jsonb_build_object("
        "'id', c, 'member', 'm' || g, 'status', 'active', 'issued_at', " + stamp.format("mod(g, 500000)") + ")::text, "
        "'{}', g FROM (SELECT g, translate(upper(substr(md5(g::text), 1, 16)), '0189', 'QRST') AS c "
        "FROM generate_series(1, %s) g) cards", (members,))
    hq_db.execute_sql(
        "INSERT INTO hq_row (tbl, record_id, data, clocks, position) SELECT 'ledger_entry', 'e' || m || '-' || k, "
        "jsonb_build_object('id', 'e' || m || '-' || k, 'member', 'm' || m, "
        "'kind', (ARRAY['signup','visit','purchase','visit','purchase','visit','treatment','visit','redeem','visit'])"
        "[1 + mod(k, 10)], 'points', (ARRAY[50,0,49,0,120,0,350,0,-150,0])[1 + mod(k, 10)], "
        "'stamps', CASE WHEN mod(k, 2) = 1 THEN 1 ELSE 0 END, 'amount_cents', 0, 'item_code', NULL, "
        "'reward_code', CASE WHEN mod(k, 10) = 8 THEN 'lounge' END, 'ref', NULL, 'device_id', 'bench', "
        "'staff_id', NULL, 'reason', '', 'created_at', " + stamp.format("mod(m, 1000) * 700 + k * 40000") + ", "
        "'config_version', 1)::text, "
        "'{}', m * 100 + k FROM generate_series(1, %s) m, generate_series(0, %s) k", (members, entries_each - 1))
    hq_db.execute_sql(
        "INSERT INTO hq_row (tbl, record_id, data, clocks, position) SELECT 'membership', 'p' || g, jsonb_build_object("
        "'id', 'p' || g, 'member', 'm' || g, 'plan_code', 'premium', 'started_at', " + stamp.format("mod(g, 1000)") +
        ", 'status', 'active', 'cancelled_at', NULL)::text, '{}', g FROM generate_series(1, %s, 10) g", (members,))
    hq_db.execute_sql(
        "INSERT INTO hq_row (tbl, record_id, data, clocks, position) SELECT 'treatment', 't' || g, jsonb_build_object("
        "'id', 't' || g, 'member', 'm' || g, 'item_code', 'botox', 'performed_at', " + stamp.format("mod(g, 900000)") +
        ", 'recall_due', " + stamp.format("mod(g, 900000) + 100800") + ", 'entry', NULL, 'device_id', 'bench', "
        "'staff_id', NULL)::text, '{}', g FROM generate_series(1, %s, 3) g", (members,))
    hq_db.execute_sql("ANALYZE hq_row")
    return time.perf_counter() - started


def home_times(samples: int) -> list[float]:
    """ms per home screen: the device's session checked, then the card screen's data."""
    from sync.hq.db import hq_db
    from sync.hq.patients import home, signin
    rng = random.Random(7)
    members = [f"m{rng.randint(1, MEMBERS)}" for _ in range(samples)]
    tokens = {}
    with hq_db.connection_context():
        for member in set(members):
            tokens[member] = signin._session_for({"id": member, "locale": "de"}, "bench", time.time()).token
        home.home(members[0])                                  # parse the program once, as a running HQ has
    times = []
    for member in members:
        started = time.perf_counter()
        with hq_db.connection_context():
            found = signin.session(tokens[member])
            home.home(found.member_id)
        times.append((time.perf_counter() - started) * 1000)
    return times


def signin_rates(count: int, threads: int, first: int) -> tuple[float, float]:
    """(codes asked for per second, codes checked per second), by `threads` callers at once (a
    server process answers several phones at a time); each address and client is a new one."""
    from concurrent.futures import ThreadPoolExecutor

    from sync.hq.db import hq_db
    from sync.hq.patients import signin
    letters = []
    numbers = range(first, first + count)

    def ask(i: int) -> None:
        with hq_db.connection_context():
            signin.request_code(f"member{i}@example.org", f"10.{i // 65536}.{i // 256 % 256}.{i % 256}",
                                "https://hq.example/app/", letters.append, frozenset({"email"}))

    def check(i: int) -> None:
        with hq_db.connection_context():
            signin.verify_code(f"member{i}@example.org", codes[f"member{i}@example.org"],
                               f"11.{i // 65536}.{i // 256 % 256}.{i % 256}", "bench")

    with ThreadPoolExecutor(threads) as pool:
        started = time.perf_counter()
        list(pool.map(ask, numbers))
        asked = time.perf_counter() - started
        codes = {letter.to: letter.rendered.sms.split(": ")[1].split(" ")[0] for letter in letters}
        started = time.perf_counter()
        list(pool.map(check, numbers))
        checked = time.perf_counter() - started
    return count / asked, count / checked


def push_times(count: int) -> list[float]:
    from loyalty.adapters.webpush import WebPush
    from sync.hq.db import hq_db
    from sync.hq.patients.push import PushTarget, vapid_keys
    from tests.patient.push_service import Phone, PushService
    service, phone = PushService(), Phone()
    try:
        with hq_db.connection_context():
            private_pem, _ = vapid_keys()
        pusher = WebPush(private_pem, "mailto:bench@example.org")
        keys = phone.subscription(f"{service.url}/push/bench")["keys"]
        target = PushTarget(f"{service.url}/push/bench", keys["p256dh"], keys["auth"])
        payload = '{"title": "Anna, Ihr Termin ist bestätigt", "body": "Ihr Termin bei Praxis Vital ist bestätigt."}'
        times = []
        for _ in range(count):
            started = time.perf_counter()
            assert pusher(target, payload) == "sent"
            times.append((time.perf_counter() - started) * 1000)
        assert phone.read(service.received[-1])["title"].startswith("Anna")
        return times
    finally:
        service.stop()


def photo_times(count: int) -> list[float]:
    from PIL import Image

    from sync.hq.patients.photos import clean_jpeg
    picture = Image.effect_noise((4032, 3024), 64).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=90, exif=exif)
    data = buffer.getvalue()
    times = []
    for _ in range(count):
        started = time.perf_counter()
        clean_jpeg(data)
        times.append((time.perf_counter() - started) * 1000)
    return times


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[int(q * (len(ordered) - 1))]


def main(samples: int = 500, codes: int = 500, pushes: int = 200, photos: int = 5) -> None:
    from sync.hq.db import AppCode, AppFailure, AppSession, close_hq, hq_db, open_hq
    url, started = _pg_url()
    try:
        db_url = _bench_db(url, "loyalty_app_bench")
        open_hq(db_url)
        with hq_db.connection_context():
            loaded = load()
            open_hq(db_url)                                   # builds the row indexes after the load
            for model in (AppCode, AppFailure, AppSession):
                model.delete().execute()
            from sync.hq import service
            from sync.hq.db import Config
            if not Config.select().exists():
                service.publish_config((ROOT / "assets" / "programs" / "clinic-de.toml").read_text(encoding="utf-8"))
            rows = hq_db.execute_sql("SELECT count(*) FROM hq_row").fetchone()[0]
        times = home_times(samples)
        rates = [(threads, *signin_rates(codes, threads, 1 + n * codes)) for n, threads in enumerate((1, 4))]
        pushed = push_times(pushes)
        cleaned = photo_times(photos)
        close_hq()
    finally:
        if started:
            subprocess.run([str(ROOT / "scripts" / "postgres.sh"), "stop"], check=False)
    print(f"{'measure':<62} {'value':>14}  target")
    print(f"{'HQ rows (100,000 members, 1,000,000 ledger entries, ...)':<62} {rows:>14,}")
    print(f"{'load (s; 0: the database of an earlier run)':<62} {loaded:>14.1f}")
    print(f"{f'home screen server time, {samples} members: p50 / p95 (ms)':<62} "
          f"{_p(times, 0.5):>6.1f} /{_p(times, 0.95):>6.1f}  p95 < 300 ms")
    print(f"{'  mean / max (ms)':<62} {statistics.mean(times):>6.1f} /{max(times):>6.1f}")
    for threads, asked, checked in rates:
        print(f"{f'sign-in codes asked for, {codes} by {threads} callers at once (per s)':<62} {asked:>14.0f}")
        print(f"{f'  codes checked, sessions opened, {threads} at once (per s)':<62} {checked:>14.0f}")
    print(f"{f'web push sent to a loopback push service, {pushes}: p50 / p95 (ms)':<62} "
          f"{_p(pushed, 0.5):>6.1f} /{_p(pushed, 0.95):>6.1f}")
    print(f"{'12 MP phone photo cleaned (upright, 2048 px, no metadata): p50 (ms)':<62} {_p(cleaned, 0.5):>14.0f}")


if __name__ == "__main__":
    main()
