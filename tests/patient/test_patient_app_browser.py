"""The patients' app end to end at phone size in headless Chromium, against a real HQ process on
PostgreSQL and a real station process syncing with it: sign-in by an e-mailed code, the card and
balance after the station's check-in syncs, wrong, expired and reused codes, two members on two
phones, the app installable, and the card shown without a connection."""
from __future__ import annotations

import re

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from loyalty.services import award_purchase, check_in
from loyalty.store import Appointment, ErasureRequest, FollowUp, LedgerEntry
from sync.hq.db import AppCode, AppPhoto, AppSession, hq_db
from sync.hq.patients.home import home
from tests.browser import load_after_autofocus, shot, station_process, switch_language

from patient_helpers import (
    answered_at_hq,
    app_page,
    arrived_at_hq,
    code_in,
    erased_at_hq,
    exif_photo,
    linked_station,
    member_at,
    member_at_home,
    open_tab,
    pulled_by_station,
    sign_in_by_mail,
    staff_page,
    treated_days_ago,
    type_in,
    wait_for_mail,
)

pytestmark = pytest.mark.browser


def test_sign_in_by_e_mailed_code_then_card_and_balance_after_the_station_check_in(browser, hq, smtp, tmp_path,
                                                                                  artefacts):
    station = linked_station(tmp_path / "station", hq)
    anna, token = member_at_home(station, "Anna", "anna@example.org")
    with station_process(station.home, demo=False, apps="kiosk"):
        arrived_at_hq("member", anna)
        page = app_page(browser, hq)
        shot(page, artefacts / "patient-signin-phone.png")
        sign_in_by_mail(page, smtp, "anna@example.org")
        expect(page.get_by_text("Hallo Anna")).to_be_visible()
        expect(page.get_by_text("50 Punkte", exact=True)).to_be_visible()
        expect(page.get_by_text("0 von 10 Stempeln")).to_be_visible()
        expect(page.get_by_role("img", name="Ihre Bonuskarte als QR-Code")).to_be_visible()
        shot(page, artefacts / "patient-card-phone.png")

        with station.opened():                       # Anna holds her card up at the kiosk
            check_in(token, station.device)
            visit = LedgerEntry.get((LedgerEntry.member == anna) & (LedgerEntry.kind == "visit")).id
        arrived_at_hq("ledger_entry", visit)
        page.reload()                                # the same phone: still signed in
        page.wait_for_selector("flt-semantics-placeholder", state="attached")
        page.locator("flt-semantics-placeholder").dispatch_event("click")
        expect(page.get_by_text("1 von 10 Stempeln")).to_be_visible()
        page.get_by_role("button", name="Ihre Besuche und Punkte").click()
        expect(page.get_by_text("Bisherige Besuche: 1")).to_be_visible()
        expect(page.get_by_text("Besuch", exact=True)).to_be_visible()
        shot(page, artefacts / "patient-history-phone.png")
        page.set_viewport_size({"width": 1280, "height": 800})
        open_tab(page, "Karte")
        expect(page.get_by_text("1 von 10 Stempeln")).to_be_visible()
        shot(page, artefacts / "patient-card-tablet.png")
        page.context.close()


