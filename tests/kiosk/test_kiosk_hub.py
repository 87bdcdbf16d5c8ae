"""One Scanner per station feeding every page: a real video file through cv2.VideoCapture."""
from __future__ import annotations

import threading
import time

from kiosk.hub import CameraHub
from loyalty.services import card_token, enroll, member_status
from loyalty.services.checkin import CHECKED_IN

import imagegen


class Page:
    def __init__(self, joining: bool = False) -> None:
        self.busy = False
        self.joining = joining
        self.results, self.referrals, self.statuses, self.frames = [], [], [], 0
        self.done = threading.Event()

    def checked_in(self, code, result):
        self.results.append(result)
        self.busy = True
        self.done.set()

    def referral_scanned(self, code):
        self.referrals.append(code)
        self.done.set()

    def frame(self, jpeg):
        assert jpeg[:2] == b"\xff\xd8"
        self.frames += 1

    def camera_status(self, status):
        self.statuses.append(status)


def member(station, name="Anna", email="anna@example.org"):
    result = enroll(name, station.device, email=email, consent_program=True, age_confirmed=True)
    return result.member_id, card_token(result.member_id)


def test_kiosk_hub_checks_in_once_for_all_pages_and_gives_joiners_the_referral(station, tmp_path):
    member_id, token = member(station)
    clip = imagegen.make_video(tmp_path / "card.mp4", imagegen.card_clip(token, [(False, 5), (True, 12), (False, 5)]))
    hub = CameraHub(str(clip), loop_files=False)
    idle_a, idle_b, joining = Page(), Page(), Page(joining=True)
    detach = [hub.attach(p) for p in (idle_a, idle_b, joining)]
    try:
        for p in (idle_a, idle_b, joining):
            assert p.done.wait(15)
        assert hub.scanner.paused                             # a result is showing on the idle pages
    finally:
        hub.stop()
        for d in detach:
            d()
    assert [r.status for r in idle_a.results] == [CHECKED_IN]
    assert idle_a.results == idle_b.results
    assert joining.results == [] and joining.referrals == [token]
    assert member_status(member_id).stamps_on_card == 1      # one stamp, not one per page
    assert "running" in idle_a.statuses and idle_a.frames > 0


def test_a_result_that_ends_without_its_page_saying_so_frees_the_camera(station, tmp_path):
    """A browser closed during a welcome never goes back to idle by itself; once its result's time
    is over the camera takes cards again (it stayed paused for minutes)."""
    _member_id, token = member(station)
    clip = imagegen.make_video(tmp_path / "card.mp4", imagegen.card_clip(token, [(False, 5), (True, 12), (False, 5)]))
    hub = CameraHub(str(clip), loop_files=True)
    gone = Page()
    detach = hub.attach(gone)
    try:
        assert gone.done.wait(15)
        assert hub.scanner.paused
        gone.busy = False                  # its time is over; the page never calls update_pause
        deadline = time.monotonic() + 15
        while hub.scanner.paused and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not hub.scanner.paused
    finally:
        hub.stop()
        detach()


def test_kiosk_hub_without_camera_has_no_scanner_and_says_nothing(station):
    hub = CameraHub(None)
    page = Page()
    detach = hub.attach(page)
    hub.update_pause()
    detach()
    assert hub.scanner is None and page.statuses == [None]


def test_kiosk_hub_reports_a_missing_camera_without_crashing(station, tmp_path):
    hub = CameraHub(str(tmp_path / "unplugged.mp4"))
    page = Page()
    reconnecting = threading.Event()
    page.camera_status = lambda status: reconnecting.set() if status == "reconnecting" else None
    detach = hub.attach(page)
    try:
        assert reconnecting.wait(10)
        assert hub.scanner.running
    finally:
        hub.stop()
        detach()
