"""Names that hide or reorder text are refused wherever a name enters: the kiosk's and the staff
app's enrolment, profile edits, staff accounts and the opening-balance import (the CLI uses the same)."""
from __future__ import annotations

import unicodedata

import pytest

from loyalty.services import create_staff, enroll, import_balances, member_status, update_profile
from loyalty.store import Member

from core_helpers import join, refused, row_counts

HOSTILE = {
    "ANSI escape": "Anna\x1b[2J\x1b[31mHACKED",
    "right-to-left override": "Anna\u202eredro",
    "bidi isolate": "\u2066Anna\u2069",
    "zero-width space": "An\u200bna",
    "line break": "Anna\nBen",
    "carriage return": "Anna\rBen",
    "NUL": "Anna\x00",
    "byte-order mark": "\ufeffAnna",
    "line separator": "Anna\u2028Ben",
    "private use": "Anna\ue000",
}
FINE = ["Zoë", "José María", "O'Brien-Smith", "Nguyễn Thị", "محمد", "Ägäis-Öztürk", "李小龙", "Kh\u200cosro"]


@pytest.mark.parametrize("kind", HOSTILE)
def test_enrolment_refuses_hidden_characters_at_kiosk_and_desk(station, kind):
    name = HOSTILE[kind]
    before = row_counts()
    with refused("name_characters"):
        enroll(name, station.device, email="anna@example.org", consent_program=True, age_confirmed=True)
    with refused("name_characters"):
        enroll("Anna", station.receptionist, last_name=name, email="anna@example.org", consent_program=True,
               age_confirmed=True)
    with refused("name_characters"):
        create_staff(name, "receptionist", "1234", station.manager)
    assert row_counts() == before


def test_profile_edits_refuse_hidden_characters(station):
    anna = join(station.device, "Anna")
    before = row_counts()
    for name in HOSTILE.values():
        with refused("name_characters"):
            update_profile(anna.member_id, station.receptionist, first_name=name)
        with refused("name_characters"):
            update_profile(anna.member_id, station.receptionist, last_name=name)
    assert row_counts() == before
    with refused("name_too_long"):
        update_profile(anna.member_id, station.receptionist, last_name="x" * 61)
    assert member_status(anna.member_id).first_name == "Anna"


def test_import_reports_each_row_with_hidden_characters_and_writes_nothing(station):
    lines = ["first_name,last_name,email,points,consent"]
    lines += [f'"{name}",,row{n}@example.org,10,yes' for n, name in enumerate(HOSTILE.values())]
    lines.append("Carla,\"Mü\u202eller\",carla@example.org,10,yes")
    before = row_counts()
    result = import_balances("\r\n".join(lines), station.manager)
    assert not result.ok and row_counts() == before
    assert len(result.errors) == len(HOSTILE) + 1
    assert all(e.problems[0].code == "import_name_characters" for e in result.errors)
    assert result.errors[-1].problems[0].params == {"column": "last_name"}
    assert "Steuerzeichen" in result.errors[0].text("de") and "control" in result.errors[0].text("en")


def test_names_of_every_script_are_welcome(station):
    for n, name in enumerate(FINE):
        result = enroll(unicodedata.normalize("NFD", name), station.device, email=f"m{n}@example.org",
                        consent_program=True, age_confirmed=True)
        assert Member.get_by_id(result.member_id).first_name == unicodedata.normalize("NFC", name)
    staff = create_staff("  Zoë Ürük ", "receptionist", "1234", station.manager)
    assert staff.name == "Zoë Ürük"
