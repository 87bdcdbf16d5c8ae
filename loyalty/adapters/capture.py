"""Camera frames for the kiosk, always the newest one, surviving an unplugged camera.

Backends queue frames, so a decoder slower than the camera would see ever older images
(opencv#13145). A reader thread therefore drains the camera continuously and keeps only the newest
frame. A video file can stand in for the camera (demo, tests): it is paced at its own frame rate
so it behaves like one, and either loops or ends. A camera that stays connected but stops
delivering frames (a hung driver, a stalled network stream) counts as reconnecting, not running.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

# Opening a camera through MSMF on Windows can take 4-20 s with hardware transforms on
# (opencv#17687). Only effective if cv2 was not imported yet.
os.environ.setdefault("OPENCV_VIDEOIO_MSMF_ENABLE_HW_TRANSFORMS", "0")

import cv2  # noqa: E402
import numpy as np  # noqa: E402

log = logging.getLogger(__name__)

STARTING, RUNNING, RECONNECTING, ENDED = "starting", "running", "reconnecting", "ended"
DEFAULT_FPS = 25.0


class FrameSource:
    """Reads `source` (webcam index, file path or stream URL) in a background thread.

    `status` is "starting", then "running", "reconnecting" (cannot open / read failed / no new
    frame for `stall_s`; retried with exponential backoff) or "ended" (file finished without
    `loop`, or `stop()` called); `failed_opens` counts the attempts to open it that failed. Nothing
    here raises into the caller.
    """

    def __init__(self, source: int | str, *, loop: bool = False, pace: bool = True,
                 size: tuple[int, int] = (1280, 720), backoff: tuple[float, float] = (0.5, 5.0),
                 stall_s: float = 3.0) -> None:
        """`pace` plays files at their own FPS (a camera paces itself); `size` is asked of webcams.

        A digit string from a config file ("0") means that webcam index. `stall_s` is how long a
        running camera may go without a new frame before it reports "reconnecting"; a stream URL
        is also opened with that read timeout, so its reader gives up and reconnects.
        """
        self.source: int | str = int(source) if isinstance(source, str) and source.isdigit() else source
        self.loop = loop
        self.pace = pace
        self.size = size
        self.backoff = backoff
        self.stall_s = stall_s
        self._status = STARTING
        self._frame: np.ndarray | None = None
        self._frame_at = 0.0
        self._seq = 0
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.failed_opens = 0

    @property
    def status(self) -> str:
        with self._cond:
            if self._status == RUNNING and time.monotonic() - self._frame_at > self.stall_s:
                return RECONNECTING
            return self._status

    def start(self) -> FrameSource:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"FrameSource({self.source!r})", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        """Stop reading; waits up to `timeout` for a camera read that is blocked in the driver."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
        self._set_status(ENDED)

    def latest(self) -> tuple[np.ndarray, int] | None:
        """The newest frame and its sequence number (1, 2, ...; gaps mean skipped frames)."""
        with self._cond:
            return None if self._frame is None else (self._frame, self._seq)

    def wait_newer(self, after_seq: int, timeout: float) -> tuple[np.ndarray, int] | None:
        """Block until a frame newer than `after_seq` arrives; None on timeout or when ended."""
        with self._cond:
            self._cond.wait_for(lambda: self._seq > after_seq or self._status == ENDED, timeout)
            if self._seq > after_seq and self._frame is not None:
                return self._frame, self._seq
            return None

    def _set_status(self, status: str) -> None:
        with self._cond:
            if status != self._status:
                log.info("camera %r: %s", self.source, status)
            self._status = status
            self._cond.notify_all()

    def _is_file(self) -> bool:
        return isinstance(self.source, str) and Path(self.source).is_file()

    def _open(self) -> cv2.VideoCapture | None:
        if isinstance(self.source, str) and "://" not in self.source and not Path(self.source).exists():
            return None  # a missing file or device: skip OpenCV's warnings, keep retrying
        if isinstance(self.source, str) and "://" in self.source:
            ms = round(self.stall_s * 1000)
            cap = cv2.VideoCapture(self.source, cv2.CAP_ANY,
                                   [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, ms, cv2.CAP_PROP_READ_TIMEOUT_MSEC, ms])
        else:
            cap = cv2.VideoCapture(self.source)
        if not cap.isOpened():
            cap.release()
            return None
        if isinstance(self.source, int):
            cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*"MJPG"))
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.size[0])
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.size[1])
        if not cap.set(cv2.CAP_PROP_BUFFERSIZE, 1):
            log.debug("camera %r: backend ignores CAP_PROP_BUFFERSIZE; the reader thread drains it", self.source)
        return cap

    def _run(self) -> None:
        delay = self.backoff[0]
        while not self._stop.is_set():
            try:
                cap = self._open()
            except Exception:
                log.exception("camera %r: open failed", self.source)
                cap = None
            if cap is None:
                self.failed_opens += 1
                self._set_status(RECONNECTING)
                self._stop.wait(delay)
                delay = min(delay * 2, self.backoff[1])
                continue
            is_file = self._is_file()
            try:
                frames = self._read_until_failure(cap, is_file)
            except Exception:
                log.exception("camera %r: read failed", self.source)
                frames = 0
            finally:
                cap.release()
            if self._stop.is_set():
                break
            if is_file and frames > 0:
                if self.loop:
                    continue
                break
            self._set_status(RECONNECTING)
            if frames > 0:
                delay = self.backoff[0]
            self._stop.wait(delay)
            delay = min(delay * 2, self.backoff[1])
        self._set_status(ENDED)

    def _read_until_failure(self, cap: cv2.VideoCapture, is_file: bool) -> int:
        """Read frames until a read fails (end of file, unplugged camera) or stop; return the count."""
        period = 0.0
        if is_file and self.pace:
            fps = cap.get(cv2.CAP_PROP_FPS)
            period = 1.0 / (fps if 0 < fps < 1000 else DEFAULT_FPS)  # NaN fails the test too
        t0 = time.monotonic()
        n = 0
        while not self._stop.is_set():
            ok, frame = cap.read()
            if not ok or frame is None:
                return n
            n += 1
            with self._cond:
                self._frame = frame
                self._frame_at = time.monotonic()
                self._seq += 1
                self._cond.notify_all()
            if n == 1:
                self._set_status(RUNNING)
            if period:
                self._stop.wait(max(0.0, t0 + n * period - time.monotonic()))
        return n
