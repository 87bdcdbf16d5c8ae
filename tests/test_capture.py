"""FrameSource and Scanner on real mp4 files through cv2.VideoCapture, the path a webcam uses."""

import os
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from loyalty.adapters.capture import ENDED, RECONNECTING, RUNNING, FrameSource
from loyalty.adapters.scanner import Scanner

from imagegen import TOKENS, card_clip, make_video

TOKEN = TOKENS[1]

FPS = 20.0
N = 30
BITS = 8


def numbered_frame(i: int) -> np.ndarray:
    """Frame i shows its index as 8 black/white blocks, robust to mp4v compression."""
    img = np.full((240, 320, 3), 128, np.uint8)
    for b in range(BITS):
        img[80:160, b * 40:(b + 1) * 40] = 255 if i >> b & 1 else 0
    return img


def frame_index(frame: np.ndarray) -> int:
    return sum(1 << b for b in range(BITS) if frame[120, b * 40 + 20].mean() > 128)


@pytest.fixture(scope="module")
def numbered_video(tmp_path_factory) -> Path:
    return make_video(tmp_path_factory.mktemp("video") / "numbered.mp4", [numbered_frame(i) for i in range(N)], FPS)


def wait_for(predicate, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def test_file_is_paced_like_a_camera_and_latest_is_the_newest_frame(numbered_video):
    started = time.monotonic()
    src = FrameSource(str(numbered_video)).start()
    try:
        assert wait_for(lambda: (src.latest() or (None, 0))[1] >= 5, 5.0), "it plays"
        frame, seq = src.latest()
        elapsed = time.monotonic() - started
        assert src.status == RUNNING
        assert seq <= elapsed * FPS + 3, "paced at the file's 20 fps, never ahead of the clock"
        assert frame_index(frame) == seq - 1, "latest() is the newest frame read, not a queued old one"
        assert wait_for(lambda: src.status == ENDED, 3.0)
        frame, seq = src.latest()
        assert (seq, frame_index(frame)) == (N, N - 1)
    finally:
        src.stop()


def test_wait_newer_skips_to_the_newest(numbered_video):
    src = FrameSource(str(numbered_video)).start()
    try:
        first = src.wait_newer(0, timeout=2.0)
        assert first is not None
        # a slow decoder: three more frames arrive before it asks again
        assert wait_for(lambda: src.latest()[1] >= first[1] + 3, 5.0)
        frame, seq = src.wait_newer(first[1], timeout=2.0)
        assert seq >= first[1] + 3 and frame_index(frame) == seq - 1
    finally:
        src.stop()
    assert src.status == ENDED


def test_loop_restarts_the_file(numbered_video):
    src = FrameSource(str(numbered_video), loop=True, pace=False).start()
    try:
        assert wait_for(lambda: (src.latest() or (None, 0))[1] > 2 * N, 5.0)
        assert src.status == RUNNING
    finally:
        src.stop()


def test_missing_source_reconnects_and_recovers_when_it_appears(tmp_path, numbered_video):
    path = tmp_path / "camera.mp4"
    src = FrameSource(str(path), backoff=(0.05, 0.2)).start()
    try:
        assert wait_for(lambda: src.status == RECONNECTING, 2.0)
        assert wait_for(lambda: src.failed_opens >= 3, 10.0)         # it keeps looking for the file
        assert src.latest() is None and src.status == RECONNECTING
        tmp = tmp_path / "partial.mp4"
        tmp.write_bytes(numbered_video.read_bytes())
        os.replace(tmp, path)  # the camera is plugged in again
        assert wait_for(lambda: src.latest() is not None, 3.0)
        assert src.status in (RUNNING, ENDED)
    finally:
        src.stop()


def test_unreadable_file_keeps_retrying_without_raising(tmp_path):
    path = tmp_path / "broken.mp4"
    path.write_bytes(b"not a video")
    src = FrameSource(str(path), backoff=(0.05, 0.1)).start()
    try:
        assert wait_for(lambda: src.status == RECONNECTING, 3.0)
        assert src.latest() is None
    finally:
        src.stop()


# Scanner: FrameSource + decode_frame + Debouncer on a generated clip, played live at 10 fps.

CLIP_FPS = 10.0


def run_scanner(path: Path, paused: bool = False) -> tuple[list[str], list[bytes], list[str]]:
    codes: list[str] = []
    previews: list[bytes] = []
    statuses: list[str] = []
    scanner = Scanner(FrameSource(str(path)), codes.append, on_frame=previews.append, on_status=statuses.append)
    scanner.paused = paused
    scanner.start()
    try:
        assert wait_for(lambda: not scanner.running, 15.0)
    finally:
        scanner.stop()
    return codes, previews, statuses


def test_scanner_reports_a_held_card_once(tmp_path):
    frames = card_clip(TOKEN, [(False, 5), (True, 15), (False, 5)])
    codes, previews, statuses = run_scanner(make_video(tmp_path / "once.mp4", frames, CLIP_FPS))
    assert codes == [TOKEN]
    assert statuses[-2:] == [RUNNING, ENDED]
    assert len(previews) >= 5 and previews[0][:2] == b"\xff\xd8"
    assert cv2.imdecode(np.frombuffer(previews[0], np.uint8), cv2.IMREAD_COLOR).shape[1] == 480


def test_scanner_reports_again_after_the_card_left_view(tmp_path):
    frames = card_clip(TOKEN, [(False, 3), (True, 10), (False, 20), (True, 10), (False, 3)])
    codes, _, _ = run_scanner(make_video(tmp_path / "twice.mp4", frames, CLIP_FPS))
    assert codes == [TOKEN, TOKEN]


def test_paused_scanner_reports_nothing(tmp_path):
    frames = card_clip(TOKEN, [(False, 3), (True, 10), (False, 3)])
    codes, previews, _ = run_scanner(make_video(tmp_path / "paused.mp4", frames, CLIP_FPS), paused=True)
    assert codes == [] and previews


def test_scanner_survives_a_failing_callback(tmp_path):
    frames = card_clip(TOKEN, [(True, 8), (False, 20), (True, 8)])
    seen: list[str] = []

    def flaky(text: str) -> None:
        seen.append(text)
        raise RuntimeError("UI went away")

    scanner = Scanner(FrameSource(str(make_video(tmp_path / "flaky.mp4", frames, CLIP_FPS))), flaky).start()
    try:
        assert wait_for(lambda: not scanner.running, 10.0)
    finally:
        scanner.stop()
    assert seen == [TOKEN, TOKEN]


def test_digit_string_from_config_means_webcam_index():
    assert FrameSource("0").source == 0 and FrameSource("/dev/video0").source == "/dev/video0"
