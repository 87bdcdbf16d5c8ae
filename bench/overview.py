"""HQ's Overview at group scale on PostgreSQL: 10 locations, members and ledger entries generated in SQL.

1. Generate: locations and stations, members (a tenth of the entries), their sign-ups and two years of
   visits, purchases, treatments (with recall dates), redemptions, refunds, birthday points and
   adjustments, some undone, and ratings for some visits: hq_row filled by INSERT ... SELECT over
   generate_series, as merged records, the way pushes leave them (no pushes: 10M of them would take
   hours). Spread is deterministic (multiplicative hashes of the row number), so runs compare.
2. Rebuild the rollups from those rows (`sync.hq.rollups.rebuild`, what an HQ upgrading to the
   rollups runs once), timed.
3. The overview (`sync.hq.overview.overview`, signed in as an owner) for the last 12 months, 12 weeks
   and 4 weeks: wall and CPU time of this process (the numpy work) per call, median of a few runs.
Target (issue 15): 12 months over 10 locations, 1,000,000 members, 10,000,000 entries under 1 s.

`python -m bench.overview [members] [entries] [runs]`; `make bench` runs 100,000 / 1,000,000 (minutes);
`python -m bench.overview 1000000 10000000` the full scale. PostgreSQL: LOYALTY_TEST_PG (make bench
starts it), else scripts/postgres.sh is run here; a database of its own, `loyalty_overview_bench`.
"""
from __future__ import annotations

import sys
import time
from datetime import timedelta

import psycopg
import pyotp

from bench.insights import median_ms
from bench.sync import _pg_url

LOCATIONS = 10
HISTORY_DAYS = 730
# Kinds by (n * 31) % 100 of an entry's number: the share of each, in percent.
KINDS = """CASE WHEN k < 50 THEN 'visit' WHEN k < 72 THEN 'purchase' WHEN k < 82 THEN 'treatment'
               WHEN k < 86 THEN 'redeem' WHEN k < 87 THEN 'refund' WHEN k < 88 THEN 'birthday' ELSE 'adjust' END"""
TREATMENTS = "(ARRAY['botox', 'filler', 'microneedling', 'facial'])[1 + e % 4]"
RECALL_DAYS = ("CASE d ->> 'item_code' WHEN 'botox' THEN 70 WHEN 'filler' THEN 243 WHEN 'microneedling' THEN 28 "
               "ELSE 30 END")
STAMP = "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'"


def _db(url: str) -> str:
    bench = url.replace("/loyalty_test?", "/loyalty_overview_bench?")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS loyalty_overview_bench")
        conn.execute("CREATE DATABASE loyalty_overview_bench")
    return bench


