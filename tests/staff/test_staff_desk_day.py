"""The desk's side of a day: the perks a member's status and plan bring, in one line of the header;
an award without the item bought refused under de-clinic; an import whose signup bonus is a choice
and whose second run changes nothing. Each test opens its own page and makes its own members."""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser import resize, shot
from tests.staff.conftest import Person, desk_server, field, open_member, signed_in_page, type_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    with desk_server(tmp_path_factory) as d:
        yield d


def new_member(desk, first_name: str, *, points_eur: int = 0, plan: str | None = None) -> Person:
    """A member of this test only, with a last name no other test uses."""
    from loyalty.services import join_plan
    person = desk.member(first_name, f"Tag{uuid.uuid4().hex[:6]}", spent_cents=points_eur * 100)
    if plan:
        with desk.db():
            join_plan(person.member_id, plan, desk.staff("Chef"))
    return person


def points_of(desk, member_id: str) -> int:
    from loyalty.services import member_status
    with desk.db():
        return member_status(member_id).points


def test_the_member_header_names_the_perks_of_status_and_plan_in_one_line(browser, desk, artefacts):
    person = new_member(desk, "Paula", points_eur=3000, plan="premium")     # gold, and the Premium plan
    with signed_in_page(browser, desk, "Empfang", "0000") as page:
        open_member(page, person)
        line = page.get_by_text("Vorteile aus Status und Tarif: Bevorzugte Terminvergabe · "
                                "Lounge und Kaffee vor dem Termin", exact=True)
        expect(line).to_be_visible()
        shot(page, artefacts / "staff-member-perks-1280.png")
        resize(page, 390, 844)
        expect(line).to_be_visible()
        shot(page, artefacts / "staff-member-perks-390.png")


def test_a_member_without_perks_has_no_perks_line(browser, desk):
    person = new_member(desk, "Quirin")
    with signed_in_page(browser, desk, "Empfang", "0000") as page:
        open_member(page, person)
        expect(page.get_by_text("Noch keine Prämie bereit.")).to_be_visible()
        assert page.get_by_text("Vorteile aus Status und Tarif", exact=False).count() == 0


def test_an_award_needs_the_item_bought_under_de_clinic(browser, desk, artefacts):
    person = new_member(desk, "Rosa")
    with signed_in_page(browser, desk, "Empfang", "0000") as page:
        open_member(page, person)
        expect(page.get_by_text("Gekaufter Artikel", exact=True)).to_be_visible()
        type_in(page, "Betrag", "350")
        page.get_by_role("button", name="Punkte gutschreiben").click()
        expect(page.get_by_text("Bitte wählen Sie, was gekauft wurde", exact=False).first).to_be_visible()
        expect(page.get_by_text("Sonnenschutz LSF 50", exact=False).first).to_be_visible()
        shot(page, artefacts / "staff-award-needs-item.png")
        assert points_of(desk, person.member_id) == 50                       # the signup bonus, nothing for the 350 EUR
        page.get_by_role("checkbox", name="Sonnenschutz LSF 50 (Shop)").first.click()
        type_in(page, "Betrag", "350")
        page.get_by_role("button", name="Punkte gutschreiben").click()
        expect(page.get_by_text("+350 Punkte, insgesamt 400.").first).to_be_visible()


def test_import_gives_the_signup_bonus_only_when_ticked_and_twice_changes_nothing(browser, desk, artefacts):
    from loyalty.store import Member
    tag = uuid.uuid4().hex[:6]
    csv = f"first_name,email,points,consent\nSven,sven.{tag}@example.org,120,ja\n"
    with signed_in_page(browser, desk, "Chef", "1234") as page:
        page.get_by_role("button", name=re.compile("^Import Tab")).click()
        type_in(page, "CSV-Text", csv)
        bonus = page.get_by_role("checkbox", name="Neuen Mitgliedern den Willkommensbonus geben (je +50 Punkte)")
        expect(bonus).not_to_be_checked()
        bonus.click()
        page.get_by_role("button", name="Prüfen").click()
        expect(page.get_by_text("Der Import wird schreiben — Zeilen: 1 · neue Mitglieder: 1 · bestehende "
                                "Mitglieder: 0 (unverändert: 0) · Punkte: +120 · Stempel: 0 · "
                                "Willkommensbonus-Punkte: 50", exact=False)).to_be_visible()
        shot(page, artefacts / "staff-import-bonus-checked.png")
        page.get_by_role("button", name="Importieren").click()
        expect(page.get_by_text("Importiert — Zeilen: 1 · neue Mitglieder: 1", exact=False).first).to_be_visible()
        with desk.db():
            sven = Member.get(Member.email == f"sven.{tag}@example.org").id
        assert points_of(desk, sven) == 170
        type_in(page, "CSV-Text", csv + " ")
        expect(field(page, "CSV-Text")).to_have_value(csv + " ")
        page.get_by_role("button", name="Prüfen").click()
        expect(page.get_by_text("bestehende Mitglieder: 1 (unverändert: 1) · Punkte: 0 · Stempel: 0",
                                exact=False)).to_be_visible()
        page.get_by_role("button", name="Importieren").click()
        expect(page.get_by_text("Importiert — Zeilen: 1 · neue Mitglieder: 0", exact=False).first).to_be_visible()
        shot(page, artefacts / "staff-import-again.png")
    assert points_of(desk, sven) == 170
