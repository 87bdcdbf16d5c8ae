"""The patients' app end to end at phone size in headless Chromium, against a real HQ process on
PostgreSQL and a real station process syncing with it: sign-in by an e-mailed code, the card and
balance after the station's check-in syncs, wrong, expired and reused codes, two members on two
phones, the app installable, and the card shown without a connection."""
from __future__ import annotations

import io
import re

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from loyalty.services import award_purchase, check_in
from loyalty.store import LedgerEntry
from sync.hq.db import AppCode, hq_db
from sync.hq.patients.home import home
from tests.browser import station_process

from patient_helpers import (
    app_page,
    arrived_at_hq,
    code_in,
    linked_station,
    member_at,
    member_at_home,
    sign_in_by_mail,
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
        page.screenshot(path=artefacts / "patient-signin-phone.png")
        sign_in_by_mail(page, smtp, "anna@example.org")
        expect(page.get_by_text("Hallo Anna")).to_be_visible()
        expect(page.get_by_text("50 Punkte", exact=True)).to_be_visible()
        expect(page.get_by_text("0 von 10 Stempeln")).to_be_visible()
        expect(page.get_by_role("img", name="Ihre Bonuskarte als QR-Code")).to_be_visible()
        page.screenshot(path=artefacts / "patient-card-phone.png")

        with station.opened():                       # Anna holds her card up at the kiosk
            check_in(token, station.device)
            visit = LedgerEntry.get((LedgerEntry.member == anna) & (LedgerEntry.kind == "visit")).id
        arrived_at_hq("ledger_entry", visit)
        page.reload()                                # the same phone: still signed in
        page.wait_for_selector("flt-semantics-placeholder", state="attached")
        page.locator("flt-semantics-placeholder").dispatch_event("click")
        expect(page.get_by_text("1 von 10 Stempeln")).to_be_visible()
        page.get_by_role("tab", name="Verlauf").click()
        expect(page.get_by_text("Bisherige Besuche: 1")).to_be_visible()
        expect(page.get_by_text("Besuch", exact=True)).to_be_visible()
        page.screenshot(path=artefacts / "patient-history-phone.png")
        page.set_viewport_size({"width": 1280, "height": 800})
        page.get_by_role("tab", name="Karte").click()
        expect(page.get_by_text("1 von 10 Stempeln")).to_be_visible()
        page.screenshot(path=artefacts / "patient-card-tablet.png")
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
    page.get_by_role("tab", name="Mehr").click()
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
    phones["Ben"].screenshot(path=artefacts / "patient-more-phone.png")
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
    shot = Image.open(io.BytesIO(page.screenshot(path=artefacts / "patient-card-offline-phone.png")))
    with hq_db.connection_context():
        token = home(anna).card_token
    assert [r.text for r in zxingcpp.read_barcodes(shot)] == [token]
    page.context.set_offline(False)
    page.context.close()
