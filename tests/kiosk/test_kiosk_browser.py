"""The kiosk end to end: real station process, camera stream through cv2.VideoCapture, headless Chromium.

Every test opens its own kiosk page and scans the cards of members it enrols itself, so the tests
run in any order; the camera shows nothing between them.
"""
from __future__ import annotations

import re
from datetime import timedelta

import cv2
import pytest
import zxingcpp
from playwright.sync_api import expect

from tests.browser import open_flet_page, resize, shot, station_process, switch_language, tap_until, type_in, wait_until

import imagegen

pytestmark = pytest.mark.browser

EMPTY = imagegen.empty_frame(size=(1280, 720))
# A card in front of the camera reaches the screen in about a second (bench/kiosk.py); with the
# machine's load average at 50 the decoding alone took tens of seconds. An upper bound only.
SCAN_TIMEOUT_MS = 90_000


def ledger_size() -> int:
    from loyalty.store import LedgerEntry
    return LedgerEntry.select().count()


def stamps(member_id: str) -> int:
    from loyalty.services import member_status
    return member_status(member_id).stamps_on_card


def back_to_idle(page, lang: str = "de") -> None:
    done = {"de": "Fertig", "en": "Done"}[lang]
    back = {"de": "Zurück zum Start", "en": "Back to start"}[lang]
    button = page.get_by_role("button", name=re.compile(f"^({done}|{back})$"))
    button.first.click()
    join = {"de": "Mitmachen", "en": "Join"}[lang]
    expect(page.get_by_role("button", name=join, exact=True)).to_be_visible()


def test_kiosk_video_scan_shows_welcome_with_name_and_stamps(kiosk_page, camera, enrol, artefacts, tmp_path):
    member_id, token = enrol("Viola")
    clip = imagegen.make_video(tmp_path / "viola.mp4",
                               imagegen.card_clip(token, [(False, 4), (True, 16), (False, 4)]))
    camera.play(clip, then=imagegen.held_card(token, size=(1280, 720)))   # she brings the card in and holds it
    expect(kiosk_page.get_by_text("Willkommen, Viola!")).to_be_visible(timeout=SCAN_TIMEOUT_MS)
    camera.show(EMPTY)
    expect(kiosk_page.get_by_text("1 von 10 Stempeln")).to_be_visible()
    shot(kiosk_page, artefacts / "kiosk-welcome-de.png")
    assert stamps(member_id) == 1
    back_to_idle(kiosk_page)


def test_kiosk_repeat_scan_gives_no_second_stamp(kiosk_page, camera, enrol, artefacts):
    from loyalty.services import Actor, check_in, device_id
    member_id, token = enrol("Rieke")
    assert check_in(token, Actor(device_id())).status == "checked_in"      # she checked in a moment ago
    entries = ledger_size()
    camera.show(imagegen.held_card(token, size=(1280, 720)))
    expect(kiosk_page.get_by_text("Sie sind heute bereits eingecheckt.")).to_be_visible(timeout=SCAN_TIMEOUT_MS)
    expect(kiosk_page.get_by_text("1 von 10 Stempeln")).to_be_visible()
    shot(kiosk_page, artefacts / "kiosk-repeat-de.png")
    camera.show(EMPTY)
    assert (stamps(member_id), ledger_size()) == (1, entries)
    back_to_idle(kiosk_page)


@pytest.mark.parametrize("kind", ["foreign", "tampered"])
def test_kiosk_foreign_or_tampered_code_explains_and_writes_nothing(kind, kiosk_page, camera, enrol, artefacts):
    _member_id, token = enrol({"foreign": "Tobias", "tampered": "Tamara"}[kind])
    text = "https://example.org/gutschein" if kind == "foreign" else token[:-1] + ("A" if token[-1] != "A" else "B")
    entries = ledger_size()
    camera.show(imagegen.held_card(text, size=(1280, 720)))
    explanation = {"foreign": "Dieser Code ist keine unserer Bonuskarten.",
                   "tampered": "Diese Karte konnte nicht geprüft werden."}[kind]
    expect(kiosk_page.get_by_text(explanation)).to_be_visible(timeout=SCAN_TIMEOUT_MS)
    expect(kiosk_page.get_by_text("Bitte fragen Sie an der Rezeption.", exact=False)).to_be_visible()
    title = kiosk_page.get_by_text("Diesen Code konnten wir nicht verwenden")
    expect(title).to_have_count(1)                 # a screen reader hears the title once: the icon is decoration
    shot(kiosk_page, artefacts / f"kiosk-{kind}-de.png")
    camera.show(EMPTY)
    assert ledger_size() == entries
    back_to_idle(kiosk_page)


