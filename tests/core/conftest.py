"""Helpers for the core tests: enrol a member, count every table's rows."""
from __future__ import annotations

import pytest

from loyalty.services import enroll
from loyalty.store import ALL_MODELS, db


def row_counts() -> dict[str, int]:
    """Rows in every table, to prove that a refused request wrote nothing."""
    tables = [m._meta.table_name for m in ALL_MODELS] + ["schema_migration"]
    return {t: db.execute_sql(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}


def join(actor, first_name: str = "Anna", email: str | None = None, **kw):
    """Enrol a member with program consent and the age confirmed."""
    email = email or f"{first_name.lower()}@example.org"
    return enroll(first_name, actor, email=email, consent_program=True, age_confirmed=True, **kw)


@pytest.fixture
def counts():
    return row_counts