def test_wrong_expired_and_reused_codes_are_refused(browser, hq, smtp, tmp_path, template):
    node = template.node(tmp_path, "a", hq)
    member_at(node, "Anna")
    node.sync()
    page = app_page(browser, hq)
    type_in(page, "E-Mail-Adresse oder Handynummer", "anna@example.org")
    page.get_by_role("button", name="Code zusenden").click()
    mail = wait_for_mail(smtp, "anna@example.org", 0)
    code = code_in(mail)
    type_in(page, "6-stelliger Code", f"{(int(code) + 1) % 10 ** 6:06d}")
    page.get_by_role("button", name="Anmelden", exact=True).click()
    expect(page.get_by_text("Dieser Code stimmt nicht.", exact=False)).to_be_visible()

    with hq_db.connection_context():                 # ten minutes later
        AppCode.update(expires_at=AppCode.created_at - 1).execute()
    type_in(page, "6-stelliger Code", code)
    page.get_by_role("button", name="Anmelden", exact=True).click()
    expect(page.get_by_text("Dieser Code ist abgelaufen.", exact=False)).to_be_visible()

    page.get_by_role("button", name="Neuen Code anfordern").click()
    code = code_in(wait_for_mail(smtp, "anna@example.org", 1))
    type_in(page, "6-stelliger Code", code)
    page.get_by_role("button", name="Anmelden", exact=True).click()
    expect(page.get_by_text("Hallo Anna")).to_be_visible()
    open_tab(page, "Mehr")
    page.get_by_role("button", name="Abmelden", exact=True).click()
    expect(page.get_by_text("Sie sind abgemeldet.")).to_be_visible()
    type_in(page, "E-Mail-Adresse oder Handynummer", "anna@example.org")
    page.get_by_role("button", name="Code zusenden").click()
    type_in(page, "6-stelliger Code", code)
    page.get_by_role("button", name="Anmelden", exact=True).click()
    expect(page.get_by_text("Dieser Code wurde bereits verwendet.", exact=False)).to_be_visible()
    page.context.close()


def test_two_members_on_two_phones_see_only_their_own(browser, hq, smtp, tmp_path, template, artefacts):
    node = template.node(tmp_path, "a", hq)
    anna = member_at(node, "Anna")
    member_at(node, "Ben")
    award_purchase(anna, 20000, node.receptionist, item_code="serum")
    node.sync()
    phones = {}
    for name, address in (("Anna", "anna@example.org"), ("Ben", "ben@example.org")):
        page = app_page(browser, hq)
        sign_in_by_mail(page, smtp, address)
        expect(page.get_by_text(f"Hallo {name}")).to_be_visible()
        phones[name] = page
    expect(phones["Anna"].get_by_text("250 Punkte", exact=True)).to_be_visible()
    expect(phones["Ben"].get_by_text("50 Punkte", exact=True)).to_be_visible()
    expect(phones["Ben"].get_by_text("Hallo Anna")).to_have_count(0)
    phones["Ben"].get_by_role("tab", name="Mehr").click()
    expect(phones["Ben"].get_by_text("Dieses Gerät")).to_be_visible()
    expect(phones["Ben"].get_by_role("button", name=re.compile("abmelden$"))).to_have_count(0)   # no device of Anna's
    shot(phones["Ben"], artefacts / "patient-more-phone.png")
    switch_language(phones["Ben"], "English")             # in the top bar, on every screen
    phones["Ben"].get_by_role("tab", name="Card").click()
    expect(phones["Ben"].get_by_text("Hello Ben")).to_be_visible()
    expect(phones["Ben"].get_by_text("50 points", exact=True)).to_be_visible()
    shot(phones["Ben"], artefacts / "patient-card-english-phone.png")
    for page in phones.values():
        page.context.close()


def test_the_app_is_installable_and_shows_the_card_offline(browser, hq, smtp, tmp_path, template, artefacts):
    node = template.node(tmp_path, "a", hq)
    anna = member_at(node, "Anna")
    node.sync()
    page = app_page(browser, hq, profile=tmp_path / "phone")
    sign_in_by_mail(page, smtp, "anna@example.org")
    expect(page.get_by_role("img", name="Ihre Bonuskarte als QR-Code")).to_be_visible()
    cdp = page.context.new_cdp_session(page)
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["errors"] == [] and manifest["url"].endswith("/app/manifest.json")
    assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    controlled = page.evaluate("navigator.serviceWorker.ready.then(r => r.active.scriptURL)")
    assert "/app/flutter_service_worker.js" in controlled
    page.wait_for_function("caches.open('loyalty-app-v1').then(c => c.match('card/last.png')).then(r => !!r)")

    page.context.set_offline(True)
    page.reload()
    expect(page.get_by_text("Ihre Bonuskarte", exact=True)).to_be_visible()
    page.wait_for_function("document.getElementById('card').naturalWidth > 0")
    shot(page, artefacts / "patient-card-offline-phone.png")
    picture = Image.open(artefacts / "patient-card-offline-phone.png")
    with hq_db.connection_context():
        token = home(anna).card_token
    assert [r.text for r in zxingcpp.read_barcodes(picture)] == [token]
    page.context.set_offline(False)
    page.context.close()


