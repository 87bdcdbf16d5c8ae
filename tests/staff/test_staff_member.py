"""The member page end to end: points, undo, treatment and recall, rewards and their refusals
under de-clinic, refunds, membership, card reissue (asked first) by PDF, e-mail and receipt
printer, consents, alerts for the manager, enrolment. Each test opens its own page and works on
members of its own.

The station sends mail to a real SMTP server on 127.0.0.1 (aiosmtpd) and prints to a TCP server
that keeps the ESC/POS bytes, as a network receipt printer on port 9100 would receive them.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from loyalty.services import Actor, card_token, check_in, consents, device_id, find_card, store_program
from loyalty.services import redeem as redeem_reward
from loyalty.services import refund as refund_purchase
from loyalty.store import LedgerEntry, Member, queries
from tests.browser import resize, shot, switch_language, wait_until
from tests.printer import PrinterServer
from tests.retention.retention_smtp import SmtpSink
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
    station_toml = (f'[smtp]\nhost = "127.0.0.1"\nport = {mail.port}\nfrom = "praxis@example.org"\n'
                    f'security = "none"\ntimeout = 10\n\n[printer]\nhost = "127.0.0.1"\nport = {printer.port}\n'
                    'timeout = 5\n')
    with desk_server(tmp_path_factory, station_toml=station_toml) as d:
        yield d


def choose(page, option: str, nth: int = 0) -> None:
    """Tap a choice chip (the nth one of that name: the same item can be offered in several boxes)."""
    chip = page.get_by_role("checkbox", name=option).nth(nth)
    chip.click()
    expect(chip).to_be_checked()


def chips(page, name: str):
    return page.get_by_role("checkbox", name=name)


def bring_into_view(page, locator, column: str) -> None:
    """Scroll the member page's left or right column with the mouse wheel until `locator` is on
    screen, waiting after each turn of the wheel until the page has moved."""
    height = page.viewport_size["height"]
    page.mouse.move(400 if column == "left" else 980, height - 200)
    for _ in range(12):
        box = locator.bounding_box()
        if box and box["y"] >= 130 and box["y"] + box["height"] <= height:
            return
        page.mouse.wheel(0, 350 if box is None or box["y"] > 130 else -350)
        wait_until(lambda before=box: locator.bounding_box() != before, page)


def test_award_points_confirms_in_words_and_undo_reverses(reception, desk, artefacts):
    greta = desk.member("Greta", "Grünwald")
    open_member(reception, greta)
    choose(reception, "Hyaluron-Serum 30 ml (Kosmetik)")
    type_in(reception, "Betrag", "49,90")
    reception.get_by_role("button", name="Punkte gutschreiben").click()
    status(reception, "+49 Punkte, insgesamt 99.")
    shot(reception, artefacts / "staff-award.png")
    reception.get_by_role("button", name="Rückgängig").click()
    status(reception, "Rückgängig gemacht: -49 Punkte, insgesamt 50.")
    choose(reception, "Sonnenschutz LSF 50 (Shop)")
    type_in(reception, "Betrag", "1.200")
    reception.get_by_role("button", name="Punkte gutschreiben").click()
    status(reception, "+1.200 Punkte, insgesamt 1.250.")
    type_in(reception, "Betrag", "zwölf")
    reception.get_by_role("button", name="Punkte gutschreiben").click()
    status(reception, "Bitte geben Sie den Betrag in Euro ein")


def test_purchase_picker_offers_only_items_that_earn_points(reception, desk, artefacts):
    """Under de-clinic a purchase never offers a physician service, a medical device or a medicine."""
    open_member(reception, desk.member("Paula", "Pickert", spent_cents=120000))
    expect(
        reception.get_by_text("Ärztliche Leistungen, Medizinprodukte und Arzneimittel sammeln keine Punkte")
    ).to_be_visible()
    expect(chips(reception, "Hyaluron-Filler (Ärztliche Leistung)")).to_have_count(1)       # the treatment box only
    expect(chips(reception, "Kühlmaske nach Behandlung (Medizinprodukt)")).to_have_count(0)
    expect(chips(reception, "Sonnenschutz LSF 50 (Shop)")).to_have_count(2)                 # purchase and credit
    shot(reception, artefacts / "staff-member-purchase-picker.png")


def test_treatment_sets_recall_shown_to_staff_by_treatment(reception, desk, artefacts):
    open_member(reception, desk.member("Theo", "Tannert"))
    choose(reception, "Botulinumtoxin-Behandlung (Ärztliche Leistung)")
    reception.get_by_role("button", name="Behandlung erfassen").click()
    status(reception, "Botulinumtoxin-Behandlung erfasst. Wiedervorstellung am")
    status(reception, "Keine Punkte")
    expect(reception.get_by_text(re.compile(r"^Botulinumtoxin-Behandlung: fällig am"))).to_be_visible()
    shot(reception, artefacts / "staff-treatment-recall.png")


def test_header_shows_the_count_and_the_biggest_reward_on_tablet_and_desktop(reception, desk, artefacts):
    open_member(reception, desk.member("Helga", "Hertel", spent_cents=120000))
    headline = reception.get_by_text("5 Prämien bereit – die größte: Guthaben für Pflege und Shop (500 Punkte)")
    expect(headline).to_be_visible()
    also = reception.get_by_text(re.compile("^Außerdem bereit: Hyaluron-Serum gratis"))
    expect(also).to_be_visible()
    for width, height, name in ((1280, 800, "tablet"), (1920, 1080, "desktop")):
        resize(reception, width, height)
        expect(headline).to_be_visible()
        for line in (headline, also):
            box = line.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"{name}: header runs off the screen"
        shot(reception, artefacts / f"staff-member-header-{name}.png")


def test_redeem_offers_only_allowed_items_refuses_beyond_balance_and_redeems_in_part(reception, desk, artefacts):
    open_member(reception, desk.member("Rosa", "Rabe", spent_cents=120000))
    expect(chips(reception, "Hyaluron-Filler (Ärztliche Leistung)")).to_have_count(1)       # not "für Artikel"
    expect(chips(reception, "Kosmetische Gesichtsbehandlung (Kosmetik)")).to_have_count(3)  # award, treatment, credit
    type_in(reception, "Einzulösende Punkte", "5000")
    reception.get_by_role("button", name="Guthaben für Pflege und Shop einlösen").click()
    status(reception, "Nicht genug Punkte: Das Mitglied hat 1.250, nötig sind 5.000. "
                      "Bitte lösen Sie weniger Punkte ein")
    shot(reception, artefacts / "staff-member-redeem-beyond-balance.png")
    type_in(reception, "Einzulösende Punkte", "200")
    choose(reception, "Sonnenschutz LSF 50 (Shop)", 1)
    reception.get_by_role("button", name="Guthaben für Pflege und Shop einlösen").click()
    status(reception, "Guthaben für Pflege und Shop eingelöst: 200 Punkte eingelöst, Wert 20,00")
    status(reception, "Noch 1.050 Punkte.")
    reception.get_by_role("button", name="Lounge und Kaffee vor dem Termin einlösen").click()
    status(reception, "Lounge und Kaffee vor dem Termin eingelöst: 150 Punkte eingelöst. Noch 900 Punkte.")
    shot(reception, artefacts / "staff-member-redeem.png")


def test_a_forbidden_item_attempted_from_a_stale_page_is_refused_with_what_to_do(reception, desk, artefacts):
    """The manager reclassifies an item while the page is open: the chip still shown is refused in words."""
    stella = desk.member("Stella", "Stahl", spent_cents=85000)
    open_member(reception, stella)
    status(reception, "900 Punkte")
    with desk.db():
        text = queries.newest_program()[1]
        store_program(text.replace('category = "retail"', 'category = "medical_device"'))
    try:
        choose(reception, "Sonnenschutz LSF 50 (Shop)")
        type_in(reception, "Betrag", "24,00")
        reception.get_by_role("button", name="Punkte gutschreiben").click()
        status(reception, "Keine Punkte für Medizinprodukt im Profil de-clinic")
        status(reception, "Erfassen Sie eine Behandlung unter „Behandlung erfassen“ (ohne Punkte)")
        shot(reception, artefacts / "staff-member-forbidden-purchase.png")
        type_in(reception, "Einzulösende Punkte", "100")
        choose(reception, "Sonnenschutz LSF 50 (Shop)", 1)
        reception.get_by_role("button", name="Guthaben für Pflege und Shop einlösen").click()
        status(reception, "Prämien auf Medizinprodukte sind nach HWG §7 begrenzt. Bieten Sie stattdessen einen Vorteil")
        shot(reception, artefacts / "staff-member-forbidden-redeem.png")
    finally:
        with desk.db():
            store_program(text)
    with desk.db():                                                                  # nothing was written
        assert LedgerEntry.select().where(LedgerEntry.member == stella.member_id).count() == 2


def test_note_is_saved_with_a_confirmation(reception, desk):
    nina = desk.member("Nina", "Notz")
    open_member(reception, nina)
    type_in(reception, "Notiz für das Team", "Bevorzugt Termine am Vormittag")
    reception.get_by_role("button", name="Notiz speichern").click()
    status(reception, "Notiz gespeichert.")
    with desk.db():
        assert Member.get_by_id(nina.member_id).note == "Bevorzugt Termine am Vormittag"


def test_refund_takes_points_back_in_part_and_in_full_and_refuses_more_than_was_bought(reception, desk, artefacts):
    hanna = desk.member("Hanna", "Hoff")
    open_member(reception, hanna)
    choose(reception, "Sonnenschutz LSF 50 (Shop)")
    type_in(reception, "Betrag", "30")
    reception.get_by_role("button", name="Punkte gutschreiben").click()
    status(reception, "+30 Punkte, insgesamt 80.")
    reception.get_by_role("button", name="Erstatten").click()
    expect(reception.get_by_text(re.compile(r"über 30,00\s€ erstatten \(noch erstattbar: 30,00\s€\)"))).to_be_visible()
    type_in(reception, "Zu erstattender Betrag", "100")
    reception.get_by_role("button", name="Erstattung buchen").click()
    status(reception, "Von diesem Kauf können höchstens noch 30,00 € erstattet werden. "
                      "Bitte geben Sie einen kleineren Betrag ein.")
    shot(reception, artefacts / "staff-member-refund-too-much.png")
    type_in(reception, "Zu erstattender Betrag", "10")
    reception.get_by_role("button", name="Erstattung buchen").click()
    status(reception, "Erstattet: 10,00 €, -10 Punkte, insgesamt 70.")
    reception.get_by_role("button", name="Rückgängig").click()                     # a refund typed by mistake
    status(reception, "Rückgängig gemacht: +10 Punkte, insgesamt 80.")
    reception.get_by_role("button", name="Erstatten").click()
    expect(reception.get_by_text(re.compile(r"noch erstattbar: 30,00\s€"))).to_be_visible()
    type_in(reception, "Zu erstattender Betrag", "10")
    reception.get_by_role("button", name="Erstattung buchen").click()
    status(reception, "Erstattet: 10,00 €, -10 Punkte, insgesamt 70.")
    shot(reception, artefacts / "staff-member-refund-part.png")
    reception.get_by_role("button", name="Erstatten").click()
    expect(reception.get_by_text(re.compile(r"über 30,00\s€ erstatten \(noch erstattbar: 20,00\s€\)"))).to_be_visible()
    reception.get_by_role("button", name="Erstattung buchen").click()                   # the rest, as filled in
    status(reception, "Erstattet: 20,00 €, -20 Punkte, insgesamt 50.")
    expect(reception.get_by_role("button", name="Erstatten")).to_have_count(0)            # nothing left to refund
    expect(reception.get_by_text(re.compile(r"Hanna Hoff\s*50 Punkte\s"))).to_be_visible()
    shot(reception, artefacts / "staff-member-refund.png")


def test_membership_join_use_cancel(reception, desk, artefacts):
    open_member(reception, desk.member("Mia", "Mahler"))
    choose(reception, "Premium · 99,00 €")
    reception.get_by_role("button", name="Tarif abschließen").click()
    status(reception, "Premium abgeschlossen; verlängert sich am")
    expect(reception.get_by_text("Kosmetische Gesichtsbehandlung: noch 1 in diesem Zeitraum")).to_be_visible()
    reception.get_by_role("button", name="Kosmetische Gesichtsbehandlung nutzen").click()
    status(reception, "Kosmetische Gesichtsbehandlung genutzt; noch 0 in diesem Zeitraum.")
    shot(reception, artefacts / "staff-membership.png")
    reception.get_by_role("button", name="Tarif kündigen").click()
    status(reception, "Premium gekündigt.")


def test_consents_show_when_given_and_record_a_new_consent_and_a_withdrawal(reception, desk, artefacts):
    clara = desk.member("Clara", "Conrad")
    open_member(reception, clara)
    expect(reception.get_by_text(re.compile(r"Bonusprogramm: erteilt am \d"))).to_be_visible()
    expect(reception.get_by_text("Angebote: nie erteilt")).to_be_visible()
    reception.get_by_role("button", name="Einwilligung für Angebote erfassen").click()
    status(reception, "Einwilligung für Angebote erfasst (")
    expect(reception.get_by_text(re.compile(r"Angebote: erteilt am \d"))).to_be_visible()
    reception.get_by_role("button", name="Widerruf für Angebote erfassen").click()
    status(reception, "Widerruf für Angebote erfasst (")
    expect(reception.get_by_text(re.compile(r"Angebote: widerrufen am \d"))).to_be_visible()
    expect(reception.get_by_text(re.compile(r"Angebote erteilt am [^()]+ \(am Empfang, Empfang\)"))).to_be_visible()
    expect(reception.get_by_text(re.compile(r"Angebote widerrufen am [^()]+ \(am Empfang, Empfang\)"))).to_be_visible()
    bring_into_view(reception, reception.get_by_role("button", name="Einwilligung für Angebote erfassen"), "right")
    shot(reception, artefacts / "staff-member-consents.png")
    with desk.db():
        assert consents(clara.member_id) == {"program": True, "marketing": False, "care": False}


def reissue(page) -> None:
    """Tap "Karte neu ausstellen" and confirm in the dialog that asks first."""
    page.get_by_role("button", name="Karte neu ausstellen").click()
    page.get_by_role("button", name="Neue Karte ausstellen").click()


def test_reissue_asks_first_and_cancel_keeps_the_old_card(reception, desk, artefacts):
    olga = desk.member("Olga", "Ortmann")
    open_member(reception, olga)
    reception.get_by_role("button", name="Karte neu ausstellen").click()
    expect(reception.get_by_text("Neue Karte für Olga ausstellen?")).to_be_visible()
    expect(reception.get_by_text("Die bisherige Karte von Olga gilt danach sofort nicht mehr", exact=False)
           ).to_be_visible()
    shot(reception, artefacts / "staff-member-reissue-ask.png")
    reception.get_by_role("button", name="Abbrechen").click()
    expect(reception.get_by_text("Neue Karte für Olga ausstellen?")).to_have_count(0)
    expect(reception.get_by_role("img", name="QR-Code der neuen Karte")).to_have_count(0)
    with desk.db():
        card, problem = find_card(olga.token)
        assert problem is None and card.member_id == olga.member_id          # the old card still works


def test_reissue_card_by_pdf_email_and_printer_and_the_old_code_stops(reception, desk, mail, printer, artefacts):
    anke = desk.member("Anke", "Arndt")
    open_member(reception, anke)
    reissue(reception)
    status(reception, "Neue Karte ausgestellt; der alte Code gilt nicht mehr.")
    expect(reception.get_by_role("img", name="QR-Code der neuen Karte")).to_be_visible()
    expect(reception.get_by_text(re.compile("/download/"))).to_have_count(0)           # no raw link on screen
    name, pdf, link = download(reception, reception.get_by_role("button", name="Karte drucken (PDF)"))
    assert name == "card.pdf" and pdf[:4] == b"%PDF" and used_up(link)
    with desk.db():
        new_token = card_token(anke.member_id)
        old = check_in(anke.token, Actor(device_id()))
        assert new_token != anke.token and old.status == "revoked" and old.member is None
    reception.get_by_role("button", name=f"Per E-Mail an {anke.email} senden").click()
    status(reception, f"Die neue Karte wurde an {anke.email} gesendet.")
    [sent] = [m for m in mail.to(anke.email) if "Bonuskarte" in m.subject]    # the station also sends reminders
    assert sent.subject == "Ihre neue Bonuskarte, Anke" and new_token in sent.text
    assert anke.token not in sent.text and sent.images() and sent.images()[0][:4] == b"\x89PNG"
    reception.get_by_role("button", name="Am Bondrucker drucken").click()
    status(reception, "Die neue Karte wurde an den Bondrucker gesendet.")
    wait_until(lambda: any(new_token.encode() in job for job in printer.jobs), reception)
    [job] = [job for job in printer.jobs if new_token.encode() in job]
    assert job.startswith(b"\x1b@")
    bring_into_view(reception, reception.get_by_role("button", name="Am Bondrucker drucken"), "left")
    shot(reception, artefacts / "staff-member-reissue.png")


def test_reissue_e_mail_refused_in_words_when_the_mail_server_refuses(reception, desk, mail, artefacts):
    def refuse(message) -> None:
        raise RuntimeError("mailbox unavailable")

    open_member(reception, desk.member("Emil", "Ebert"))
    mail.on_data = refuse                   # aiosmtpd answers the DATA with an error
    try:
        reissue(reception)
        status(reception, "Neue Karte ausgestellt")
        reception.get_by_role("button", name=re.compile("^Per E-Mail an")).click()
        status(reception, "Die E-Mail mit der Karte konnte nicht gesendet werden. Bitte drucken Sie die Karte aus")
        shot(reception, artefacts / "staff-member-reissue-mail-refused.png")
    finally:
        mail.on_data = None


def test_the_desk_reads_a_members_open_alert_in_words(reception, desk, artefacts):
    bruno = desk.member("Bruno", "Brandt", spent_cents=10000)
    with desk.db():
        desk_actor = desk.staff("Empfang")
        purchase = LedgerEntry.get((LedgerEntry.member == bruno.member_id) & (LedgerEntry.kind == "purchase"))
        redeem_reward(bruno.member_id, "lounge", desk_actor)
        refund_purchase(purchase.id, desk_actor)                           # 50 + 100 - 150 - 100 = -100
    open_member(reception, bruno)
    status(reception, "Hinweis für die Praxisleitung: Punktestand unter null seit ")
    expect(reception.get_by_text(re.compile(r"\(-100 Punkte\)\.$"))).to_be_visible()
    expect(reception.get_by_text("Die Praxisleitung prüft das; Sie können wie gewohnt weiterarbeiten.")).to_be_visible()
    expect(reception.get_by_role("button", name=re.compile("^Geprüft"))).to_have_count(0)   # the manager checks it
    shot(reception, artefacts / "staff-member-alert-reception.png")


def test_member_page_in_english_formats_figures_in_the_locale(reception, desk, artefacts):
    desk.member("Erik", "Engel", spent_cents=120000)
    switch_language(reception, "English")
    nav(reception, "Desk")
    type_in(reception, "Search by name", "engel")
    tap_until(reception.get_by_role("button", name=re.compile("^Erik Engel")).first,
              reception.get_by_text("Award points for a purchase"))
    expect(reception.get_by_text("5 rewards ready – the biggest: Credit on skincare and shop (500 points)")
           ).to_be_visible()
    expect(chips(reception, "Hyaluronic filler (Physician service)")).to_have_count(1)
    type_in(reception, "Points to use", "5000")
    reception.get_by_role("button", name="Redeem Credit on skincare and shop").click()
    status(reception,
           "Not enough points: the member has 1,250, this needs 5,000. Redeem fewer points or choose another reward.")
    shot(reception, artefacts / "staff-member-en-refused.png")
    reception.get_by_role("button", name="Refund").first.click()
    type_in(reception, "Amount to refund", "5000")
    reception.get_by_role("button", name="Book the refund").click()
    status(reception, "At most €1,200.00 of this purchase can still be refunded. Please enter a smaller amount.")
    shot(reception, artefacts / "staff-member-en-refund-refused.png")
    reception.get_by_role("button", name="Cancel").click()
    expect(reception.get_by_text(re.compile(r"Loyalty program: given on \d"))).to_be_visible()
    bring_into_view(reception, reception.get_by_role("button", name="Record consent: Reminders and aftercare"),
                    "right")
    shot(reception, artefacts / "staff-member-en-consents.png")


def test_enrol_on_the_members_behalf(reception, artefacts):
    reception.get_by_role("button", name="Neues Mitglied").click()
    type_in(reception, "Vorname", "Ilse")
    type_in(reception, "E-Mail", "ilse.imker@example.org")
    reception.get_by_role("button", name="Anlegen").click()
    status(reception, "Bitte stimmen Sie den Teilnahmebedingungen")      # no consent: refused, nothing written
    reception.get_by_role("checkbox", name=re.compile("Teilnahmebedingungen")).click()
    reception.get_by_role("checkbox", name=re.compile("mindestens 18")).click()
    shot(reception, artefacts / "staff-enrol-form.png")
    reception.get_by_role("button", name="Anlegen").click()
    status(reception, "Ilse ist jetzt Mitglied: 50 Willkommenspunkte.")
    expect(reception.get_by_text("Zurück zum Empfang")).to_be_visible()


def test_language_switch_to_english(reception, artefacts):
    switch_language(reception, "English")
    expect(field(reception, "Search by name")).to_be_visible()
    shot(reception, artefacts / "staff-english.png")
