"""The kiosk's capture path when the camera misbehaves: unplugged and plugged back, stalled, never there.

The camera is a real MJPEG stream on 127.0.0.1 (conftest.py) read by cv2.VideoCapture.
"""

import time

import numpy as np

from loyalty.adapters.capture import ENDED, RECONNECTING, RUNNING, FrameSource
from loyalty.adapters.scanner import Scanner

import imagegen

TOKEN = imagegen.TOKENS[2]


def wait_for(predicate, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def flat(value: int) -> list[np.ndarray]:
    return [np.full((240, 320, 3), value, np.uint8)]


def brightness(src: FrameSource) -> float:
    item = src.latest()
    return -1.0 if item is None else float(item[0].mean())


def test_unplugged_camera_reconnects_and_delivers_new_frames(mjpeg_camera):
    mjpeg_camera.show(flat(60))
    mjpeg_camera.plug()
    src = FrameSource(mjpeg_camera.url, backoff=(0.05, 0.2), stall_s=1.0).start()
    try:
        assert wait_for(lambda: src.status == RUNNING, 10.0)
        assert abs(brightness(src) - 60) < 5
        mjpeg_camera.unplug()
        assert wait_for(lambda: src.status == RECONNECTING, 5.0)
        refused = src.failed_opens
        assert wait_for(lambda: src.failed_opens >= refused + 3, 10.0)   # several refused reconnects meanwhile
        assert src.status == RECONNECTING and abs(brightness(src) - 60) < 5, "old frame kept, no crash"
        mjpeg_camera.show(flat(200))
        mjpeg_camera.plug()
        assert wait_for(lambda: abs(brightness(src) - 200) < 5, 10.0), "frames from the camera plugged back in"
        assert src.status == RUNNING and mjpeg_camera.connections == 2
    finally:
        src.stop()
    assert src.status == ENDED


def test_stalled_camera_reports_reconnecting_and_recovers(mjpeg_camera):
    mjpeg_camera.show(flat(90))
    mjpeg_camera.plug()
    src = FrameSource(mjpeg_camera.url, backoff=(0.05, 0.2), stall_s=0.8).start()
    try:
        assert wait_for(lambda: src.status == RUNNING, 10.0)
        mjpeg_camera.stalled.set()  # connection stays open, no more frames
        assert wait_for(lambda: src.status == RECONNECTING, 3.0)
        _, seq = src.latest()
        # the read timeout makes the reader give up on the silent stream and open it anew
        assert wait_for(lambda: mjpeg_camera.connections >= 2, 10.0)
        mjpeg_camera.stalled.clear()
        assert wait_for(lambda: src.status == RUNNING and src.latest()[1] > seq, 10.0)
    finally:
        src.stop()


def test_scanner_reads_a_card_once_the_camera_is_back_and_hears_of_a_stall(mjpeg_camera):
    mjpeg_camera.show([imagegen.background((640, 480), 1)])
    mjpeg_camera.plug()
    codes: list[str] = []
    statuses: list[str] = []
    scanner = Scanner(FrameSource(mjpeg_camera.url, backoff=(0.05, 0.2), stall_s=1.0), codes.append,
                      on_status=statuses.append).start()
    try:
        assert wait_for(lambda: RUNNING in statuses, 10.0)
        mjpeg_camera.unplug()
        assert wait_for(lambda: statuses[-1:] == [RECONNECTING], 5.0)
        mjpeg_camera.show(imagegen.card_clip(TOKEN, [(True, 10)]))
        mjpeg_camera.plug()
        assert wait_for(lambda: codes == [TOKEN], 10.0)
        assert scanner.running and statuses[-1] == RUNNING
        assert statuses.index(RUNNING) < statuses.index(RECONNECTING) < len(statuses) - 1
        mjpeg_camera.stalled.set()  # the preview would freeze: the kiosk must hear about it
        assert wait_for(lambda: statuses[-1] == RECONNECTING, 4.0)
    finally:
        scanner.stop()


def test_scanner_on_a_camera_that_never_opens_reports_and_stops_cleanly(mjpeg_camera):
    """Nothing listens on the camera's port (never plugged in); a device path that does not exist."""
    for source in (mjpeg_camera.url, "/dev/video-not-plugged"):
        statuses: list[str] = []
        codes: list[str] = []
        frames = FrameSource(source, backoff=(0.05, 0.1))
        scanner = Scanner(frames, codes.append, on_status=statuses.append).start()
        try:
            assert wait_for(lambda seen=statuses: RECONNECTING in seen, 5.0)
            assert wait_for(lambda source=frames: source.failed_opens >= 3, 10.0)   # it kept trying, and stays up
            assert scanner.running and statuses[-1] == RECONNECTING and codes == []
        finally:
            t0 = time.monotonic()
            scanner.stop()
            assert time.monotonic() - t0 < 2.5 and not scanner.running
