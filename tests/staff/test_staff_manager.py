"""The manager's screens end to end: alerts (listed, checked with a note), follow-ups, dashboard
formulas, lists with CSV, settings (saved and refused), team admin and audit log, GDPR export and
erasure, opening-balance import. Each test opens its own page and sets up what it looks at."""
from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from loyalty import clock
from loyalty.kpis import local_date
from loyalty.services import (
    award_purchase,
    create_staff,
    current_program,
    deactivate,
    redeem,
    refund,
    reset_pin,
    store_program,
)
from loyalty.services.feedback import submit_feedback
from loyalty.services.followups import close_follow_up, open_follow_ups
from loyalty.store import Flag, LedgerEntry, Member, queries
from tests.browser import pick, resize, shot, switch_language
from tests.staff.conftest import (
    desk_server,
    download,
    field,
    nav,
    open_member,
    status,
    tap_until,
    type_in,
    used_up,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    with desk_server(tmp_path_factory) as d:
        yield d


def below_zero(desk, first: str, last: str):
    """A member whose purchase was refunded after its points bought a perk: -100 points, an alert."""
    person = desk.member(first, last, spent_cents=10000)
    with desk.db():
        reception = desk.staff("Empfang")
        purchase = LedgerEntry.get((LedgerEntry.member == person.member_id) & (LedgerEntry.kind == "purchase"))
        redeem(person.member_id, "lounge", reception)
        refund(purchase.id, reception)
    return person


def busy_day(desk, first: str, last: str):
    """A member with more entries today than the program's limit (8 in the demo): an alert."""
    person = desk.member(first, last)
    with desk.db():
        reception = desk.staff("Empfang")
        for _ in range(8):
            award_purchase(person.member_id, 500, reception, item_code="sunscreen")
    return person


def test_alerts_are_listed_with_their_figures_and_checked_with_a_note(manager, desk, artefacts):
    bruno = below_zero(desk, "Bruno", "Brandt")
    karl = busy_day(desk, "Karl", "Kurz")
    nav(manager, "Auffälligkeiten")
    expect(manager.get_by_role("button", name=f"{bruno.name} öffnen")).to_be_visible()
    status(manager, "jetzt -100 Punkte.")
    status(manager, "9 Buchungen am ")                                     # the welcome bonus and 8 purchases
    status(manager, "(mehr als 8 am Tag sind ungewöhnlich)")
    shot(manager, artefacts / "staff-alerts.png")
    manager.get_by_role("button", name=f"Geprüft: {bruno.name}").click()
    status(manager, "Bitte notieren Sie, was Sie festgestellt haben")           # refused without a note
    with desk.db():
        assert Flag.get(Flag.member == bruno.member_id).resolved_at is None
    type_in(manager, f"Was haben Sie bei {bruno.name} festgestellt?", "Erstattung nach Lounge-Einlösung, geklärt")
    manager.get_by_role("button", name=f"Geprüft: {bruno.name}").click()
    status(manager, f"Die Auffälligkeit bei {bruno.name} ist als geprüft markiert.")
    expect(manager.get_by_role("button", name=f"Geprüft: {bruno.name}")).to_have_count(0)
    expect(manager.get_by_role("button", name=f"Geprüft: {karl.name}")).to_be_visible()
    expect(manager.get_by_text(re.compile(
        f"^{bruno.name} · Punktestand unter null · geprüft am .+ von Chef: „Erstattung nach Lounge-Einlösung, geklärt“$"
    ))).to_be_visible()
    shot(manager, artefacts / "staff-alerts-checked.png")
    with desk.db():
        flag = Flag.get(Flag.member == bruno.member_id)
        assert flag.resolved_by == desk.staff("Chef").staff_id
        assert flag.note == "Erstattung nach Lounge-Einlösung, geklärt"


def test_the_manager_checks_an_alert_on_the_member_page(manager, desk, artefacts):
    berta = below_zero(desk, "Berta", "Bauer")
    open_member(manager, berta)
    expect(manager.get_by_text("Punktestand unter null", exact=True)).to_be_visible()
    type_in(manager, f"Was haben Sie bei {berta.name} festgestellt?", "Mit der Patientin gesprochen")
    shot(manager, artefacts / "staff-member-alert-manager.png")
    manager.get_by_role("button", name=f"Geprüft: {berta.name}").click()
    status(manager, f"Die Auffälligkeit bei {berta.name} ist als geprüft markiert.")
    expect(manager.get_by_text("Punktestand unter null", exact=True)).to_have_count(0)
    with desk.db():
        assert Flag.get(Flag.member == berta.member_id).note == "Mit der Patientin gesprochen"


def test_follow_up_for_the_clinical_team(manager, desk, artefacts):
    fiona = desk.member("Fiona", "Fink")
    with desk.db():
        submit_feedback(fiona.member_id, None, 2, "Seit gestern eine Rötung", desk.staff("Empfang"))
    nav(manager, "Nachsorge")
    status(manager, "Seit gestern eine Rötung")
    status(manager, "Bewertung: 2 von 10")
    shot(manager, artefacts / "staff-follow-ups.png")
    manager.get_by_role("button", name="Erledigt: Fiona").click()
    status(manager, "Nachfass-Aufgabe für Fiona abgeschlossen.")
    expect(manager.get_by_role("button", name="Erledigt: Fiona")).to_have_count(0)


def test_dashboard_figure_explains_its_formula(manager, artefacts):
    nav(manager, "Kennzahlen")
    status(manager, "Tippen Sie auf eine Kennzahl")
    tap_until(manager.get_by_role("button", name=re.compile("^So wird Aktive Mitglieder berechnet")),
              manager.get_by_text("Aktive Mitglieder: Mitglieder mit mindestens einem Besuch", exact=False))
    shot(manager, artefacts / "staff-dashboard.png")


def test_dashboard_on_tablet_and_desktop_in_both_languages(manager, desk, artefacts):
    """Screenshots to look at: labels of the date fields whole, week labels apart, at 1280 x 800 and
    1920 x 1080, German and English; a figure still explains its formula on tap in English.
    The periods end on the station's day, in its program's time zone: from 23:00 UTC on, Berlin's
    day is already this machine's tomorrow."""
    with desk.db():
        today = local_date(clock.now(), current_program().timezone)
    year_ago = today - timedelta(days=363)
    nav(manager, "Kennzahlen")
    manager.get_by_role("button", name="Letzte 52 Wochen").click()
    status(manager, f"Kennzahlen vom {year_ago.strftime('%d.%m.%Y')}")
    expect(manager.get_by_role("textbox", name=re.compile(r"^Von \(JJJJ-MM-TT\)"))).to_be_visible()
    shot(manager, artefacts / "staff-dashboard-1280-de.png")
    resize(manager, 1920, 1080)
    twelve_weeks = (today - timedelta(days=83)).strftime('%d.%m.%Y')
    tap_until(manager.get_by_role("button", name="Letzte 12 Wochen"),    # a tap just after a new size can be lost
              manager.get_by_text(f"Kennzahlen vom {twelve_weeks}", exact=False).first)
    shot(manager, artefacts / "staff-dashboard-1920-de.png")
    switch_language(manager, "English")
    nav(manager, "Dashboard")
    status(manager, "Tap a figure")
    tap_until(manager.get_by_role("button", name=re.compile("^How Retention rate is calculated")),
              manager.get_by_text(re.compile("^Retention rate: ")))
    shot(manager, artefacts / "staff-dashboard-1920-en.png")
    resize(manager, 1280, 800)
    tap_until(manager.get_by_role("button", name="Last 52 weeks"),
              manager.get_by_text(f"Figures from {year_ago.day} ", exact=False).first)
    expect(manager.get_by_role("textbox", name=re.compile(r"^From \(YYYY-MM-DD\)"))).to_be_visible()
    shot(manager, artefacts / "staff-dashboard-1280-en.png")


def test_lists_offer_csv_by_a_link_that_works_once(manager, artefacts):
    nav(manager, "Listen")
    manager.get_by_role("button", name="Gefährdet").click()
    status(manager, "Gefährdet:")
    expect(manager.get_by_text(re.compile("/download/"))).to_have_count(0)   # a button, no raw link on screen
    shot(manager, artefacts / "staff-lists.png")
    name, body, link = download(manager, manager.get_by_role("button", name="Als CSV exportieren"))
    assert name == "at_risk.csv" and body.decode("utf-8-sig").splitlines()[0].startswith("Vorname")
    assert used_up(link)


def test_settings_save_and_refusal_names_the_field(manager, desk, artefacts):
    with desk.db():
        program = queries.newest_program()[1]
    try:
        nav(manager, "Einstellungen")
        status(manager, "Punkte pro Euro")
        expect(manager.get_by_text("Ärztliche Leistung").first).to_be_visible()
        shot(manager, artefacts / "staff-settings-compliance.png")
        type_in(manager, "points.per_euro", "2")
        manager.get_by_role("button", name="Änderungen speichern").click()
        status(manager, "Als Version ")
        status(manager, "gespeichert: points.per_euro.")
        manager.mouse.move(640, 500)      # scroll the canvas itself, so a tap on the tiers lands on them
        gold = field(manager, "tiers.gold.threshold")
        for _ in range(4):                # as far as the cards above the tiers (the kiosk camera's too) reach
            manager.mouse.wheel(0, 400)
            try:
                expect(gold).to_be_in_viewport(timeout=5_000)
                break
            except AssertionError:
                continue
        expect(gold).to_be_in_viewport()
        type_in(manager, "tiers.gold.threshold", "10")
        manager.get_by_role("button", name="Änderungen speichern").click()
        status(manager, "tiers.gold.threshold: die Schwellen müssen von Stufe zu Stufe steigen")
        expect(manager.get_by_text("die Schwellen müssen von Stufe zu Stufe steigen", exact=True)).to_be_visible()
        shot(manager, artefacts / "staff-settings-refused.png")
    finally:
        with desk.db():
            store_program(program)


def test_team_add_reset_deactivate(manager, artefacts):
    nav(manager, "Team")
    status(manager, "Teammitglied hinzufügen")
    type_in(manager, "Name", "Nora Neu")
    type_in(manager, "PIN", "4321")
    manager.get_by_role("button", name="Hinzufügen").click()
    status(manager, "Nora Neu als Empfang hinzugefügt.")
    manager.get_by_role("button", name="Nora Neu zur Leitung machen").click()
    status(manager, "Nora Neu ist jetzt Leitung.")
    type_in(manager, "Neue PIN für Nora Neu", "2222")
    manager.get_by_role("button", name="Neue PIN für Nora Neu setzen").click()
    status(manager, "Neue PIN für Nora Neu gesetzt")
    manager.get_by_role("button", name="Nora Neu deaktivieren").click()
    status(manager, "Nora Neu kann sich nicht mehr anmelden.")
    expect(manager.get_by_text("Teammitglied deaktiviert", exact=False).first).to_be_visible()
    shot(manager, artefacts / "staff-team-audit.png")


def test_audit_log_filters_by_action(manager, desk, artefacts):
    gerd = desk.member("Gerd", "Groß")
    with desk.db():
        chef = desk.staff("Chef")
        udo = create_staff("Udo Uhl", "receptionist", "5555", chef)
        reset_pin(udo.staff_id, "6666", chef)
        deactivate(udo.staff_id, chef)
        submit_feedback(gerd.member_id, None, 1, None, desk.staff("Empfang"))
        [task] = [t for t in open_follow_ups() if t.member_id == gerd.member_id]
        close_follow_up(task.follow_up_id, chef)
    nav(manager, "Team")
    status(manager, "Protokoll")
    expect(manager.get_by_text(re.compile(r"Chef · Teammitglied deaktiviert$")).first).to_be_visible()
    pick(manager, "Aktion", "PIN zurückgesetzt")
    expect(manager.get_by_text(re.compile(r"Chef · PIN zurückgesetzt$")).first).to_be_visible()
    expect(manager.get_by_text(re.compile(r"Chef · Teammitglied deaktiviert$"))).to_have_count(0)
    shot(manager, artefacts / "staff-audit-filtered.png")
    pick(manager, "Aktion", "Nachfass-Aufgabe abgeschlossen")
    expect(manager.get_by_text(re.compile(r"Chef · Nachfass-Aufgabe abgeschlossen$")).first).to_be_visible()


def test_gdpr_export_and_erase(manager, desk, artefacts):
    hedda = desk.member("Hedda", "Holm")
    nav(manager, "Datenschutz")
    type_in(manager, "Mitglied suchen", "holm")
    manager.get_by_role("button", name=re.compile("^Hedda Holm")).click()
    status(manager, "Verlauf der Einwilligungen")
    manager.get_by_role("button", name="Daten exportieren").click()
    status(manager, "Export für Hedda Holm bereit")
    expect(manager.get_by_text(re.compile("/download/"))).to_have_count(0)
    shot(manager, artefacts / "staff-gdpr-export.png")
    name, data, link = download(manager, manager.get_by_role("button", name="JSON herunterladen"))
    assert name == "member-export.json" and json.loads(data)["member"]["first_name"] == "Hedda" and used_up(link)
    name, data, _ = download(manager, manager.get_by_role("button", name="PDF herunterladen"))
    assert name == "member-export.pdf" and data[:4] == b"%PDF"
    manager.get_by_role("button", name="Mitglied löschen").click()
    manager.get_by_role("button", name="Endgültig löschen").click()
    status(manager, "Die personenbezogenen Daten des Mitglieds wurden gelöscht")
    shot(manager, artefacts / "staff-gdpr-erased.png")
    with desk.db():
        member = Member.get_by_id(hedda.member_id)
        assert member.erased_at is not None and member.first_name is None


def test_import_preview_errors_then_all_rows(manager, artefacts):
    nav(manager, "Import")
    type_in(manager, "CSV-Text", "first_name,email,points,consent\nOtto,otto.ost@example.org,120,yes\nPia,,x,no")
    manager.get_by_role("button", name="Prüfen").click()
    status(manager, "Zeile 3: points „x“ ist keine ganze Zahl; consent muss „ja“ sein")
    status(manager, "1 Zeile ist fehlerhaft. Es wurde nichts importiert.")
    shot(manager, artefacts / "staff-import-errors.png")
    type_in(manager, "CSV-Text",
            "first_name,email,points,consent\nOtto,otto.ost@example.org,120,yes\nPia,pia.pohl@example.org,80,ja")
    manager.get_by_role("button", name="Prüfen").click()
    status(manager, "Der Import wird schreiben — Zeilen: 2 · neue Mitglieder: 2 · bestehende Mitglieder: 0 "
                     "(unverändert: 0) · Punkte: +200 · Stempel: 0")
    manager.get_by_role("button", name="Importieren").click()
    status(manager, "Importiert — Zeilen: 2 · neue Mitglieder: 2")
    shot(manager, artefacts / "staff-import-done.png")
