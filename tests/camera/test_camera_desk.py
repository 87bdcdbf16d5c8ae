"""The desk tablet's camera in headless Chromium: "Karte scannen" opens the member; with the kiosk
in the same browser it borrows the kiosk's read instead of opening the camera a second time; a
refused camera says what to do; the manager picks the kiosk tablets' camera in settings.

"Karte scannen" runs on the clinic network over HTTPS with a paired desk tablet. The borrowed camera
needs the kiosk and the staff app in one browser, which pairing does not give (a paired device opens
its own app only): a counter PC's browser at http://127.0.0.1, as the other tests here.
"""
from __future__ import annotations

import re

import cv2
import numpy as np
import pytest
from playwright.sync_api import expect

from tests import fake_camera
from tests.browser import FRAMES, pick, shot
from tests.camera.conftest import CAMERA_PLAYING, device, open_desk, open_kiosk, paired_tablet

pytestmark = pytest.mark.browser


def test_receptionist_scans_a_card_with_the_desk_tablet_camera(clinic_camera_station, playwright, tmp_path,
                                                               artefacts):
    """A desk tablet paired on the clinic network, over HTTPS: "Karte scannen" opens the member."""
    station = clinic_camera_station
    token = station.new_patient("Lotte")
    video = station.printed_card(token, tmp_path / "lotte.y4m", before_s=8.0)   # time to see the viewfinder
    with paired_tablet(playwright, station, "desk", video) as tablet:
        page = open_desk(tablet, station)
        assert page.url == station.staff and page.url.startswith("https://")
        page.get_by_role("button", name="Karte scannen").click()
        expect(page.get_by_text("Halten Sie die Karte oder den Code auf dem Handy in den Rahmen.",
                                exact=False)).to_be_visible(timeout=20_000)
        page.wait_for_function(CAMERA_PLAYING)
        shot(page, artefacts / "camera-desk-scan-de.png", tries=8)   # a live picture: never two alike
        expect(page.get_by_text("Karte gescannt.")).to_be_visible(timeout=20_000)
        expect(page.get_by_text("Zurück zum Empfang")).to_be_visible()
        expect(page.get_by_text("Lotte", exact=False).first).to_be_visible()
        shot(page, artefacts / "camera-desk-member-de.png")
        assert page.evaluate("() => document.querySelectorAll('video').length") == 0   # the camera is off again
        assert station.visits(token) == 0                                             # opening is not a visit


def test_desk_in_the_kiosk_browser_borrows_the_kiosk_camera(camera_station, camera_browser, tmp_path, artefacts):
    """One counter PC, one camera: the kiosk tab reads it; the staff tab's "scan card" must not open
    it a second time. The card the kiosk reads next opens the member at the desk, with no check-in."""
    token = camera_station.new_patient("Emil")
    # The kiosk opens the camera first and the video starts then: 20 s pass before the card shows,
    # time enough to open the desk beside it (5 pictures a second keep the file small).
    video = camera_station.printed_card(token, tmp_path / "emil.y4m", before_s=20.0, fps=5)
    counter_pc = device(camera_browser(video))
    kiosk = open_kiosk(counter_pc, camera_station)
    kiosk.wait_for_function(CAMERA_PLAYING)
    desk = open_desk(counter_pc, camera_station)
    desk.get_by_role("button", name="Karte scannen").click()
    expect(desk.get_by_text("Der Kiosk in diesem Browser benutzt die Kamera.", exact=False)).to_be_visible()
    visits = camera_station.visits(token)
    expect(kiosk.get_by_text("Die Rezeption scannt gerade eine Karte mit dieser Kamera.")).to_be_visible()
    shot(desk, artefacts / "camera-desk-borrowed-de.png")
    expect(desk.get_by_text("Karte gescannt.")).to_be_visible(timeout=20_000)
    expect(desk.get_by_text("Emil", exact=False).first).to_be_visible()
    assert desk.evaluate("() => window.cameraRequests") == 0        # the staff tab never asked for the camera
    assert camera_station.visits(token) == visits                   # the desk's read is no check-in
    expect(kiosk.get_by_text("Die Rezeption scannt gerade eine Karte mit dieser Kamera.")).to_have_count(0)
    counter_pc.close()


def test_desk_camera_refused_says_what_to_do(camera_station, camera_browser, tmp_path, artefacts):
    video = fake_camera.write_y4m(tmp_path / "room.y4m", fake_camera.empty_frames(15))
    tablet = device(camera_browser(video), camera=False)
    page = open_desk(tablet, camera_station)
    page.get_by_role("button", name="Karte scannen").click()
    expect(page.get_by_text("Die Kamera dieses Tablets ist gerade nicht nutzbar.")).to_be_visible(timeout=20_000)
    expect(page.get_by_text("Der Browser darf die Kamera nicht verwenden.", exact=False)).to_be_visible()
    expect(page.get_by_text("Ein USB- oder Bluetooth-Scanner funktioniert immer", exact=False)).to_be_visible()
    shot(page, artefacts / "camera-desk-refused-de.png")
    page.get_by_role("button", name="Abbrechen").click()
    expect(page.get_by_role("button", name="Karte scannen")).to_be_visible()
    tablet.close()


def test_manager_turns_the_kiosk_camera_off_and_on_again(camera_station, camera_browser, tmp_path, artefacts):
    """Scanner-only counters: the kiosk stops using the camera at once, and takes it up again."""
    video = fake_camera.write_y4m(tmp_path / "room.y4m", fake_camera.empty_frames(15))
    tablet = device(camera_browser(video))
    kiosk = open_kiosk(tablet, camera_station)
    kiosk.wait_for_function(CAMERA_PLAYING)
    office = device(camera_browser(video))
    manager = open_desk(office, camera_station, "Chef", "1234")
    manager.get_by_role("button", name=re.compile("^Einstellungen Tab")).click()
    try:
        pick(manager, "Kamera am Kiosk", "Keine Kamera – nur Scanner")
        expect(manager.get_by_text("Kiosk-Kamera: Keine Kamera – nur Scanner.", exact=False)).to_be_visible()
        shot(manager, artefacts / "camera-settings-de.png")
        kiosk.wait_for_function("() => document.querySelectorAll('video').length === 0")
        expect(kiosk.get_by_text("Halten Sie Ihren Code hierher").first).to_be_visible()
        shot(kiosk, artefacts / "camera-kiosk-scanner-only-de.png")
    finally:
        pick(manager, "Kamera am Kiosk", "Frontkamera des Tablets")
    expect(manager.get_by_text("Kiosk-Kamera: Frontkamera des Tablets.", exact=False)).to_be_visible()
    kiosk.wait_for_function(CAMERA_PLAYING)
    for _ in range(40):      # Flutter paints the live picture some frames after the video plays
        if picture_in_viewfinder(kiosk):
            break
    shot(kiosk, artefacts / "camera-kiosk-idle-de.png")
    office.close()
    tablet.close()


def picture_in_viewfinder(page) -> bool:
    """Whether the kiosk (1280x800) shows a camera picture in its viewfinder, not the empty box."""
    page.evaluate(FRAMES, 2)
    screen = cv2.imdecode(np.frombuffer(page.screenshot(), np.uint8), cv2.IMREAD_GRAYSCALE)
    return float(screen[160:540, 80:600].std()) > 12

