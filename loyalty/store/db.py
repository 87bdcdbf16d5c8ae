"""Opening the SQLite database: WAL, foreign keys, FULL sync, busy timeout, migrations."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import peewee as pw

from loyalty.contacts import fold
from loyalty.private_files import private_database, private_dir

db = pw.SqliteDatabase(None)


@db.func("fold", 1, deterministic=True)
def _sql_fold(text: str | None) -> str | None:
    """The search-key folding in SQL, for the triggers of migration 0008: one definition for both."""
    return None if text is None else fold(text)

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
    migrate(db)
    return db


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
    """Recompute member_summary and ledger_bucket (migration 0007) from the ledger, for a bulk load
    that ran with their triggers dropped; the caller holds the transaction."""
    for table in ("member_summary", "ledger_bucket"):
        database.execute_sql(f'DELETE FROM "{table}"')
        database.execute_sql(f'INSERT INTO "{table}" SELECT * FROM "{table}_fresh"')


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
