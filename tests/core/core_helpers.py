"""Core test helpers: enrolment with consent, row counts of every table, refusal checks by code."""
from __future__ import annotations

from contextlib import contextmanager

import pytest

from loyalty.errors import Refused
from loyalty.services import enroll
from loyalty.store import ALL_MODELS, db


def row_counts() -> dict[str, int]:
    """Rows in every table, to prove that a refused request wrote nothing."""
    tables = [m._meta.table_name for m in ALL_MODELS] + ["schema_migration"]
    return {t: db.execute_sql(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}


def join(actor, first_name: str = "Anna", email: str | None = None, **kw):
    """Enrol a member with program consent and the age confirmed."""
    email = email or f"{first_name.lower()}@example.org"
    return enroll(first_name, actor, email=email, **({"consent_program": True, "age_confirmed": True} | kw))


@contextmanager
def refused(code: str):
    """The block raises Refused with this code, and its texts exist in English and German."""
    with pytest.raises(Refused) as info:
        yield info
    assert info.value.code == code
    for lang in ("en", "de"):
        assert not info.value.message(lang).startswith("refused."), f"no {lang} text for {code}"
