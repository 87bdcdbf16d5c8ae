"""The manager's screens end to end: dashboard formulas, lists with CSV, settings (saved and refused),
team admin and audit log, GDPR export and erasure, opening-balance import."""
from __future__ import annotations

import re
import urllib.request
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser import pick
from tests.staff.conftest import desk_server, field, signed_in_page, type_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    with desk_server(tmp_path_factory) as d:
        yield d


@pytest.fixture(scope="module")
def page(browser, desk):
    with signed_in_page(browser, desk, "Chef", "1234") as signed_in:
        yield signed_in


def nav(page, name: str) -> None:
    page.get_by_role("button", name=re.compile(f"^{name} Tab")).click()


def status(page, text: str) -> None:
    expect(page.get_by_text(text, exact=False).first).to_be_visible(timeout=15_000)


def test_follow_up_for_the_clinical_team(page, artefacts):
    nav(page, "Nachsorge")
    status(page, "Seit gestern eine Rötung")
    status(page, "Bewertung: 2 von 10")
    page.screenshot(path=artefacts / "staff-follow-ups.png")
    page.get_by_role("button", name="Erledigt: Hanna").click()
    status(page, "Nachfass-Aufgabe für Hanna abgeschlossen.")
    status(page, "Keine offenen Nachfass-Aufgaben.")


def test_dashboard_figure_explains_its_formula(page, artefacts):
    nav(page, "Kennzahlen")
    status(page, "Tippen Sie auf eine Kennzahl")
    page.get_by_text("Aktive Mitglieder", exact=False).first.click()
    status(page, "Aktive Mitglieder: Mitglieder mit mindestens einem Besuch")
    page.screenshot(path=artefacts / "staff-dashboard.png")


def test_dashboard_on_tablet_and_desktop_in_both_languages(page, artefacts):
    """Screenshots to look at: labels of the date fields whole, week labels apart, at 1280 x 800 and
    1920 x 1080, German and English; a figure still explains its formula on tap in English."""
    year_ago = (date.today() - timedelta(days=363)).strftime("%d.%m.%Y")
    nav(page, "Kennzahlen")
    page.wait_for_timeout(1000)   # the screen is drawn anew on each visit; press the new screen's button
    page.get_by_role("button", name="Letzte 52 Wochen").click()
    status(page, f"Kennzahlen vom {year_ago}")
    expect(page.get_by_role("textbox", name=re.compile(r"^Von \(JJJJ-MM-TT\)"))).to_be_visible()
    page.screenshot(path=artefacts / "staff-dashboard-1280-de.png")
    page.set_viewport_size({"width": 1920, "height": 1080})
    try:
        page.get_by_role("button", name="Letzte 12 Wochen").click()
        status(page, "Kennzahlen vom")
        page.screenshot(path=artefacts / "staff-dashboard-1920-de.png")
        page.get_by_role("button", name="English").click()
        nav(page, "Dashboard")
        status(page, "Tap a figure")
        page.wait_for_timeout(1000)
        page.get_by_text("Retention rate", exact=False).first.click()
        status(page, "Retention rate: ")
        page.screenshot(path=artefacts / "staff-dashboard-1920-en.png")
        page.set_viewport_size({"width": 1280, "height": 800})
        page.get_by_role("button", name="Last 52 weeks").click()
        status(page, f"Figures from {(date.today() - timedelta(days=363)).day} ")
        expect(page.get_by_role("textbox", name=re.compile(r"^From \(YYYY-MM-DD\)"))).to_be_visible()
        page.screenshot(path=artefacts / "staff-dashboard-1280-en.png")
    finally:
        page.set_viewport_size({"width": 1280, "height": 800})
        if page.get_by_role("button", name="Deutsch").count():
            page.get_by_role("button", name="Deutsch").click()
            expect(page.get_by_role("button", name="English")).to_be_visible()


def test_lists_offer_csv(page, desk, artefacts):
    nav(page, "Listen")
    page.get_by_role("button", name="Gefährdet").click()
    status(page, "Gefährdet:")
    link = page.get_by_text(re.compile(r"^/download/")).first.text_content().strip()
    page.screenshot(path=artefacts / "staff-lists.png")
    with urllib.request.urlopen(desk.base + link) as response:
        body = response.read().decode("utf-8-sig")
    assert body.splitlines()[0].startswith("Vorname")
    with pytest.raises(urllib.error.HTTPError):   # a link works once
        urllib.request.urlopen(desk.base + link)


