"""Opening the SQLite database: WAL, foreign keys, FULL sync, busy timeout, migrations."""
from __future__ import annotations

import sqlite3
import tomllib
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import peewee as pw

from loyalty import tally
from loyalty.contacts import fold
from loyalty.private_files import private_database, private_dir

db = pw.SqliteDatabase(None)
ZONE_SETTING = "rollups.timezone"        # the time zone of the day rollups (migration 0015)
DEFAULT_ZONE = "Europe/Berlin"
_zone = [DEFAULT_ZONE]


@db.func("fold", 1, deterministic=True)
def _sql_fold(text: str | None) -> str | None:
    """The search-key folding in SQL, for the triggers of migration 0008: one definition for both."""
    return None if text is None else fold(text)


@db.func("local_day", 1)
def _sql_local_day(stamp: str | None) -> int | None:
    """A stored UTC time's calendar day in the rollups' time zone, as a date ordinal (migration 0015)."""
    return None if stamp is None else _local_day(stamp[:16], _zone[0])


@lru_cache(maxsize=65536)
def _local_day(minute: str, zone: str) -> int:
    """Time zones move by whole minutes, so the minute decides the day."""
    moment = datetime.strptime(minute, "%Y-%m-%dT%H:%M").replace(tzinfo=timezone.utc)
    return moment.astimezone(ZoneInfo(zone)).date().toordinal()


@db.func("set_with", 2)
def _sql_set_with(blob: bytes | None, n: int) -> bytes:
    """A day's member set (loyalty.tally.pack) with member n in it (migration 0015)."""
    return tally.with_member(blob, n)


@db.func("set_without", 2)
def _sql_set_without(blob: bytes | None, n: int) -> bytes | None:
    return tally.without_member(blob, n) or None


@db.aggregate("member_set")
class _MemberSet:
    """The members of a group as one packed set, NULLs left out (the refill of migration 0015)."""

    def __init__(self):
        self.members: list[int] = []

    def step(self, n: int | None) -> None:
        if n is not None:
            self.members.append(n)

    def finalize(self) -> bytes | None:
        return tally.pack(sorted(set(self.members))) if self.members else None


def rollup_zone() -> str:
    return _zone[0]

PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "full",   # an acknowledged stamp survives a power cut (WAL + NORMAL may not)
    "busy_timeout": 10000,   # a writer waits for the sync thread's page (well under a second) instead of failing
    "cache_size": -32000,
    "secure_delete": 1,      # deleted and overwritten values are zeroed on disk (an erasure must not stay in free
                             # pages); Debian compiles SQLite with it on, stock SQLite does not
}


MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def migration_files() -> list[Path]:
    """`NNNN_what.sql`, applied in name order; each is applied once, in one transaction."""
    return sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.sql"))


def write():
    """The one way to open a write transaction: BEGIN IMMEDIATE takes the writer lock up front.

    A deferred transaction that reads first and writes later cannot wait for the lock (SQLite
    answers "database is locked" at once to avoid a deadlock); an immediate one waits up to the
    busy timeout. Nested inside another transaction it is a savepoint.
    """
    return db.atomic(lock_type="IMMEDIATE")


def open_database(path: str | Path) -> pw.SqliteDatabase:
    """The station's database, private to its owner (it holds members, PIN hashes and the keys)."""
    path = Path(path)
    private_dir(path.parent)
    private_database(path)
    if not db.is_closed():
        db.close()
    db.init(str(path), pragmas=PRAGMAS, check_same_thread=False)
    db.connect(reuse_if_open=True)
    _zone[0] = _stored_zone(db)
    migrate(db)
    return db


