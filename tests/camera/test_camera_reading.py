"""The tablet camera's parts without a browser: pictures to codes, which camera, why not, the share
between a kiosk tab and a staff tab, and the manager's choice of kiosk camera."""
from __future__ import annotations

import cv2
import flet_camera as fc
import pytest

from loyalty import events
from loyalty.adapters import browser_camera as bc
from loyalty.adapters.camera_share import CameraShare
from loyalty.errors import Refused
from loyalty.services import audit_log, card_png, card_token, enroll
from loyalty.services.cameras import BACK, FRONT, NONE, kiosk_camera, set_kiosk_camera
from tests import fake_camera

DT = 0.1   # a picture every 100 ms, as the kiosk polls


def jpeg(frame) -> bytes:
    """What take_picture() hands over: a JPEG of the frame (the browser encodes its canvas)."""
    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 92])
    assert ok
    return buf.tobytes()


@pytest.fixture
def card(station):
    member = enroll("Nele", station.device, email="nele@example.org", consent_program=True, age_confirmed=True)
    token = card_token(member.member_id)
    held = [jpeg(fake_camera.printed_card_photo(card_png(token), i * DT, seed=i)) for i in range(6)]
    return token, held


def test_a_printed_card_counts_once_from_its_second_picture(card):
    token, held = card
    reader = bc.PictureReader()
    room = [jpeg(frame) for frame in fake_camera.empty_frames(3)]
    accepted = [reader.read(picture, i * DT) for i, picture in enumerate(room + held)]
    assert accepted == [[], [], [], [], [token], [], [], [], []]


def test_a_card_held_through_the_welcome_does_not_count_again(card):
    token, held = card
    reader = bc.PictureReader()
    assert [reader.read(p, i * DT) for i, p in enumerate(held[:2])] == [[], [token]]
    # the welcome is on screen (hold) and the card stays in view, then the kiosk is idle again
    assert [reader.read(p, (2 + i) * DT, hold=True) for i, p in enumerate(held[2:])] == [[]] * 4
    assert [reader.read(p, (6 + i) * DT) for i, p in enumerate(held[:4])] == [[]] * 4


def test_a_card_back_after_being_away_counts_again(card):
    token, held = card
    reader = bc.PictureReader()
    room = jpeg(fake_camera.empty_frames(1)[0])
    assert reader.read(held[0], 0.0) == [] and reader.read(held[1], DT) == [token]
    assert reader.read(room, 0.5) == [] and reader.read(room, 2.1) == []   # out of view for 1.6 s
    assert reader.read(held[2], 2.2) == [] and reader.read(held[3], 2.3) == [token]


def test_pictures_that_are_not_images_read_as_empty():
    reader = bc.PictureReader()
    for i, picture in enumerate([b"", b"not a jpeg", b"\xff\xd8\xff\xe0" + b"\x00" * 50]):
        assert reader.read(picture, i * DT) == []


def test_a_frozen_picture_means_the_camera_is_lost():
    frames = [jpeg(frame) for frame in fake_camera.empty_frames(2)]
    reader = bc.PictureReader(stall_s=3.0)
    for i in range(40):                       # a live camera: every picture differs (sensor noise)
        reader.read(frames[i % 2], i * DT)
    assert not reader.stalled(40 * DT)
    for i in range(40, 75):                   # unplugged: the same picture over and over
        reader.read(frames[0], i * DT)
    assert reader.stalled(74 * DT)
    reader.restart()
    reader.read(frames[0], 75 * DT)
    assert not reader.stalled(76 * DT)        # a reopened camera starts a new history


def test_the_chosen_camera_else_the_first_there_is():
    front = fc.CameraDescription("Front", fc.CameraLensDirection.FRONT, 270)
    back = fc.CameraDescription("Back", fc.CameraLensDirection.BACK, 90)
    webcam = fc.CameraDescription("USB webcam", fc.CameraLensDirection.EXTERNAL, 0)
    assert bc.choose_camera([back, front], bc.FRONT) is front
    assert bc.choose_camera([back, front], bc.BACK) is back
    assert bc.choose_camera([webcam], bc.FRONT) is webcam
    assert bc.choose_camera([], bc.FRONT) is None


