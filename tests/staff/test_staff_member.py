"""The member page end to end: points, undo, treatment and recall, rewards and their refusals
under de-clinic, refunds, membership, card reissue by PDF, e-mail and receipt printer, consents,
enrolment, and a receptionist refused a manager screen.

The station sends mail to a real SMTP server on 127.0.0.1 (aiosmtpd) and prints to a TCP server
that keeps the ESC/POS bytes, as a network receipt printer on port 9100 would receive them.
"""
from __future__ import annotations

import re
import urllib.request

import pytest
from playwright.sync_api import expect

from loyalty.services import Actor, card_token, check_in, consents, device_id, store_program
from loyalty.store import Member, queries
from tests.browser import station_process
from tests.printer import PrinterServer
from tests.retention.retention_smtp import SmtpSink
from tests.staff.conftest import Desk, open_member, prepare_home, signed_in_page, station_db, type_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def mail():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture(scope="module")
def printer():
    sink = PrinterServer()
    yield sink
    sink.close()


@pytest.fixture(scope="module")
def desk(tmp_path_factory, mail, printer):
    home = tmp_path_factory.mktemp("staff-member-home")
    tokens = prepare_home(home)
    (home / "station.toml").write_text(
        f'[smtp]\nhost = "127.0.0.1"\nport = {mail.port}\nfrom = "praxis@example.org"\nsecurity = "none"\n'
        f'timeout = 10\n\n[printer]\nhost = "127.0.0.1"\nport = {printer.port}\ntimeout = 5\n', encoding="utf-8")
    with station_process(home, demo=False, apps="staff") as base:
        yield Desk(base, home, tokens)


@pytest.fixture(scope="module")
def page(browser, desk):
    with signed_in_page(browser, desk, "Empfang", "0000") as signed_in:
        yield signed_in


def choose(page, option: str, nth: int = 0) -> None:
    """Tap a choice chip (the nth one of that name: the same item can be offered in several boxes)."""
    page.get_by_role("checkbox", name=option).nth(nth).click()


def status(page, text: str):
    return expect(page.get_by_text(text, exact=False).first).to_be_visible()


def bring_into_view(page, locator, column: str) -> None:
    """Scroll the member page's left or right column with the mouse wheel until `locator` is on screen."""
    height = page.viewport_size["height"]
    page.mouse.move(400 if column == "left" else 980, height - 200)
    for _ in range(12):
        box = locator.bounding_box()
        if box and box["y"] >= 130 and box["y"] + box["height"] <= height:
            return
        page.mouse.wheel(0, 350 if box is None or box["y"] > 130 else -350)
        page.wait_for_timeout(250)


def chips(page, name: str):
    return page.get_by_role("checkbox", name=name)


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
    choose(page, "Sonnenschutz LSF 50 (Shop)")
    type_in(page, "Betrag", "1.200")
    page.get_by_role("button", name="Punkte gutschreiben").click()
    status(page, "+1.200 Punkte, insgesamt 1.250.")
    type_in(page, "Betrag", "zwölf")
    page.get_by_role("button", name="Punkte gutschreiben").click()
    status(page, "Bitte geben Sie den Betrag in Euro ein")


def test_purchase_picker_offers_only_items_that_earn_points(page, artefacts):
    """Under de-clinic a purchase never offers a physician service, a medical device or a medicine."""
    expect(
        page.get_by_text("Ärztliche Leistungen, Medizinprodukte und Arzneimittel sammeln keine Punkte")
    ).to_be_visible()
    expect(chips(page, "Hyaluron-Filler (Ärztliche Leistung)")).to_have_count(1)       # the treatment box only
    expect(chips(page, "Kühlmaske nach Behandlung (Medizinprodukt)")).to_have_count(0)
    expect(chips(page, "Sonnenschutz LSF 50 (Shop)")).to_have_count(2)                 # purchase and credit
    page.screenshot(path=artefacts / "staff-member-purchase-picker.png")


def test_treatment_sets_recall_shown_to_staff_by_treatment(page, artefacts):
    choose(page, "Botulinumtoxin-Behandlung (Ärztliche Leistung)")
    page.get_by_role("button", name="Behandlung erfassen").click()
    status(page, "Botulinumtoxin-Behandlung erfasst. Wiedervorstellung am")
    status(page, "Keine Punkte")
    expect(page.get_by_text(re.compile(r"^Botulinumtoxin-Behandlung: fällig am"))).to_be_visible()
    page.screenshot(path=artefacts / "staff-treatment-recall.png")


