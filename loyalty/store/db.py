"""Opening the SQLite database: WAL, foreign keys, FULL sync, busy timeout, migrations."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import peewee as pw

db = pw.SqliteDatabase(None)

PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "full",   # an acknowledged stamp survives a power cut (WAL + NORMAL may not)
    "busy_timeout": 5000,
    "cache_size": -32000,
}


def _migration_1(database: pw.Database) -> None:
    from loyalty.store.models import ALL_MODELS
    database.create_tables(ALL_MODELS)


# Append new migrations; never edit an old one. Index i brings the schema to version i + 1.
MIGRATIONS: list[Callable[[pw.Database], None]] = [_migration_1]


def open_database(path: str | Path) -> pw.SqliteDatabase:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not db.is_closed():
        db.close()
    db.init(str(path), pragmas=PRAGMAS, check_same_thread=False)
    db.connect(reuse_if_open=True)
    migrate(db)
    return db


def migrate(database: pw.SqliteDatabase) -> int:
    current = database.execute_sql("PRAGMA user_version").fetchone()[0]
    for version, step in enumerate(MIGRATIONS[current:], start=current + 1):
        with database.atomic():
            step(database)
            database.execute_sql(f"PRAGMA user_version = {version}")
    return len(MIGRATIONS)


def close_database() -> None:
    if not db.is_closed():
        db.close()
