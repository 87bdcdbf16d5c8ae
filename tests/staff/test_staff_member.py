"""The member page end to end: points, undo, treatment and recall, rewards and their refusals,
membership, card reissue, enrolment, and a receptionist refused a manager screen."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.browser import ROOT
from tests.staff.conftest import desk_server, field, signed_in_page, type_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    with desk_server(tmp_path_factory) as d:
        yield d


@pytest.fixture(scope="module")
def page(browser, desk):
    with signed_in_page(browser, desk, "Empfang", "0000") as signed_in:
        yield signed_in


def open_member(page, query: str, name: str) -> None:
    page.get_by_role("button", name=re.compile("^Empfang Tab")).click()
    expect(field(page, "Suche nach Name")).to_be_visible()
    type_in(page, "Suche nach Name", query)
    page.get_by_text(name).first.click()
    expect(page.get_by_text("Punkte für einen Einkauf")).to_be_visible()


def choose(page, option: str, nth: int = 0) -> None:
    """Tap a choice chip (the nth one of that name: the same item can be offered in several boxes)."""
    page.get_by_role("checkbox", name=option).nth(nth).click()


def status(page, text: str):
    return expect(page.get_by_text(text, exact=False).first).to_be_visible()


def test_award_points_confirms_in_words_and_undo_reverses(page, artefacts):
    open_member(page, "greta", "Greta Grünwald")
    choose(page, "Hyaluron-Serum 30 ml (Kosmetik)")
    expect(page.get_by_role("checkbox", name="Hyaluron-Serum 30 ml (Kosmetik)").first).to_be_checked()
    type_in(page, "Betrag", "49,90")
    page.get_by_role("button", name="Punkte gutschreiben").click()
    status(page, "+49 Punkte, insgesamt 99.")
    page.screenshot(path=artefacts / "staff-award.png")
    page.get_by_role("button", name="Rückgängig").click()
    status(page, "Rückgängig gemacht: -49 Punkte, insgesamt 50.")
    type_in(page, "Betrag", "1.200")
    page.get_by_role("button", name="Punkte gutschreiben").click()
    status(page, "+1.200 Punkte, insgesamt 1.250.")
    type_in(page, "Betrag", "zwölf")
    page.get_by_role("button", name="Punkte gutschreiben").click()
    status(page, "Bitte geben Sie den Betrag in Euro ein")


def test_treatment_sets_recall_shown_to_staff_by_treatment(page, artefacts):
    choose(page, "Botulinumtoxin-Behandlung (Ärztliche Leistung)", 1)
    page.get_by_role("button", name="Behandlung erfassen").click()
    status(page, "Botulinumtoxin-Behandlung erfasst. Wiedervorstellung am")
    status(page, "Keine Punkte")
    expect(page.get_by_text(re.compile(r"^Botulinumtoxin-Behandlung: fällig am"))).to_be_visible()
    page.screenshot(path=artefacts / "staff-treatment-recall.png")


def test_redeem_refusals_and_a_partial_redemption(page, artefacts):
    type_in(page, "Einzulösende Punkte", "5000")
    page.get_by_role("button", name="Guthaben für Pflege und Shop einlösen").click()
    status(page, "Nicht genug Punkte: Das Mitglied hat 1250, nötig sind 5000.")
    page.screenshot(path=artefacts / "staff-redeem-beyond-balance.png")
    type_in(page, "Einzulösende Punkte", "200")
    choose(page, "Hyaluron-Filler (Ärztliche Leistung)", 2)
    page.get_by_role("button", name="Guthaben für Pflege und Shop einlösen").click()
    status(page, "Punkte dürfen den Preis einer ärztlichen Behandlung nach GOÄ nicht mindern")
    page.screenshot(path=artefacts / "staff-redeem-forbidden.png")
    choose(page, "Sonnenschutz LSF 50 (Shop)", 1)
    page.get_by_role("button", name="Guthaben für Pflege und Shop einlösen").click()
    status(page, "Guthaben für Pflege und Shop eingelöst: 200 Punkte eingelöst, Wert 20,00")
    status(page, "Noch 1.050 Punkte.")
    page.get_by_role("button", name="Lounge und Kaffee vor dem Termin einlösen").click()
    status(page, "Lounge und Kaffee vor dem Termin eingelöst: 150 Punkte eingelöst. Noch 900 Punkte.")
    page.screenshot(path=artefacts / "staff-redeem.png")


def test_membership_join_use_cancel(page, artefacts):
    choose(page, "Premium · 99,00 €")
    page.get_by_role("button", name="Tarif abschließen").click()
    status(page, "Premium abgeschlossen; verlängert sich am")
    expect(page.get_by_text("Kosmetische Gesichtsbehandlung: noch 1 in diesem Zeitraum")).to_be_visible()
    page.get_by_role("button", name="Kosmetische Gesichtsbehandlung nutzen").click()
    status(page, "Kosmetische Gesichtsbehandlung genutzt; noch 0 in diesem Zeitraum.")
    page.screenshot(path=artefacts / "staff-membership.png")
    page.get_by_role("button", name="Tarif kündigen").click()
    status(page, "Premium gekündigt.")


def test_reissue_card_offers_pdf_and_old_code_stops(page, desk, artefacts):
    open_member(page, "anna", "Anna Schmidt")
    page.get_by_role("button", name="Karte neu ausstellen").click()
    status(page, "Neue Karte ausgestellt; der alte Code gilt nicht mehr.")
    expect(page.get_by_role("img", name="QR-Code der neuen Karte")).to_be_visible()
    link = page.get_by_text(re.compile(r"^/download/")).first.text_content()
    page.screenshot(path=artefacts / "staff-reissue.png")
    with urllib.request.urlopen(desk.base + link.strip()) as response:
        assert response.read(4) == b"%PDF"
    environ = {**os.environ, "LOYALTY_HOME": str(desk.home)}
    environ.pop("LOYALTY_DB", None)
    old = subprocess.run([sys.executable, "-m", "loyalty.cli", "checkin", desk.tokens["Anna"]], env=environ,
                         cwd=ROOT, capture_output=True, text=True)
    assert old.returncode == 1 and "no longer valid" in old.stderr


def test_enrol_on_the_members_behalf(page, artefacts):
    page.get_by_role("button", name=re.compile("^Empfang Tab")).click()
    page.get_by_role("button", name="Neues Mitglied").click()
    type_in(page, "Vorname", "Ida")
    type_in(page, "E-Mail", "ida@example.org")
    page.get_by_role("button", name="Anlegen").click()
    status(page, "Bitte stimmen Sie den Teilnahmebedingungen")      # no consent: refused, nothing written
    page.get_by_role("checkbox", name=re.compile("Teilnahmebedingungen")).click()
    page.get_by_role("checkbox", name=re.compile("mindestens 18")).click()
    page.screenshot(path=artefacts / "staff-enrol-form.png")
    page.get_by_role("button", name="Anlegen").click()
    status(page, "Ida ist jetzt Mitglied: 50 Willkommenspunkte.")
    expect(page.get_by_text("Zurück zum Empfang")).to_be_visible()


def test_receptionist_is_refused_manager_screens(page, artefacts):
    page.get_by_role("button", name=re.compile("^Team")).click()
    status(page, "Das darf nur die Praxisleitung. Bitte fragen Sie die Leitung.")
    page.screenshot(path=artefacts / "staff-receptionist-refused.png")
    page.get_by_role("button", name=re.compile("^Einstellungen")).click()
    status(page, "Das darf nur die Praxisleitung.")


def test_language_switch_to_english(page, artefacts):
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("button", name="Deutsch")).to_be_visible()
    page.get_by_role("button", name=re.compile("^Desk")).click()
    expect(page.get_by_role("textbox", name=re.compile("^Search by name"))).to_be_visible()
    page.screenshot(path=artefacts / "staff-english.png")
    page.get_by_role("button", name="Deutsch").click()