def test_header_shows_the_count_and_the_biggest_reward_on_tablet_and_desktop(page, artefacts):
    headline = page.get_by_text("5 Prämien bereit – die größte: Guthaben für Pflege und Shop (500 Punkte)")
    expect(headline).to_be_visible()
    also = page.get_by_text(re.compile("^Außerdem bereit: Hyaluron-Serum gratis"))
    expect(also).to_be_visible()
    try:
        for width, height, name in ((1280, 800, "tablet"), (1920, 1080, "desktop")):
            page.set_viewport_size({"width": width, "height": height})
            page.wait_for_timeout(500)   # let Flutter lay the page out anew before measuring and drawing it
            expect(headline).to_be_visible()
            for line in (headline, also):
                box = line.bounding_box()
                assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"{name}: header runs off the screen"
            page.screenshot(path=artefacts / f"staff-member-header-{name}.png")
    finally:
        page.set_viewport_size({"width": 1280, "height": 800})
        page.wait_for_timeout(500)


def test_redeem_offers_only_allowed_items_refuses_beyond_balance_and_redeems_in_part(page, artefacts):
    expect(chips(page, "Hyaluron-Filler (Ärztliche Leistung)")).to_have_count(1)       # not "für Artikel"
    expect(chips(page, "Kosmetische Gesichtsbehandlung (Kosmetik)")).to_have_count(3)  # purchase, treatment, credit
    type_in(page, "Einzulösende Punkte", "5000")
    page.get_by_role("button", name="Guthaben für Pflege und Shop einlösen").click()
    status(page, "Nicht genug Punkte: Das Mitglied hat 1.250, nötig sind 5.000. Bitte lösen Sie weniger Punkte ein")
    page.screenshot(path=artefacts / "staff-member-redeem-beyond-balance.png")
    type_in(page, "Einzulösende Punkte", "200")
    choose(page, "Sonnenschutz LSF 50 (Shop)", 1)
    page.get_by_role("button", name="Guthaben für Pflege und Shop einlösen").click()
    status(page, "Guthaben für Pflege und Shop eingelöst: 200 Punkte eingelöst, Wert 20,00")
    status(page, "Noch 1.050 Punkte.")
    page.get_by_role("button", name="Lounge und Kaffee vor dem Termin einlösen").click()
    status(page, "Lounge und Kaffee vor dem Termin eingelöst: 150 Punkte eingelöst. Noch 900 Punkte.")
    page.screenshot(path=artefacts / "staff-member-redeem.png")


def test_a_forbidden_item_attempted_from_a_stale_page_is_refused_with_what_to_do(page, desk, artefacts):
    """The manager reclassifies an item while the page is open: the chip still shown is refused in words."""
    with station_db(desk):
        text = queries.newest_program()[1]
        store_program(text.replace('category = "retail"', 'category = "medical_device"'))
    try:
        choose(page, "Sonnenschutz LSF 50 (Shop)")
        type_in(page, "Betrag", "24,00")
        page.get_by_role("button", name="Punkte gutschreiben").click()
        status(page, "Keine Punkte für Medizinprodukt im Profil de-clinic")
        status(page, "Erfassen Sie eine Behandlung unter „Behandlung erfassen“ (ohne Punkte)")
        page.screenshot(path=artefacts / "staff-member-forbidden-purchase.png")
        type_in(page, "Einzulösende Punkte", "100")
        choose(page, "Sonnenschutz LSF 50 (Shop)", 1)
        page.get_by_role("button", name="Guthaben für Pflege und Shop einlösen").click()
        status(page, "Prämien auf Medizinprodukte sind nach HWG §7 begrenzt. Bieten Sie stattdessen einen Vorteil")
        page.screenshot(path=artefacts / "staff-member-forbidden-redeem.png")
        status(page, "900 Punkte")                                                    # nothing was written
    finally:
        with station_db(desk):
            store_program(text)
    open_member(page, "greta", "Greta Grünwald")


def test_note_is_saved_with_a_confirmation(page, desk, artefacts):
    type_in(page, "Notiz für das Team", "Bevorzugt Termine am Vormittag")
    page.get_by_role("button", name="Notiz speichern").click()
    status(page, "Notiz gespeichert.")
    with station_db(desk):
        assert Member.get(Member.email == "greta@example.org").note == "Bevorzugt Termine am Vormittag"


