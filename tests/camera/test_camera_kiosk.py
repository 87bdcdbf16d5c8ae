"""The kiosk tablet's own camera in headless Chromium: a card in front of it checks the patient in;
a refused, missing or unplugged camera says what to do, and the USB scanner keeps working.

Each test has its own Chromium whose only camera plays a looping video (tests/fake_camera.py). The
scan-to-welcome test runs on the clinic network over HTTPS with a paired tablet; the others on
http://127.0.0.1 (a secure context as well), where one station serves them all.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests import fake_camera
from tests.browser import resize, shot, switch_language
from tests.camera.conftest import (
    CAMERA_PLAYING,
    UNPLUG,
    device,
    kiosk_with_card,
    open_kiosk,
    paired_tablet,
    plain_http_forward,
)

pytestmark = pytest.mark.browser

HELP = "Die Kamera ist gerade nicht verfügbar"


def test_printed_card_shown_to_the_tablet_camera_says_welcome_back(clinic_camera_station, playwright, tmp_path,
                                                                  artefacts):
    """A kiosk tablet paired on the clinic network, over HTTPS as in a clinic: the printed card of a
    patient who came before, in front of its camera, checks her in and welcomes her back."""
    station = clinic_camera_station
    token = station.returning_patient("Nele")
    video = station.printed_card(token, tmp_path / "nele.y4m", before_s=1.5)
    with paired_tablet(playwright, station, "kiosk", video) as tablet:
        page = open_kiosk(tablet, station)
        assert page.url == station.kiosk and page.url.startswith("https://")
        page.wait_for_function(CAMERA_PLAYING)
        expect(page.get_by_text(HELP)).to_have_count(0)
        expect(page.get_by_text("Willkommen zurück, Nele!")).to_be_visible(timeout=20_000)
        expect(page.get_by_text("2 von 10 Stempeln")).to_be_visible()
        shot(page, artefacts / "camera-kiosk-printed-card-de.png")
        assert station.visits(token) == 2
        resize(page, 390, 844)
        shot(page, artefacts / "camera-kiosk-welcome-phone-de.png")


def test_phone_screen_shown_to_the_tablet_camera_checks_the_patient_in(camera_station, camera_browser, tmp_path,
                                                                   artefacts):
    token = camera_station.new_patient("Mira")
    clip = fake_camera.phone_screen_clip(token, before_s=1.5)
    video = fake_camera.write_y4m(tmp_path / "phone-screen.y4m", clip)
    tablet = device(camera_browser(video))
    page = open_kiosk(tablet, camera_station)
    switch_language(page, "English")
    expect(page.get_by_text("Welcome, Mira!")).to_be_visible(timeout=20_000)
    shot(page, artefacts / "camera-kiosk-phone-screen-en.png")
    assert camera_station.visits(token) == 1
    tablet.close()


def test_friends_code_in_the_join_form_through_the_tablet_camera(camera_station, camera_browser, tmp_path,
                                                                 artefacts):
    _friend, tablet, page = kiosk_with_card(camera_station, camera_browser, tmp_path, "Jule", before_s=3.5)
    join, done = page.get_by_role("button", name="Mitmachen"), page.get_by_role("button", name="Fertig")
    added = page.get_by_text("Der Code Ihrer Empfehlung wurde hinzugefügt.")
    for _ in range(3):
        # The looping video may show the friend's card before the form is open: that is the
        # friend's own check-in; back to the start, and the card's next return is the referral.
        expect(join.or_(done)).to_be_visible(timeout=20_000)
        if done.is_visible():
            done.click()
            continue
        join.click()
        break
    expect(added).to_be_visible(timeout=20_000)
    shot(page, artefacts / "camera-kiosk-join-referral-de.png")
    page.get_by_role("button", name="Abbrechen").click()
    tablet.close()


def test_camera_refused_shows_what_to_do_and_the_scanner_still_checks_in(camera_station, camera_browser,
                                                                        tmp_path, artefacts):
    token = camera_station.new_patient("Tom")
    video = fake_camera.write_y4m(tmp_path / "room.y4m", fake_camera.empty_frames(15))
    tablet = device(camera_browser(video), camera=False)
    page = open_kiosk(tablet, camera_station)
    expect(page.get_by_text(HELP)).to_be_visible(timeout=20_000)
    expect(page.get_by_text("Bitte halten Sie Ihre Karte an den Scanner", exact=False)).to_be_visible()
    expect(page.get_by_text("Der Browser darf die Kamera nicht verwenden.", exact=False)).to_be_visible()
    shot(page, artefacts / "camera-kiosk-refused-de.png")
    resize(page, 390, 844)
    shot(page, artefacts / "camera-kiosk-refused-phone-de.png")
    resize(page, 1280, 800)
    switch_language(page, "English")
    expect(page.get_by_text("The browser may not use the camera.", exact=False)).to_be_visible()
    shot(page, artefacts / "camera-kiosk-refused-en.png")
    page.keyboard.type(token, delay=8)
    page.keyboard.press("Enter")
    expect(page.get_by_text("Welcome, Tom!")).to_be_visible(timeout=15_000)
    assert camera_station.visits(token) == 1
    tablet.close()


def test_no_camera_on_the_device_says_so(camera_station, browser, artefacts):
    """The suite's shared Chromium has no camera at all."""
    tablet = device(browser)
    page = open_kiosk(tablet, camera_station)
    expect(page.get_by_text("Der Browser findet keine Kamera.", exact=False)).to_be_visible(timeout=20_000)
    expect(page.get_by_role("button", name="Erneut versuchen")).to_be_visible()
    shot(page, artefacts / "camera-kiosk-missing-de.png")
    tablet.close()


