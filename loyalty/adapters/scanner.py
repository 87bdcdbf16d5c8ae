"""The kiosk's scanning loop: newest camera frame -> decode cascade -> debounce -> on_code.

Runs in its own thread and never raises out of it: a failing decoder, a failing callback or an
unplugged camera is logged or reported through `on_status`, and the loop carries on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import cv2
import numpy as np

from loyalty.adapters.capture import ENDED, FrameSource
from loyalty.adapters.debounce import Debouncer
from loyalty.adapters.decoding import Decoded, decode_frame

log = logging.getLogger(__name__)


class Scanner:
    """Calls `on_code(text)` once per presented card; callbacks run on the scanner thread.

    While `paused` is True (welcome screen showing) frames are still decoded so a card that stays
    in view keeps its debounce lock, but nothing is accepted. `on_frame(jpeg)` gets a small preview
    (`preview_width` px, at most `preview_fps`) with decoded codes outlined; `on_status(status)`
    gets every FrameSource status change ("starting", "running", "reconnecting", "ended").
    """

    def __init__(self, source: FrameSource, on_code: Callable[[str], None], *,
                 on_frame: Callable[[bytes], None] | None = None,
                 on_status: Callable[[str], None] | None = None,
                 debouncer: Debouncer | None = None,
                 preview_fps: float = 8.0, preview_width: int = 480) -> None:
        self.source = source
        self.on_code = on_code
        self.on_frame = on_frame
        self.on_status = on_status
        self.debouncer = debouncer or Debouncer()
        self.preview_period = 1.0 / preview_fps
        self.preview_width = preview_width
        self.paused = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._seq = 0
        self._status: str | None = None
        self._next_preview = 0.0

    def start(self) -> Scanner:
        """Start the camera and the scanning thread."""
        if self._thread is None:
            self.source.start()
            self._thread = threading.Thread(target=self._run, name="Scanner", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        self.source.stop(timeout)
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _call(self, callback: Callable[..., None] | None, arg: object) -> None:
        if callback is None:
            return
        try:
            callback(arg)
        except Exception:
            log.exception("scanner callback %r failed", callback)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if not self._step():
                    return
            except Exception:
                log.exception("scanner step failed; carrying on")
                self._stop.wait(0.1)

    def _step(self) -> bool:
        """Handle a status change and at most one new frame; False once the source has ended."""
        if self.source.status != self._status:
            self._status = self.source.status
            self._call(self.on_status, self._status)
            if self._status == ENDED:
                return False
        item = self.source.wait_newer(self._seq, timeout=0.2)
        if item is None:
            return True
        frame, self._seq = item
        try:
            decoded = decode_frame(frame)
        except Exception:
            log.exception("decoding failed on frame %d", self._seq)
            decoded = []
        now = time.monotonic()
        texts = {d.text for d in decoded}
        for text in self.debouncer.step(texts, now, hold=self.paused):
            self._call(self.on_code, text)
        if self.on_frame is not None and now >= self._next_preview:
            self._next_preview = now + self.preview_period
            self._call(self.on_frame, self._preview(frame, decoded))
        return True

    def _preview(self, frame: np.ndarray, decoded: list[Decoded]) -> bytes:
        """A small JPEG for the on-screen mirror: enough to aim the card, cheap to send."""
        s = self.preview_width / frame.shape[1]
        small = cv2.resize(frame, (self.preview_width, round(frame.shape[0] * s)), interpolation=cv2.INTER_AREA)
        for d in decoded:
            pts = np.array(d.points, np.float32) * s
            cv2.polylines(small, [pts.round().astype(np.int32)], True, (80, 220, 80), 2)
        ok, buf = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 70])
        if not ok:
            raise ValueError("JPEG encoding failed")
        return buf.tobytes()