def test_refund_takes_points_back_in_part_and_in_full_and_refuses_more_than_was_bought(page, artefacts):
    open_member(page, "hanna", "Hanna Hoff")
    choose(page, "Sonnenschutz LSF 50 (Shop)")
    type_in(page, "Betrag", "30")
    page.get_by_role("button", name="Punkte gutschreiben").click()
    status(page, "+30 Punkte, insgesamt 80.")
    page.get_by_role("button", name="Erstatten").click()
    expect(page.get_by_text(re.compile(r"über 30,00\s€ erstatten \(noch erstattbar: 30,00\s€\)"))).to_be_visible()
    type_in(page, "Zu erstattender Betrag", "100")
    page.get_by_role("button", name="Erstattung buchen").click()
    status(
        page,
        "Von diesem Kauf können höchstens noch 30,00 € erstattet werden. Bitte geben Sie einen kleineren Betrag ein.",
    )
    page.screenshot(path=artefacts / "staff-member-refund-too-much.png")
    type_in(page, "Zu erstattender Betrag", "10")
    page.get_by_role("button", name="Erstattung buchen").click()
    status(page, "Erstattet: 10,00 €, -10 Punkte, insgesamt 70.")
    page.get_by_role("button", name="Rückgängig").click()                     # a refund typed by mistake
    status(page, "Rückgängig gemacht: +10 Punkte, insgesamt 80.")
    page.get_by_role("button", name="Erstatten").click()
    expect(page.get_by_text(re.compile(r"noch erstattbar: 30,00\s€"))).to_be_visible()
    type_in(page, "Zu erstattender Betrag", "10")
    page.get_by_role("button", name="Erstattung buchen").click()
    status(page, "Erstattet: 10,00 €, -10 Punkte, insgesamt 70.")
    page.screenshot(path=artefacts / "staff-member-refund-part.png")
    page.get_by_role("button", name="Erstatten").click()
    expect(page.get_by_text(re.compile(r"über 30,00\s€ erstatten \(noch erstattbar: 20,00\s€\)"))).to_be_visible()
    page.screenshot(path=artefacts / "staff-member-refund-ask.png")
    page.get_by_role("button", name="Erstattung buchen").click()                   # the rest, as filled in
    status(page, "Erstattet: 20,00 €, -20 Punkte, insgesamt 50.")
    expect(page.get_by_role("button", name="Erstatten")).to_have_count(0)            # nothing left to refund
    expect(page.get_by_text(re.compile(r"Hanna Hoff\s*50 Punkte\s"))).to_be_visible()
    page.screenshot(path=artefacts / "staff-member-refund.png")


def test_membership_join_use_cancel(page, artefacts):
    open_member(page, "hanna", "Hanna Hoff")
    choose(page, "Premium · 99,00 €")
    page.get_by_role("button", name="Tarif abschließen").click()
    status(page, "Premium abgeschlossen; verlängert sich am")
    expect(page.get_by_text("Kosmetische Gesichtsbehandlung: noch 1 in diesem Zeitraum")).to_be_visible()
    page.get_by_role("button", name="Kosmetische Gesichtsbehandlung nutzen").click()
    status(page, "Kosmetische Gesichtsbehandlung genutzt; noch 0 in diesem Zeitraum.")
    page.screenshot(path=artefacts / "staff-membership.png")
    page.get_by_role("button", name="Tarif kündigen").click()
    status(page, "Premium gekündigt.")


def test_consents_show_when_given_and_record_a_new_consent_and_a_withdrawal(page, desk, artefacts):
    open_member(page, "hanna", "Hanna Hoff")
    expect(page.get_by_text(re.compile(r"Bonusprogramm: erteilt am \d"))).to_be_visible()
    expect(page.get_by_text("Angebote: nie erteilt")).to_be_visible()
    page.get_by_role("button", name="Einwilligung für Angebote erfassen").click()
    status(page, "Einwilligung für Angebote erfasst (")
    expect(page.get_by_text(re.compile(r"Angebote: erteilt am \d"))).to_be_visible()
    page.get_by_role("button", name="Widerruf für Angebote erfassen").click()
    status(page, "Widerruf für Angebote erfasst (")
    expect(page.get_by_text(re.compile(r"Angebote: widerrufen am \d"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"Angebote erteilt am [^()]+ \(am Empfang, Empfang\)"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"Angebote widerrufen am [^()]+ \(am Empfang, Empfang\)"))).to_be_visible()
    bring_into_view(page, page.get_by_role("button", name="Einwilligung für Angebote erfassen"), "right")
    page.screenshot(path=artefacts / "staff-member-consents.png")
    with station_db(desk):
        hanna = Member.get(Member.email == "hanna@example.org").id
        assert consents(hanna) == {"program": True, "marketing": False, "care": False}