@pytest.mark.parametrize("url, secure", [
    ("wss://praxis.local:8550/kiosk", True), ("https://192.168.1.20/kiosk", True),
    ("ws://127.0.0.1:8550/kiosk", True), ("ws://localhost:8550/kiosk", True), ("ws://[::1]:8550/kiosk", True),
    ("ws://192.168.1.20:8550/kiosk", False), ("ws://praxis.local:8550/kiosk", False), (None, False),
])
def test_which_pages_the_browser_lets_use_a_camera(url, secure):
    assert bc.secure_page(url) is secure


@pytest.mark.parametrize("error, problem", [
    ("CameraException(CameraAccessDenied, The camera cannot be used or the permission to access the camera "
     "is not granted.)", bc.DENIED),
    ("CameraException(cameraNotFound, No camera found for the given camera options.)", bc.MISSING),
    ("CameraException(cameraNotReadable, The camera is not readable.)", bc.IN_USE),
    ("Something nobody expected", bc.MISSING),
])
def test_why_the_browser_refused_the_camera(error, problem):
    assert bc.problem_of(RuntimeError(error), secure=True) == problem


def test_outside_a_secure_page_every_refusal_means_https_is_needed():
    """Measured: over http on a LAN address the plugin fails with a null check, not a camera code."""
    assert bc.problem_of(RuntimeError("Null check operator used on a null value"), secure=False) == bc.INSECURE


def test_the_staff_tab_borrows_the_kiosk_tabs_next_read():
    share, got = CameraShare(), []
    assert share.borrow("tablet", got.append) is None           # no kiosk reads there: open your own camera
    release = share.hold("tablet")
    cancel = share.borrow("tablet", got.append)
    assert share.lent("tablet") and not share.lent("other")
    assert share.hand_over("tablet", "LY1:A") and got == ["LY1:A"]
    assert not share.hand_over("tablet", "LY1:B") and got == ["LY1:A"]    # once: the next is a check-in
    cancel()
    share.borrow("tablet", got.append)
    release()                                                      # the kiosk stops reading
    assert got == ["LY1:A", None] and not share.in_use("tablet")


def test_a_cancelled_borrow_leaves_the_kiosk_its_reads():
    share, got = CameraShare(), []
    share.hold("tablet")
    share.borrow("tablet", got.append)()
    assert not share.lent("tablet") and not share.hand_over("tablet", "LY1:A") and got == []


def test_two_kiosk_tabs_in_one_browser_keep_the_camera_until_both_let_go():
    share, got = CameraShare(), []
    first, second = share.hold("pc"), share.hold("pc")
    share.borrow("pc", got.append)
    first()
    first()                                                        # twice is once
    assert share.in_use("pc") and got == []
    second()
    assert not share.in_use("pc") and got == [None]


def test_manager_chooses_the_kiosk_camera(station):
    heard = []
    unsubscribe = events.subscribe(lambda e: heard.append(e.data["choice"]) if e.kind == "kiosk_camera_changed"
                                   else None)
    try:
        assert kiosk_camera() == FRONT                       # the tablet's front camera faces the patient
        assert set_kiosk_camera(BACK, station.manager) == BACK
        assert kiosk_camera() == BACK
        set_kiosk_camera(NONE, station.manager)
        assert kiosk_camera() == NONE
    finally:
        unsubscribe()
    assert heard == [BACK, NONE]
    assert [row.detail["choice"] for row in audit_log(station.manager, action="kiosk_camera")] == [NONE, BACK]


@pytest.mark.parametrize("who, choice, code", [("receptionist", BACK, "manager_only"),
                                               ("manager", "selfie", "kiosk_camera_unknown")])
def test_kiosk_camera_choice_refused_changes_nothing(station, who, choice, code):
    with pytest.raises(Refused) as refused:
        set_kiosk_camera(choice, getattr(station, who))
    assert refused.value.code == code
    assert kiosk_camera() == FRONT
    assert audit_log(station.manager, action="kiosk_camera") == []
