"""The receptionist's desk end to end in headless Chromium: sign-in and its PIN pad, the top bar,
the screens reception may use, live check-ins, search, scan, and the idle sign-out."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest
from playwright.sync_api import expect

from tests.browser import ROOT, open_flet_page, shot
from tests.staff.conftest import desk_server, open_member, open_page, sign_in_as, status, type_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    with desk_server(tmp_path_factory) as d:
        yield d


def test_wrong_pin_then_lock_out_is_said_in_words(browser, desk, artefacts):
    page = open_page(browser, desk)
    for _ in range(4):
        sign_in_as(page, "Lena Locked", "9999")
        expect(page.get_by_text("Name oder PIN ist falsch.")).to_be_visible()
    sign_in_as(page, "Lena Locked", "9999")
    expect(page.get_by_text("Zu viele falsche PINs", exact=False)).to_be_visible()
    shot(page, artefacts / "staff-signin-locked.png")
    sign_in_as(page, "Lena Locked", "1111")          # the right PIN does not help while locked
    expect(page.get_by_text("15 Minuten gesperrt", exact=False)).to_be_visible()
    page.close()


def test_pin_pad_delete_key_is_an_icon_named_for_screen_readers_and_takes_the_last_digit_back(browser, desk,
                                                                                               artefacts):
    page = open_page(browser, desk)
    page.get_by_role("button", name="Empfang", exact=True).click()
    expect(page.get_by_text("Empfang: Bitte geben Sie Ihre PIN ein.")).to_be_visible()
    for digit in "009":
        page.get_by_role("button", name=digit, exact=True).click()
    expect(page.get_by_text("Eingegebene Ziffern: 3", exact=True)).to_be_visible()
    shot(page, artefacts / "staff-signin-pin-pad.png")
    page.get_by_role("button", name="Letzte Ziffer löschen", exact=True).click()   # named in words, not "⌫"
    expect(page.get_by_text("Eingegebene Ziffern: 2", exact=True)).to_be_visible()
    page.get_by_role("button", name="0", exact=True).click()
    page.get_by_role("button", name="0", exact=True).click()
    page.get_by_role("button", name="OK", exact=True).click()        # 0 0 (9 taken back) 0 0
    expect(page.get_by_text("Hallo Empfang, Sie sind angemeldet.")).to_be_visible()
    page.close()


def test_sign_in_on_a_phone_puts_the_pad_below_the_names(browser, desk, artefacts):
    page = open_flet_page(browser, desk.base + "/staff/", viewport=(390, 844))
    chef = page.get_by_role("button", name="Chef", exact=True)
    one = page.get_by_role("button", name="1", exact=True)
    expect(one).to_be_visible()
    assert one.bounding_box()["y"] > chef.bounding_box()["y"] and one.bounding_box()["x"] >= 0
    shot(page, artefacts / "staff-signin-phone.png")
    sign_in_as(page, "Chef", "1234")
    expect(page.get_by_text("Hallo Chef", exact=False)).to_be_visible()
    page.close()


def test_reception_sees_the_screens_it_may_use_and_its_name_once(reception, artefacts):
    rail = reception.get_by_role("button", name=re.compile(r" Tab \d+ of \d+$"))
    expect(rail).to_have_count(4)
    assert [re.sub(r"\s+Tab.*", "", name) for name in rail.all_inner_texts()] == [
        "Empfang", "Termine", "Nachsorge", "Datenschutz"]
    top_bar = reception.get_by_text(re.compile(r"^Empfang( · Empfang)?$"))
    expect(top_bar).to_have_text("Empfang")                          # not "Empfang · Empfang"
    shot(reception, artefacts / "staff-reception-rail.png")


def test_the_manager_sees_every_screen_and_name_with_role(manager, artefacts):
    rail = manager.get_by_role("button", name=re.compile(r" Tab \d+ of \d+$"))
    expect(rail).to_have_count(11)
    assert [re.sub(r"\s+Tab.*", "", name) for name in rail.all_inner_texts()] == [
        "Empfang", "Termine", "Nachsorge", "Auffälligkeiten", "Kennzahlen", "Listen", "Einstellungen", "Team",
        "Datenschutz", "Import", "Geräte"]
    expect(manager.get_by_text("Chef · Leitung", exact=True)).to_be_visible()
    shot(manager, artefacts / "staff-manager-rail.png")


def test_kiosk_check_in_appears_live_and_search_opens_member(reception, desk, artefacts):
    greta = desk.member("Greta", "Grünwald")
    hanna = desk.member("Hanna", "Hoffmeister")
    environ = {**os.environ, "LOYALTY_HOME": str(desk.home)}
    environ.pop("LOYALTY_DB", None)
    # A kiosk process on the same database checks Greta in: the desk shows it without a reload.
    subprocess.run([sys.executable, "-m", "station.cli", "checkin", greta.token], env=environ,
                   cwd=ROOT, check=True, capture_output=True)
    started = time.monotonic()
    expect(reception.get_by_text(greta.name)).to_be_visible()
    print(f"check-in shown after {time.monotonic() - started:.2f} s")
    shot(reception, artefacts / "staff-live-check-in.png")

    type_in(reception, "Suche nach Name", "hoffm")
    expect(reception.get_by_text(hanna.email)).to_be_visible()
    type_in(reception, "Suche nach Name", "zzzz")
    expect(reception.get_by_text("Kein Mitglied gefunden", exact=False)).to_be_visible()
    type_in(reception, "Suche nach Name", hanna.email[:8])
    expect(reception.get_by_text(hanna.email)).to_be_visible()
    shot(reception, artefacts / "staff-search.png")
    open_member(reception, hanna)


def test_usb_scanner_opens_the_member(reception, desk, artefacts):
    ida = desk.member("Ida", "Imhof")
    search = reception.get_by_role("textbox", name=re.compile("^Suche nach Name"))
    search.evaluate("box => box.blur()")   # no field has the focus: the page itself hears the scanner's keys
    expect(search).not_to_be_focused()
    reception.keyboard.type(ida.token + "\n", delay=5)
    status(reception, "Karte gescannt.")
    expect(reception.get_by_text("Zurück zum Empfang")).to_be_visible()
    expect(reception.get_by_text(ida.name, exact=True)).to_be_visible()
    shot(reception, artefacts / "staff-scan.png")


def test_reissue_where_e_mail_is_not_set_up_offers_printing_only_in_plain_words(reception, desk, artefacts):
    """This station has no mail server: the new card is not offered by e-mail, and what is said
    about it is plain words, not the station's configuration file."""
    jana = desk.member("Jana", "Jahn")
    open_member(reception, jana)
    reception.get_by_role("button", name="Karte neu ausstellen").click()
    reception.get_by_role("button", name="Neue Karte ausstellen").click()
    status(reception, "Neue Karte ausgestellt; der alte Code gilt nicht mehr.")
    expect(reception.get_by_role("button", name="Karte drucken (PDF)")).to_be_visible()
    expect(reception.get_by_role("button", name=re.compile("^Per E-Mail"))).to_have_count(0)
    expect(reception.get_by_text("Der E-Mail-Versand ist in dieser Praxis nicht eingerichtet.", exact=False)
           ).to_be_visible()
    expect(reception.get_by_text(re.compile(r"smtp|station\.toml|/download/"))).to_have_count(0)
    shot(reception, artefacts / "staff-member-reissue-no-mail.png")


def test_idle_session_signs_itself_out(browser, tmp_path_factory, artefacts):
    """A station of its own with a short idle time: the other tests never wait that long."""
    with desk_server(tmp_path_factory, env={"LOYALTY_STAFF_IDLE_S": "10"}) as idle_desk:
        page = open_page(browser, idle_desk)
        sign_in_as(page, "Empfang", "0000")
        expect(page.get_by_text("Hallo Empfang", exact=False)).to_be_visible()
        expect(page.get_by_text("Nach einigen Minuten ohne Eingabe abgemeldet", exact=False)).to_be_visible()
        expect(page.get_by_role("button", name="OK", exact=True)).to_be_visible()
        shot(page, artefacts / "staff-idle-signed-out.png")
        page.close()