def generate(url: str, members: int, entries: int) -> dict[str, float]:
    """Fill HQ's merged rows in SQL; returns seconds per step."""
    from sync.hq.db import close_hq, open_hq
    open_hq(url)                     # tables, row indexes and empty rollups as a new HQ has them
    close_hq()
    others = max(entries - members, 0)
    member = f"1 + (e::bigint * 2654435761 % {members})"
    created = (f"(now() - ((m * 7919) % {HISTORY_DAYS}) * interval '1 day' "
               f"- ((m * 104729) % 86400) * interval '1 second')")
    steps = {
        "locations and stations": [
            f"INSERT INTO hq_location (id, name, created_at) SELECT 'loc' || g, 'Praxis ' || g, 0 "
            f"FROM generate_series(1, {LOCATIONS}) g",
            f"INSERT INTO hq_device (id, location_id, name, secret, status, enrolled_at) SELECT 'dev' || g, "
            f"'loc' || g, 'Station ' || g, 'x', 'active', 0 FROM generate_series(1, {LOCATIONS}) g"],
        "members": [
            f"INSERT INTO hq_row (tbl, record_id, data, clocks, position) SELECT 'member', 'm' || m, "
            f"json_build_object('id', 'm' || m, 'first_name', 'Vorname' || m, 'last_name', 'Nachname' || m, "
            f"'email', 'm' || m || '@example.org', 'locale', 'de', 'created_at', to_char({created}, {STAMP}), "
            f"'created_device', 'dev' || (1 + m % {LOCATIONS}), 'home_location', 'loc' || (1 + m % {LOCATIONS}), "
            f"'erased_at', CASE WHEN m % 997 = 0 THEN to_char(now(), {STAMP}) END)::text, '{{}}', m "
            f"FROM generate_series(1::bigint, {members}) m"],
        "sign-ups": [
            f"INSERT INTO hq_row (tbl, record_id, data, clocks, position) SELECT 'ledger_entry', 's' || m, "
            f"json_build_object('id', 's' || m, 'member', 'm' || m, 'kind', 'signup', 'points', 50, 'stamps', 0, "
            f"'amount_cents', 0, 'ref', NULL, 'device_id', 'dev' || (1 + m % {LOCATIONS}), 'reason', 'signup', "
            f"'created_at', to_char({created}, {STAMP}), 'config_version', 1)::text, '{{}}', {members} + m "
            f"FROM generate_series(1::bigint, {members}) m"],
        "ledger entries": [
            f"INSERT INTO hq_row (tbl, record_id, data, clocks, position) "
            f"SELECT 'ledger_entry', 'e' || e, json_build_object('id', 'e' || e, 'member', 'm' || m, 'kind', kind, "
            f"'points', CASE kind WHEN 'purchase' THEN amount / 100 WHEN 'redeem' THEN -150 WHEN 'refund' "
            f"THEN -amount / 100 WHEN 'birthday' THEN 50 WHEN 'adjust' THEN e % 41 - 10 ELSE 0 END, "
            f"'stamps', (kind = 'visit')::int, 'amount_cents', CASE kind WHEN 'purchase' THEN amount "
            f"WHEN 'treatment' THEN amount * 3 WHEN 'refund' THEN -amount WHEN 'redeem' THEN (e % 2) * 5000 "
            f"ELSE 0 END, "
            f"'item_code', CASE WHEN kind = 'treatment' THEN {TREATMENTS} END, 'ref', NULL, "
            f"'device_id', 'dev' || (1 + m % {LOCATIONS}), 'reason', kind, 'created_at', to_char(at, {STAMP}), "
            f"'config_version', 1)::text, '{{}}', {2 * members} + e "
            f"FROM (SELECT e, m, {KINDS} AS kind, 1000 + (e * 7) % 19000 AS amount, "
            f"{created} + ((e * 40503) % 10000) / 10000.0 * (now() - {created}) AS at "
            f"FROM (SELECT e, {member} AS m, (e * 31) % 100 AS k FROM generate_series(1::bigint, {others}) e) x) y"],
        "treatments, undos and ratings": [
            "INSERT INTO hq_row (tbl, record_id, data, clocks, position) "
            "SELECT 'treatment', 't' || substr(record_id, 2), json_build_object('id', 't' || substr(record_id, 2), "
            "'member', d ->> 'member', 'item_code', d ->> 'item_code', 'performed_at', d ->> 'created_at', "
            f"'recall_due', to_char((d ->> 'created_at')::timestamptz + {RECALL_DAYS} "
            f"* interval '1 day', {STAMP}), 'entry', record_id, 'device_id', d ->> 'device_id')::text, '{{}}', "
            f"position + {entries} FROM (SELECT record_id, position, data::jsonb AS d FROM hq_row "
            "WHERE tbl = 'ledger_entry' AND data::jsonb ->> 'kind' = 'treatment') t",
            "INSERT INTO hq_row (tbl, record_id, data, clocks, position) "
            "SELECT 'ledger_entry', 'u' || substr(record_id, 2), json_build_object('id', 'u' || substr(record_id, 2), "
            "'member', d ->> 'member', 'kind', 'undo', 'points', -(d ->> 'points')::int, 'stamps', "
            "-(d ->> 'stamps')::int, 'amount_cents', -(d ->> 'amount_cents')::int, 'ref', record_id, "
            "'device_id', d ->> 'device_id', 'reason', 'undo', 'created_at', "
            f"to_char((d ->> 'created_at')::timestamptz + interval '20 seconds', {STAMP}), 'config_version', 1)::text, "
            f"'{{}}', position + 2 * {entries} FROM (SELECT record_id, position, data::jsonb AS d FROM hq_row "
            "WHERE tbl = 'ledger_entry' AND record_id LIKE 'e%' AND position % 3331 = 0) u",
            "INSERT INTO hq_row (tbl, record_id, data, clocks, position) "
            "SELECT 'feedback', 'f' || substr(record_id, 2), json_build_object('id', 'f' || substr(record_id, 2), "
            "'member', d ->> 'member', 'visit_entry', record_id, 'score', position % 11, 'text', NULL, "
            "'reports_problem', false, 'at', d ->> 'created_at', 'device_id', d ->> 'device_id')::text, '{}', "
            f"position + 3 * {entries} FROM (SELECT record_id, position, data::jsonb AS d FROM hq_row "
            "WHERE tbl = 'ledger_entry' AND data::jsonb ->> 'kind' = 'visit' AND position % 13 = 0) f"],
        "analyse": ["ANALYZE"],
    }
    took = {}
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET TIME ZONE 'UTC'")
        for step, statements in steps.items():
            began = time.perf_counter()
            for sql in statements:
                conn.execute(sql)
            took[step] = time.perf_counter() - began
    return took


def rebuild(url: str) -> tuple[float, int]:
    from sync.hq import rollups
    from sync.hq.db import hq_db, open_hq, transaction
    open_hq(url)
    began = time.perf_counter()
    with hq_db.connection_context():
        with transaction():
            counted = rollups.rebuild()
    return time.perf_counter() - began, counted


def timings(url: str, runs: int) -> list[tuple[str, int, float, float]]:
    from sync.hq import admins, overview, rollups
    from sync.hq.db import hq_db
    with hq_db.connection_context():
        secret = "measuring the overview at scale"
        authenticator = admins.create_admin("bench@example.org", "Bench", admins.OWNER, secret)
        token = admins.sign_in("bench@example.org", secret, pyotp.TOTP(authenticator.secret).now(), "bench").token
        today = rollups.today_in(rollups.zone())
    out = []
    for label, days in (("12 months", 365), ("12 weeks", 84), ("4 weeks", 28)):
        def call(days=days):
            with hq_db.connection_context():
                return overview.overview(token, today - timedelta(days=days - 1), today)
        board = call()
        wall, cpu = median_ms(call, runs)
        out.append((label, sum(c.tally.active_end for c in board.locations), wall, cpu))
    return out


def main(members: int = 100_000, entries: int = 1_000_000, runs: int = 3) -> None:
    began = time.perf_counter()
    url = _db(_pg_url()[0])
    took = generate(url, members, entries)
    print(f"generated {members:,} members and {entries:,} ledger entries in SQL: "
          + ", ".join(f"{step} {s:.1f} s" for step, s in took.items()))
    seconds, counted = rebuild(url)
    print(f"rollups rebuilt from the merged rows in {seconds:.1f} s ({counted:,} members)")
    print(f"{'overview, 10 locations':<28} {'active':>9} {'wall ms':>8} {'cpu ms':>7} {'< 1 s':>6}")
    for label, active, wall, cpu in timings(url, runs):
        print(f"{label:<28} {active:>9,} {wall:>8.0f} {cpu:>7.0f} {'yes' if wall < 1000 else 'no':>6}")
    print(f"bench.overview ran {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:4]))