def test_kiosk_usb_scanner_types_the_code(kiosk_page, enrol, artefacts):
    member_id, token = enrol("Ulla")
    kiosk_page.mouse.click(640, 760)             # the kiosk window has the keyboard, as on the counter
    kiosk_page.keyboard.type(token, delay=8)
    kiosk_page.keyboard.press("Enter")
    expect(kiosk_page.get_by_text("Willkommen, Ulla!")).to_be_visible()
    shot(kiosk_page, artefacts / "kiosk-usb-scanner-de.png")
    assert stamps(member_id) == 1
    back_to_idle(kiosk_page)


def test_kiosk_welcome_asks_about_the_last_visit_and_keeps_the_answer(kiosk_page, camera, enrol, artefacts):
    from loyalty import clock
    from loyalty.services import Actor, check_in, device_id
    from loyalty.store import Feedback, FollowUp
    member_id, token = enrol("Marlene")
    clock.set_source(clock.MovableClock(clock.now() - timedelta(days=1)))
    try:
        assert check_in(token, Actor(device_id())).status == "checked_in"     # her visit yesterday
    finally:
        clock.set_source(None)
    camera.show(imagegen.held_card(token, size=(1280, 720)))
    expect(kiosk_page.get_by_text("Willkommen zurück, Marlene!")).to_be_visible(timeout=SCAN_TIMEOUT_MS)
    camera.show(EMPTY)
    expect(
        kiosk_page.get_by_text("Wie wahrscheinlich ist es, dass Sie uns weiterempfehlen? (freiwillig)")
    ).to_be_visible()
    kiosk_page.get_by_role("button", name="3", exact=True).click()
    type_in(kiosk_page, "Möchten Sie uns noch etwas sagen?", "Die Stelle ist seit gestern geschwollen.")
    shot(kiosk_page, artefacts / "kiosk-feedback-de.png")
    kiosk_page.get_by_role("button", name="Senden").click()
    expect(kiosk_page.get_by_text("Vielen Dank! Ihre Antwort hilft uns.")).to_be_visible()
    answer = Feedback.get(Feedback.member == member_id)
    assert (answer.score, answer.text) == (3, "Die Stelle ist seit gestern geschwollen.")
    assert FollowUp.select().where(FollowUp.member == member_id).count() == 1   # for the clinical team
    back_to_idle(kiosk_page)


def test_kiosk_join_validation_next_to_the_field(kiosk_page, artefacts):
    join_now = kiosk_page.get_by_role("button", name="Join now")
    switch_language(kiosk_page, "English")
    kiosk_page.get_by_role("button", name="Join", exact=True).click()
    type_in(kiosk_page, "First name", "Jo")
    tap_until(join_now, kiosk_page.get_by_text("Please give an e-mail address or a mobile number (one is enough)."))
    type_in(kiosk_page, "E-mail", "not-an-address")
    tap_until(join_now, kiosk_page.get_by_text("This e-mail address does not look right. Please check it."))
    type_in(kiosk_page, "E-mail", "jo@example.org")
    tap_until(join_now, kiosk_page.get_by_text("Please agree to the loyalty program terms to join."))
    shot(kiosk_page, artefacts / "kiosk-join-validation-en.png")
    # German keeps what was typed: labels change, values stay
    switch_language(kiosk_page, "Deutsch")
    expect(kiosk_page.get_by_role("textbox", name="Vorname")).to_have_value("Jo")
    expect(kiosk_page.get_by_text("Bitte stimmen Sie", exact=False)).to_be_visible()
    switch_language(kiosk_page, "English")
    kiosk_page.get_by_role("button", name="Cancel").click()
    expect(kiosk_page.get_by_role("button", name="Join", exact=True)).to_be_visible()


