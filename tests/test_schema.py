"""The migration files and the Peewee models describe the same tables and columns."""
from __future__ import annotations

from loyalty.store import ALL_MODELS, close_database, db, open_database
from loyalty.store.db import migrate


def test_migrations_create_every_model_column(tmp_path):
    open_database(tmp_path / "s.db")
    try:
        for model in ALL_MODELS:
            table = model._meta.table_name
            columns = {row[1] for row in db.execute_sql(f'PRAGMA table_info("{table}")')}
            assert columns, f"no migration creates table {table}"
            wanted = {field.column_name for field in model._meta.sorted_fields}
            assert wanted <= columns, f"{table}: no migration adds {sorted(wanted - columns)}"
    finally:
        close_database()


def test_migrations_apply_once(tmp_path):
    open_database(tmp_path / "s.db")
    try:
        assert migrate(db) == []
        names = [n for (n,) in db.execute_sql('SELECT name FROM schema_migration ORDER BY name')]
        assert names and names[0] == "0001_initial"
    finally:
        close_database()