def test_a_patient_signs_in_when_the_accessibility_tree_comes_after_the_autofocus(browser, hq, smtp, tmp_path,
                                                                                 artefacts):
    """A screen reader switches Flutter's accessibility tree on after the page has drawn; the address
    field has taken its autofocus by then, and Flutter edits in its own box, not in the field's node.
    A loaded test machine met that order once (the run failed on the address): here it is made
    every time, and the sign-in still works."""
    station = linked_station(tmp_path / "station", hq)
    anna, _ = member_at_home(station, "Anna", "anna@example.org")
    with station_process(station.home, demo=False, apps="staff"):
        arrived_at_hq("member", anna)
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="de-DE")
        try:
            phone = context.new_page()
            load_after_autofocus(phone, hq.url + "/app/")
            sign_in_by_mail(phone, smtp, "anna@example.org")
            expect(phone.get_by_role("tab", name="Termine")).to_be_visible()
            shot(phone, artefacts / "patient-signed-in-tree-after-autofocus-phone.png")
        finally:
            context.close()


def test_an_appointment_request_confirmed_at_the_desk_is_seen_in_the_app(browser, hq, smtp, tmp_path, artefacts):
    station = linked_station(tmp_path / "station", hq)
    anna, _ = member_at_home(station, "Anna", "anna@example.org")
    with station_process(station.home, demo=False, apps="staff") as base:
        arrived_at_hq("member", anna)
        phone = app_page(browser, hq)
        sign_in_by_mail(phone, smtp, "anna@example.org")
        open_tab(phone, "Termine")
        phone.get_by_role("checkbox", name="Mo", exact=True).click()
        phone.get_by_role("checkbox", name="vormittags", exact=True).click()
        expect(phone.get_by_role("checkbox", name="vormittags", exact=True)).to_be_checked()
        type_in(phone, "Eine Anmerkung für die Rezeption (optional)", "Gern nach 9 Uhr")
        phone.get_by_role("button", name="Anfrage senden").click()
        expect(phone.get_by_text("Vielen Dank: Ihre Anfrage wurde gesendet.", exact=False)).to_be_visible()
        expect(phone.get_by_text("Wartet auf die Antwort der Rezeption")).to_be_visible()
        shot(phone, artefacts / "patient-appointment-requested-phone.png")
        requested = pulled_by_station(station, Appointment)

        desk = staff_page(browser, base)
        desk.get_by_role("button", name=re.compile("^Termine Tab")).click()
        expect(desk.get_by_text("Neue Anfrage")).to_be_visible()
        expect(desk.get_by_text("„Gern nach 9 Uhr“")).to_be_visible()
        type_in(desk, "Datum für Anna", "7.12.2031")
        type_in(desk, "Uhrzeit für Anna", "9:30")
        shot(desk, artefacts / "staff-appointment-request-tablet.png")
        desk.get_by_role("button", name="Für Anna bestätigen").click()
        expect(desk.get_by_text("Termin für Anna bestätigt", exact=False)).to_be_visible()
        desk.close()

        answered_at_hq(requested, "confirmed")
        mail = wait_for_mail(smtp, "anna@example.org", 1)
        assert "Ihr Termin ist bestätigt" in mail.subject and "Sonntag, 7. Dezember 2031, 09:30" in mail.text
        open_tab(phone, "Karte")
        open_tab(phone, "Termine")
        expect(phone.get_by_text("Bestätigt: Sonntag, 7. Dezember 2031, 09:30")).to_be_visible()
        expect(phone.get_by_role("button", name="In den Kalender")).to_be_visible()
        shot(phone, artefacts / "patient-appointment-confirmed-phone.png")
        open_tab(phone, "Nachrichten")
        expect(phone.get_by_text("Anna, Ihr Termin ist bestätigt")).to_be_visible()
        expect(phone.get_by_text(re.compile("Gesendet per E-Mail"))).to_be_visible()
        shot(phone, artefacts / "patient-inbox-phone.png")
        phone.context.close()


