"""The receptionist's desk end to end in headless Chromium: sign-in, live check-ins, search, scan."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from playwright.sync_api import expect

from tests.browser import ROOT
from tests.staff.conftest import desk_server, open_page, sign_in_as, type_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    with desk_server(tmp_path_factory, env={"LOYALTY_STAFF_IDLE_S": "15"}) as d:
        yield d


def test_wrong_pin_then_lock_out_is_said_in_words(browser, desk, artefacts):
    page = open_page(browser, desk)
    for _ in range(4):
        sign_in_as(page, "Lena Locked", "9999")
        expect(page.get_by_text("Name oder PIN ist falsch.")).to_be_visible()
    sign_in_as(page, "Lena Locked", "9999")
    expect(page.get_by_text("Zu viele falsche PINs", exact=False)).to_be_visible()
    page.screenshot(path=artefacts / "staff-signin-locked.png")
    sign_in_as(page, "Lena Locked", "1111")          # the right PIN does not help while locked
    expect(page.get_by_text("15 Minuten gesperrt", exact=False)).to_be_visible()
    page.close()


def test_kiosk_check_in_appears_live_and_search_opens_member(browser, desk, artefacts):
    page = open_page(browser, desk)
    sign_in_as(page, "Empfang", "0000")
    expect(page.get_by_text("Hallo Empfang, Sie sind angemeldet.")).to_be_visible()
    environ = {**os.environ, "LOYALTY_HOME": str(desk.home)}
    environ.pop("LOYALTY_DB", None)
    # A kiosk process on the same database checks Greta in (the kiosk app is built on another branch).
    subprocess.run([sys.executable, "-m", "station.cli", "checkin", desk.tokens["Greta"]], env=environ,
                   cwd=ROOT, check=True, capture_output=True)
    started = time.monotonic()
    expect(page.get_by_text("Greta Grünwald")).to_be_visible(timeout=1000)
    print(f"check-in shown after {time.monotonic() - started:.2f} s")
    page.screenshot(path=artefacts / "staff-live-check-in.png")

    type_in(page, "Suche nach Name", "hof")
    expect(page.get_by_text("hanna@example.org")).to_be_visible()
    type_in(page, "Suche nach Name", "zzzz")
    expect(page.get_by_text("Kein Mitglied gefunden", exact=False)).to_be_visible()
    type_in(page, "Suche nach Name", "hanna@")
    expect(page.get_by_text("hanna@example.org")).to_be_visible()
    page.screenshot(path=artefacts / "staff-search.png")
    page.get_by_text("Hanna Hoff").click()
    expect(page.get_by_text("Zurück zum Empfang")).to_be_visible()
    page.close()


def test_usb_scanner_opens_the_member(browser, desk, artefacts):
    page = open_page(browser, desk)
    sign_in_as(page, "Empfang", "0000")
    expect(page.get_by_text("Hallo Empfang", exact=False)).to_be_visible()
    page.mouse.click(400, 650)   # focus off the search field: the page itself hears the scanner's keys
    page.keyboard.type(desk.tokens["Anna"] + "\n", delay=5)
    expect(page.get_by_text("Karte gescannt.")).to_be_visible()
    expect(page.get_by_text("Zurück zum Empfang")).to_be_visible()
    expect(page.get_by_text("Anna Schmidt")).to_be_visible()
    page.screenshot(path=artefacts / "staff-scan.png")
    page.close()


def test_idle_session_signs_itself_out(browser, desk, artefacts):
    page = open_page(browser, desk)
    sign_in_as(page, "Empfang", "0000")
    expect(page.get_by_text("Hallo Empfang", exact=False)).to_be_visible()
    expect(page.get_by_text("Nach einigen Minuten ohne Eingabe abgemeldet", exact=False)).to_be_visible(timeout=30_000)
    expect(page.get_by_role("button", name="OK", exact=True)).to_be_visible()
    page.screenshot(path=artefacts / "staff-idle-signed-out.png")
    page.close()