def test_plain_http_on_the_clinic_network_says_to_open_the_https_address(camera_station, camera_browser, lan_address,
                                                                         tmp_path, artefacts):
    """Browsers give the camera only to HTTPS pages (and to the machine itself): a tablet that
    reaches the kiosk at the machine's network address over plain http (a port forward made by
    hand) gets none, whatever it allows, and the kiosk says to open the https address."""
    video = fake_camera.write_y4m(tmp_path / "room.y4m", fake_camera.empty_frames(15))
    tablet = device(camera_browser(video))
    with plain_http_forward(lan_address, camera_station.base) as forwarded:
        page = open_kiosk(tablet, camera_station, f"{forwarded}/kiosk/")
        expect(page.get_by_text("Der Browser gibt die Kamera nur über eine sichere Verbindung frei.",
                                exact=False)).to_be_visible(timeout=20_000)
        expect(page.get_by_role("button", name="Erneut versuchen")).to_have_count(0)   # trying again cannot help
        shot(page, artefacts / "camera-kiosk-insecure-de.png")
        tablet.close()


def test_unplugged_camera_is_noticed_and_comes_back(camera_station, camera_browser, tmp_path, artefacts):
    """An unplugged camera's track ends and its picture freezes; the kiosk says so, keeps trying,
    and reads again once the camera is back (here: at once, as the fake camera never leaves)."""
    token, tablet, page = kiosk_with_card(camera_station, camera_browser, tmp_path, "Paul", before_s=6)
    page.wait_for_function(CAMERA_PLAYING)
    assert page.evaluate(UNPLUG) >= 1
    expect(page.get_by_text("Die Kamera liefert kein Bild mehr", exact=False)).to_be_visible(timeout=15_000)
    shot(page, artefacts / "camera-kiosk-unplugged-de.png")
    expect(page.get_by_text(HELP)).to_have_count(0, timeout=20_000)
    expect(page.get_by_text("Willkommen, Paul!")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("+1 Stempel heute")).to_be_visible()   # read after the camera came back
    assert camera_station.visits(token) == 1
    tablet.close()

