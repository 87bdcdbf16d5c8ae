"""One camera per station process, feeding every open kiosk page.

The camera is one device, so one Scanner runs for the whole process; it starts when the first kiosk
page opens (nobody looks at a kiosk without a screen) and keeps running. A scanned code is checked
in once, however many pages are open, and the result goes to every page that is not in the join
form; a page in the join form gets the code as the friend's referral instead.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Protocol

from loyalty.adapters.capture import FrameSource
from loyalty.adapters.scanner import Scanner
from loyalty.services import Actor, CheckInResult, check_in, device_id

log = logging.getLogger(__name__)


class Listener(Protocol):
    """What the hub needs of an open kiosk page; all calls come from the scanner thread."""
    busy: bool
    joining: bool

    def checked_in(self, code: str, result: CheckInResult) -> None: ...
    def referral_scanned(self, code: str) -> None: ...
    def frame(self, jpeg: bytes) -> None: ...
    def camera_status(self, status: str | None) -> None: ...


class CameraHub:
    """`camera` is config.camera (webcam index, file or stream URL) or None: then there is no scanner."""

    def __init__(self, camera: int | str | None, *, loop_files: bool = True, preview_fps: float = 6.0,
                 check: Callable[[str, Actor], CheckInResult] = check_in) -> None:
        self.camera = camera
        self.loop_files = loop_files
        self.preview_fps = preview_fps
        self.check = check
        self.scanner: Scanner | None = None
        self.status: str | None = None
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def attach(self, listener: Listener) -> Callable[[], None]:
        """Register an open page; starts the camera on the first one. Returns the detach function."""
        with self._lock:
            self._listeners.append(listener)
            pages = len(self._listeners)
            start = self.camera is not None and self.scanner is None
            if start:
                self.scanner = Scanner(FrameSource(self.camera, loop=self.loop_files), self._on_code,
                                       on_frame=self._on_frame, on_status=self._on_status,
                                       preview_fps=self.preview_fps)
        log.info("kiosk page opened; %d listening", pages)
        if start:
            self.scanner.start()
        listener.camera_status(self.status if self.camera is not None else None)

        def detach() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)
                pages = len(self._listeners)
            log.info("kiosk page left; %d listening", pages)
            self.update_pause()
        return detach

    def update_pause(self) -> None:
        """Paused while any page shows a result, so a card held up longer counts only once."""
        if self.scanner is not None:
            self._pause(any(listener.busy for listener in self._snapshot()))

    def _pause(self, paused: bool) -> None:
        """Logged when it changes: a camera that stays paused is the first thing to look for when
        a card is not read."""
        if self.scanner is not None and self.scanner.paused != paused:
            self.scanner.paused = paused
            log.info("station camera %s", "paused for a result on screen" if paused else "reading again")

    def stop(self) -> None:
        if self.scanner is not None:
            self.scanner.stop()

    def _snapshot(self) -> list[Listener]:
        with self._lock:
            return list(self._listeners)

    def _on_code(self, code: str) -> None:
        listeners = self._snapshot()
        joining = [listener for listener in listeners if listener.joining]
        others = [listener for listener in listeners if not listener.joining]
        log.info("card read; %d page(s) joining, %d showing check-ins", len(joining), len(others))
        for listener in joining:
            listener.referral_scanned(code)
        if not others:
            return
        result = self.check(code, Actor(device_id()))
        self._pause(True)   # the pages show the result now; they unpause via update_pause()
        for listener in others:
            listener.checked_in(code, result)

    def _on_frame(self, jpeg: bytes) -> None:
        if self.scanner is not None and self.scanner.paused:
            self.update_pause()     # a result past its time frees the camera even if no page says so
        for listener in self._snapshot():
            listener.frame(jpeg)

    def _on_status(self, status: str) -> None:
        self.status = status
        for listener in self._snapshot():
            listener.camera_status(status)