def _stored_zone(database: pw.SqliteDatabase) -> str:
    """The rollups' time zone: as recorded, or for a database from before the rollups the program's."""
    tables = {name for (name,) in database.execute_sql("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "setting" in tables:
        row = database.execute_sql('SELECT value FROM setting WHERE key = ?', (ZONE_SETTING,)).fetchone()
        if row:
            return row[0]
    if "program_version" in tables:
        row = database.execute_sql('SELECT toml FROM program_version ORDER BY version DESC LIMIT 1').fetchone()
        if row:
            try:
                return tomllib.loads(row[0]).get("program", {}).get("timezone", DEFAULT_ZONE)
            except tomllib.TOMLDecodeError:
                return DEFAULT_ZONE
    return DEFAULT_ZONE


ROLLUPS = ("member_rollup", "member_day", "location_day", "treatment_recall")
# Members first (numbered in the order they joined), then their days, then first and last visit days
# from those days, then the homes' days; the views *_fresh are the definitions.
FILL = (
    'INSERT INTO "member_rollup" ("member_id", "home", "created_day", "first_day", "last_day", "erased") '
    "SELECT id, COALESCE(home_location, 'device:' || created_device), local_day(created_at), NULL, NULL, "
    'erased_at IS NOT NULL FROM "member" ORDER BY created_at, id',
    'INSERT INTO "member_day" SELECT * FROM "member_day_fresh"',
    'UPDATE "member_rollup" SET "first_day" = v.first, "last_day" = v.last, "balance" = v.balance FROM (SELECT n, '
    'MIN(CASE WHEN visits > 0 THEN day END) AS first, MAX(CASE WHEN visits > 0 THEN day END) AS last, '
    'SUM(points) AS balance FROM "member_day" GROUP BY n) v WHERE "member_rollup"."n" = v.n',
    'INSERT INTO "location_day" SELECT * FROM "location_day_fresh"',
    'INSERT INTO "treatment_recall" SELECT * FROM "treatment_recall_fresh"',
)


def rezone(database: pw.SqliteDatabase, zone: str) -> bool:
    """Keep the day rollups in `zone` from now on, refilled if it is another; the caller holds the
    transaction. True when they were refilled."""
    database.execute_sql('INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE '
                         'SET value = excluded.value', (ZONE_SETTING, zone))
    if zone == _zone[0]:
        return False
    _zone[0] = zone
    refill_rollups(database)
    return True


def migrate(database: pw.SqliteDatabase) -> list[str]:
    """Apply the migration files not yet recorded in `schema_migration`; returns their names.

    Recorded by name, not by a counter, so migrations written on parallel branches merge.
    """
    applied = []
    with database.atomic(lock_type="IMMEDIATE"):   # two processes starting at once migrate one after the other
        database.execute_sql('CREATE TABLE IF NOT EXISTS "schema_migration" '
                             '("name" TEXT NOT NULL PRIMARY KEY, "applied_at" TEXT NOT NULL)')
        done = {name for (name,) in database.execute_sql('SELECT "name" FROM "schema_migration"')}
        for path in migration_files():
            if path.stem in done:
                continue
            with database.atomic():
                for statement in _statements(path.read_text(encoding="utf-8")):
                    database.execute_sql(statement)
                database.execute_sql('INSERT INTO "schema_migration" ("name", "applied_at") '
                                     "VALUES (?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))", (path.stem,))
            applied.append(path.stem)
    return applied


def _statements(sql: str) -> list[str]:
    """Split a migration into statements at line ends where SQLite sees a complete statement, so a
    trigger's body (statements between BEGIN and END) stays in one piece; `--` comment lines go."""
    statements, pending = [], ""
    for line in sql.splitlines():
        if line.lstrip().startswith("--"):
            continue
        pending += line + "\n"
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    if pending.strip():
        statements.append(pending.strip())
    return statements


def refill_summaries(database: pw.SqliteDatabase) -> None:
    """Recompute member_summary (migration 0007) and the day rollups (0015) from the ledger, for a
    bulk load that ran with their triggers dropped; the caller holds the transaction."""
    database.execute_sql('DELETE FROM "member_summary"')
    database.execute_sql('INSERT INTO "member_summary" SELECT * FROM "member_summary_fresh"')
    refill_rollups(database)


def refill_rollups(database: pw.SqliteDatabase) -> None:
    """The day rollups from scratch, set by set: their own triggers are set aside meanwhile, so the
    refill costs a few grouped queries, not a trigger per row."""
    marks = ", ".join("?" for _ in ROLLUPS)
    triggers = list(database.execute_sql(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ({marks})", ROLLUPS))
    for name, _ in triggers:
        database.execute_sql(f'DROP TRIGGER "{name}"')
    for table in reversed(ROLLUPS):
        database.execute_sql(f'DELETE FROM "{table}"')
    for statement in FILL:
        database.execute_sql(statement)
    for _, sql in triggers:
        database.execute_sql(sql)


def checkpoint() -> bool:
    """Copy the WAL into the database file and empty it; True when no reader kept it from finishing.

    After an erasure: the WAL still holds earlier versions of the erased rows (the name, the
    e-mail) until it is reused, and it stays on disk while any connection is open.
    """
    busy, _, _ = db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    return not busy


def close_database() -> None:
    if not db.is_closed():
        db.close()