def test_settings_save_and_refusal_names_the_field(page, artefacts):
    nav(page, "Einstellungen")
    status(page, "Punkte pro Euro")
    expect(page.get_by_text("Ärztliche Leistung").first).to_be_visible()
    page.screenshot(path=artefacts / "staff-settings-compliance.png")
    type_in(page, "points.per_euro", "2")
    page.get_by_role("button", name="Änderungen speichern").click()
    status(page, "Als Version 2 gespeichert: points.per_euro.")
    page.mouse.move(640, 500)      # scroll the canvas itself, so a click on the tiers lands on them
    page.mouse.wheel(0, 700)
    expect(field(page, "tiers.gold.threshold")).to_be_in_viewport()
    page.wait_for_timeout(500)
    type_in(page, "tiers.gold.threshold", "10")
    page.get_by_role("button", name="Änderungen speichern").click()
    status(page, "tiers.gold.threshold: die Schwellen müssen von Stufe zu Stufe steigen")
    expect(page.get_by_text("die Schwellen müssen von Stufe zu Stufe steigen", exact=True)).to_be_visible()
    page.screenshot(path=artefacts / "staff-settings-refused.png")


def test_team_add_reset_deactivate_and_audit(page, artefacts):
    nav(page, "Team")
    status(page, "Teammitglied hinzufügen")
    type_in(page, "Name", "Nora Neu")
    type_in(page, "PIN", "4321")
    page.get_by_role("button", name="Hinzufügen").click()
    status(page, "Nora Neu als Empfang hinzugefügt.")
    page.get_by_role("button", name="Nora Neu zur Leitung machen").click()
    status(page, "Nora Neu ist jetzt Leitung.")
    type_in(page, "Neue PIN für Lena Locked", "2222")
    page.get_by_role("button", name="Neue PIN für Lena Locked setzen").click()
    status(page, "Neue PIN für Lena Locked gesetzt")
    page.get_by_role("button", name="Nora Neu deaktivieren").click()
    status(page, "Nora Neu kann sich nicht mehr anmelden.")
    expect(page.get_by_text("Teammitglied deaktiviert", exact=False).first).to_be_visible()
    page.screenshot(path=artefacts / "staff-team-audit.png")


def test_audit_log_filters_by_action_and_period(page, artefacts):
    nav(page, "Team")
    status(page, "Protokoll")
    expect(page.get_by_text(re.compile(r"Chef · Teammitglied deaktiviert$")).first).to_be_visible()
    pick(page, "Aktion", "PIN zurückgesetzt")
    expect(page.get_by_text(re.compile(r"Chef · PIN zurückgesetzt$")).first).to_be_visible()
    expect(page.get_by_text(re.compile(r"Chef · Teammitglied deaktiviert$"))).to_have_count(0)
    page.screenshot(path=artefacts / "staff-audit-filtered.png")
    pick(page, "Aktion", "Nachfass-Aufgabe abgeschlossen")
    expect(page.get_by_text(re.compile(r"Chef · Nachfass-Aufgabe abgeschlossen$")).first).to_be_visible()


def test_gdpr_export_and_erase(page, desk, artefacts):
    nav(page, "Datenschutz")
    type_in(page, "Mitglied suchen", "hanna")
    page.get_by_role("button", name=re.compile("^Hanna Hoff")).click()
    status(page, "Verlauf der Einwilligungen")
    page.get_by_role("button", name="Daten exportieren").click()
    status(page, "Export für Hanna Hoff bereit")
    links = [t.strip() for t in page.get_by_text(re.compile(r"^/download/")).all_text_contents()]
    with urllib.request.urlopen(desk.base + links[0]) as response:
        assert b'"first_name": "Hanna"' in response.read()
    with urllib.request.urlopen(desk.base + links[1]) as response:
        assert response.read(4) == b"%PDF"
    page.screenshot(path=artefacts / "staff-gdpr-export.png")
    page.get_by_role("button", name="Mitglied löschen").click()
    page.get_by_role("button", name="Endgültig löschen").click()
    status(page, "Die personenbezogenen Daten des Mitglieds wurden gelöscht")
    page.screenshot(path=artefacts / "staff-gdpr-erased.png")


def test_import_preview_errors_then_all_rows(page, artefacts):
    nav(page, "Import")
    type_in(page, "CSV-Text", "first_name,email,points,consent\nOtto,otto@example.org,120,yes\nPia,,x,no")
    page.get_by_role("button", name="Prüfen").click()
    status(page, "Zeile 3: points „x“ ist keine ganze Zahl; consent muss „ja“ sein")
    status(page, "1 Zeile ist fehlerhaft. Es wurde nichts importiert.")
    page.screenshot(path=artefacts / "staff-import-errors.png")
    page.wait_for_timeout(500)  # the report is drawn; select the whole text before typing the fix
    type_in(
        page, "CSV-Text", "first_name,email,points,consent\nOtto,otto@example.org,120,yes\nPia,pia@example.org,80,ja"
    )
    page.get_by_role("button", name="Prüfen").click()
    status(page, "2 Zeilen, insgesamt 200 Punkte, keine Fehler.")
    page.get_by_role("button", name="Importieren").click()
    status(page, "Importiert: 2 neue Mitglieder, 0 bestehende Mitglieder zugeordnet, 200 Punkte.")
    page.screenshot(path=artefacts / "staff-import-done.png")