def test_kiosk_join_flow_shows_the_new_card(kiosk_page, camera, enrol, printer_server, artefacts):
    from loyalty.services import find_card, member_status
    from loyalty.store import Member
    _friend_id, friend_token = enrol("Frieda")
    switch_language(kiosk_page, "English")
    kiosk_page.get_by_role("button", name="Join", exact=True).click()
    type_in(kiosk_page, "First name", "Zoë")
    type_in(kiosk_page, "E-mail", "zoe@example.org")
    type_in(kiosk_page, "Mobile number", "0171 2345678")
    type_in(kiosk_page, "Day", "14")
    type_in(kiosk_page, "Month", "3")
    kiosk_page.get_by_role("checkbox", name=re.compile("^I agree to the terms")).click()
    kiosk_page.get_by_text("I am at least 18 years old.").click()   # the label ticks the box too
    camera.show(imagegen.held_card(friend_token, size=(1280, 720)))
    expect(kiosk_page.get_by_text("Your friend's code has been added.")).to_be_visible(timeout=SCAN_TIMEOUT_MS)
    camera.show(EMPTY)
    shot(kiosk_page, artefacts / "kiosk-join-form-en.png")
    tap_until(kiosk_page.get_by_role("button", name="Join now"),
              kiosk_page.get_by_text("Welcome, Zoë! This is your card."))
    expect(kiosk_page.get_by_text("+150 points welcome bonus")).to_be_visible()   # signup 50 + referral 100
    expect(kiosk_page.get_by_text(re.compile(r"^We will also send your card to z•••@e•••\.org"))).to_be_visible()
    expect(kiosk_page.get_by_text("Your card has been printed. Please take it from the printer.")).to_be_visible()
    picture = artefacts / "kiosk-new-card-en.png"
    shot(kiosk_page, picture)
    codes = zxingcpp.read_barcodes(cv2.imread(str(picture)))
    assert len(codes) == 1
    card, problem = find_card(codes[0].text)
    assert problem is None
    assert card.member.first_name == "Zoë" and Member.select().where(Member.email == "zoe@example.org").count() == 1
    assert member_status(card.member_id).points == 150
    wait_until(lambda: any(codes[0].text.encode() in job and b"\x1dV" in job for job in printer_server.jobs),
               kiosk_page)
    back_to_idle(kiosk_page, "en")


def test_kiosk_idle_timeout_clears_a_half_typed_form(browser, tmp_path, artefacts):
    """A kiosk of its own that clears an untouched form after 10 s (the shared one waits longer)."""
    (tmp_path / "station.toml").write_text("[station]\nlanguage = \"de\"\n\n[kiosk]\nidle_s = 10\n", encoding="utf-8")
    with station_process(tmp_path, apps="kiosk") as base:
        kiosk_page = open_flet_page(browser, f"{base}/kiosk/")
        switch_language(kiosk_page, "English")
        kiosk_page.get_by_role("button", name="Join", exact=True).click()
        type_in(kiosk_page, "First name", "Halb")
        type_in(kiosk_page, "E-mail", "halb@example")
        shot(kiosk_page, artefacts / "kiosk-half-typed-en.png")
        expect(kiosk_page.get_by_role("button", name="Join", exact=True)).to_be_visible()   # back to the start
        kiosk_page.get_by_role("button", name="Join", exact=True).click()
        expect(kiosk_page.get_by_role("textbox", name="First name")).to_have_value("")
        expect(kiosk_page.get_by_role("textbox", name="E-mail")).to_have_value("")
        kiosk_page.get_by_role("button", name="Cancel").click()
        expect(kiosk_page.get_by_role("button", name="Join", exact=True)).to_be_visible()
        switch_language(kiosk_page, "Deutsch")
        expect(kiosk_page.get_by_role("button", name="Mitmachen")).to_be_visible()
        shot(kiosk_page, artefacts / "kiosk-idle-de.png")
        resize(kiosk_page, 1920, 1080)                                 # a 24" counter screen
        expect(kiosk_page.get_by_text("Halten Sie Ihren Code hierher")).to_be_visible()   # once: the icon is decoration
        shot(kiosk_page, artefacts / "kiosk-idle-1920-de.png")
        kiosk_page.get_by_role("button", name="Mitmachen").click()     # scaled up, still a tap target
        expect(kiosk_page.get_by_role("textbox", name="Vorname")).to_be_visible()
        shot(kiosk_page, artefacts / "kiosk-join-1920-de.png")
        kiosk_page.get_by_role("button", name="Abbrechen").click()
        expect(kiosk_page.get_by_role("button", name="Mitmachen")).to_be_visible()
        kiosk_page.close()