def test_a_day_14_photo_reaches_the_clinicians_follow_up_and_is_gone_after_erasure(browser, hq, smtp, tmp_path,
                                                                                     artefacts):
    station = linked_station(tmp_path / "station", hq)
    anna, _ = member_at_home(station, "Anna", "anna@example.org")
    treatment = treated_days_ago(station, anna, 15)
    picture = tmp_path / "ergebnis.jpg"
    picture.write_bytes(exif_photo())
    with station_process(station.home, demo=False, apps="staff") as base:
        arrived_at_hq("treatment", treatment)
        phone = app_page(browser, hq)
        sign_in_by_mail(phone, smtp, "anna@example.org")
        open_tab(phone, "Nachsorge")
        expect(phone.get_by_text(re.compile(r"^Sind Sie mit dem Ergebnis Ihres Besuchs am .* zufrieden\?$"))
               ).to_be_visible()
        expect(phone.get_by_text(re.compile(r"^Wie geht es Ihnen nach Ihrem Besuch am"))).to_be_visible()
        with phone.expect_file_chooser() as chooser:
            phone.get_by_role("button", name="Foto aufnehmen oder auswählen").click()
        chooser.value.set_files(picture)
        expect(phone.get_by_role("img", name="Ihr Foto 1")).to_be_visible(timeout=20_000)
        shot(phone, artefacts / "patient-result-check-phone.png")
        phone.get_by_role("checkbox", name="Gut").first.click()           # the result check comes first
        phone.get_by_role("button", name="Antwort senden").first.click()
        expect(phone.get_by_text("Vielen Dank für Ihre Antwort.")).to_be_visible()
        follow_up = pulled_by_station(station, FollowUp)

        desk = staff_page(browser, base)
        desk.get_by_role("button", name=re.compile("^Nachsorge Tab")).click()
        expect(desk.get_by_text("Ergebniskontrolle mit Fotos aus der App", exact=False)).to_be_visible()
        desk.get_by_role("button", name="Fotos von Anna ansehen (1)").click()
        expect(desk.get_by_role("img", name="Foto 1 von Anna")).to_be_visible()
        shot(desk, artefacts / "staff-aftercare-photo-tablet.png")
        desk.get_by_role("button", name="Schließen").click()

        open_tab(phone, "Mehr")
        phone.get_by_role("button", name="Löschung meiner Daten beantragen").click()
        phone.get_by_role("button", name="Ja, Löschung beantragen").click()
        expect(phone.get_by_text(re.compile("^Ihre Löschanfrage ist am .* eingegangen"))).to_be_visible()
        shot(phone, artefacts / "patient-erasure-requested-phone.png")
        pulled_by_station(station, ErasureRequest)
        desk.get_by_role("button", name=re.compile("^Datenschutz Tab")).click()
        expect(desk.get_by_text("Löschanfragen aus der App")).to_be_visible()
        shot(desk, artefacts / "staff-erasure-request-tablet.png")
        desk.get_by_role("button", name="Anna wie gewünscht löschen").click()
        desk.get_by_role("button", name="Endgültig löschen").click()
        expect(desk.get_by_text("Die personenbezogenen Daten des Mitglieds", exact=False)).to_be_visible()
        erased_at_hq(anna)
        with hq_db.connection_context():
            assert not AppPhoto.select().exists() and not AppSession.select().exists()
        desk.get_by_role("button", name=re.compile("^Nachsorge Tab")).click()
        expect(desk.get_by_text(re.compile("^Keine offenen|Ergebniskontrolle mit Fotos", re.I)).first).to_be_visible()
        expect(desk.get_by_role("button", name=re.compile("^Fotos von"))).to_have_count(0)
        desk.close()
        phone.reload()
        phone.wait_for_selector("flt-semantics-placeholder", state="attached")
        phone.locator("flt-semantics-placeholder").dispatch_event("click")
        expect(phone.get_by_role("button", name="Code zusenden")).to_be_visible()      # signed out everywhere
        phone.context.close()
    assert follow_up
