"""Texts the member page needs exist in German and English (no browser: the catalogues themselves)."""
from __future__ import annotations

import pytest

from loyalty import ledger
from loyalty.i18n import catalogue
from loyalty.services.members import CONSENT_PURPOSES

SOURCES = ("kiosk", "staff", "unsubscribe", "cli", "demo", "import")


@pytest.mark.parametrize("lang", ["de", "en"])
def test_every_ledger_kind_consent_purpose_and_source_has_a_name(lang):
    texts = catalogue(lang)
    missing = [key for key in ([f"staff.kind.{k}" for k in ledger.KINDS]
                               + [f"staff.consent.{p}" for p in CONSENT_PURPOSES]
                               + [f"staff.consent.source_{s}" for s in SOURCES]) if not texts.get(key)]
    assert missing == []