def test_reissue_card_by_pdf_email_and_printer_and_the_old_code_stops(page, desk, mail, printer, artefacts):
    open_member(page, "anna", "Anna Schmidt")
    page.get_by_role("button", name="Karte neu ausstellen").click()
    status(page, "Neue Karte ausgestellt; der alte Code gilt nicht mehr.")
    expect(page.get_by_role("img", name="QR-Code der neuen Karte")).to_be_visible()
    link = page.get_by_text(re.compile(r"^/download/")).first.text_content()
    with urllib.request.urlopen(desk.base + link.strip()) as response:
        assert response.read(4) == b"%PDF"
    with station_db(desk):
        anna = Member.get(Member.first_name == "Anna")
        new_token, address = card_token(anna.id), anna.email
        old = check_in(desk.tokens["Anna"], Actor(device_id()))
        assert old.status == "revoked" and old.member is None
    page.get_by_role("button", name=f"Per E-Mail an {address} senden").click()
    status(page, f"Die neue Karte wurde an {address} gesendet.")
    [sent] = [m for m in mail.to(address) if "Bonuskarte" in m.subject]     # the station also sends reminders
    assert sent.subject == "Ihre neue Bonuskarte, Anna" and new_token in sent.text
    assert desk.tokens["Anna"] not in sent.text and sent.images() and sent.images()[0][:4] == b"\x89PNG"
    page.get_by_role("button", name="Am Bondrucker drucken").click()
    status(page, "Die neue Karte wurde an den Bondrucker gesendet.")
    assert printer.received.wait(10)
    assert new_token.encode() in printer.jobs[-1] and printer.jobs[-1].startswith(b"\x1b@")
    bring_into_view(page, page.get_by_role("button", name="Am Bondrucker drucken"), "left")
    page.screenshot(path=artefacts / "staff-member-reissue.png")


def test_reissue_e_mail_refused_in_words_when_the_mail_server_refuses(page, mail, artefacts):
    def refuse(message) -> None:
        raise RuntimeError("mailbox unavailable")

    mail.on_data = refuse                   # aiosmtpd answers the DATA with an error
    try:
        page.get_by_role("button", name="Karte neu ausstellen").click()
        status(page, "Neue Karte ausgestellt")
        page.get_by_role("button", name=re.compile("^Per E-Mail an")).click()
        status(page, "Die E-Mail mit der Karte konnte nicht gesendet werden. Bitte drucken Sie die Karte aus")
        page.screenshot(path=artefacts / "staff-member-reissue-mail-refused.png")
    finally:
        mail.on_data = None


def test_member_page_in_english_formats_figures_in_the_locale(page, artefacts):
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("button", name="Deutsch")).to_be_visible()
    try:
        page.get_by_role("button", name=re.compile("^Desk")).click()
        type_in(page, "Search by name", "greta")
        opened = page.get_by_text("Award points for a purchase")
        for _ in range(3):
            page.get_by_role("button", name=re.compile("^Greta Grünwald")).first.click()
            try:
                expect(opened).to_be_visible(timeout=3000)
                break
            except AssertionError:
                continue
        expect(
            page.get_by_text("5 rewards ready – the biggest: Credit on skincare and shop (500 points)")
        ).to_be_visible()
        expect(chips(page, "Hyaluronic filler (Physician service)")).to_have_count(1)
        type_in(page, "Points to use", "5000")
        page.get_by_role("button", name="Redeem Credit on skincare and shop").click()
        status(
            page,
            "Not enough points: the member has 900, this needs 5,000. Redeem fewer points or choose another reward.",
        )
        page.screenshot(path=artefacts / "staff-member-en-refused.png")
        page.get_by_role("button", name="Refund").first.click()
        type_in(page, "Amount to refund", "5000")
        page.get_by_role("button", name="Book the refund").click()
        status(page, "At most €1,200.00 of this purchase can still be refunded. Please enter a smaller amount.")
        page.screenshot(path=artefacts / "staff-member-en-refund-refused.png")
        page.get_by_role("button", name="Cancel").click()
        expect(page.get_by_text(re.compile(r"Loyalty program: given on \d"))).to_be_visible()
        bring_into_view(page, page.get_by_role("button", name="Record consent: Reminders and aftercare"), "right")
        page.screenshot(path=artefacts / "staff-member-en-consents.png")
    finally:
        page.get_by_role("button", name="Deutsch").click()


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
