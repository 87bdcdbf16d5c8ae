"""The device's own camera, in the browser: the kiosk tablet's and the desk tablet's.

flet-camera drives the browser's camera (getUserMedia; the Flutter camera plugin is in the stock
flet-web client). The web has no image stream (`supports_image_streaming()` is False), so pictures
are polled with `take_picture()`: 20-90 ms each for a 640x480 JPEG in headless Chromium. Every
picture goes through the station camera's decode cascade and debounce (a code counts once it is
in 2 of 3 pictures, then not again until it has been out of view), so a card counts the same
whichever camera saw it.

A browser gives the camera only to a secure context (HTTPS, or localhost) and only with the
user's permission; the reasons it cannot are told apart, so the screen can say what to do. An
unplugged camera raises nothing: the picture freezes (measured: the same black JPEG every time),
so pictures that stay byte-identical for `stall_s` count as a lost camera; a real sensor is
never noise-free.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlparse

import cv2
import flet as ft
import flet_camera as fc
import numpy as np

from loyalty.adapters.debounce import Debouncer
from loyalty.adapters.decoding import decode_frame

log = logging.getLogger(__name__)

STARTING, RUNNING, LOST = "starting", "running", "lost"
DENIED, MISSING, IN_USE, INSECURE = "denied", "missing", "in_use", "insecure"
PROBLEMS = (DENIED, MISSING, IN_USE, INSECURE, LOST)
"""Statuses in which the camera does not read: each has its own help text on screen."""

FRONT, BACK = "front", "back"
LENSES = (FRONT, BACK)

# What the Flutter camera plugin says (CameraException codes in flet-web 1.0.5's client).
_ERROR_CODES = (("CameraAccessDenied", DENIED), ("cameraSecurity", DENIED), ("cameraNotFound", MISSING),
                ("cameraOverconstrained", MISSING), ("cameraNotReadable", IN_USE), ("cameraAbort", IN_USE))
_LOOPBACK = ("localhost", "127.0.0.1", "::1")

OPEN_TIMEOUT_S = 30.0
"""Opening may wait for the person to answer the browser's permission question."""
PICTURE_TIMEOUT_S = 5.0
"""A picture takes under 0.1 s; one that has not come after this long means the page went away."""


def secure_page(url: str | None) -> bool:
    """Whether the browser treats the page as a secure context: HTTPS (wss) or a loopback address.

    `url` is the page's websocket address as the server saw it (flet's `page.url`)."""
    if not url:
        return False
    parsed = urlparse(url)
    host = (parsed.hostname or "").lower()
    return parsed.scheme in ("https", "wss") or host in _LOOPBACK or host.startswith("127.") \
        or host.endswith(".localhost")


def problem_of(error: BaseException, secure: bool) -> str:
    """Why the browser refused the camera, from the plugin's error text.

    Outside a secure context `navigator.mediaDevices` does not exist and the plugin fails with a
    null check ("Null check operator used on a null value"), so any error there means INSECURE."""
    if not secure:
        return INSECURE
    text = str(error)
    for code, problem in _ERROR_CODES:
        if code in text:
            return problem
    return MISSING


def choose_camera(cameras: list[fc.CameraDescription], lens: str) -> fc.CameraDescription | None:
    """The first camera facing the chosen way; else the first there is (a PC's webcam says
    "external", so a counter PC works with the tablet's default choice)."""
    direction = fc.CameraLensDirection.BACK if lens == BACK else fc.CameraLensDirection.FRONT
    for camera in cameras:
        if camera.lens_direction == direction:
            return camera
    return cameras[0] if cameras else None


class PictureReader:
    """Pictures (JPEG bytes) to accepted codes, with the station camera's cascade and debounce."""

    def __init__(self, debouncer: Debouncer | None = None, stall_s: float = 3.0) -> None:
        self.debouncer = debouncer or Debouncer()
        self.stall_s = stall_s
        self._last: bytes | None = None
        self._changed_at: float | None = None

    def read(self, picture: bytes, now: float, hold: bool = False) -> list[str]:
        """Codes accepted by this picture; none while `hold` (a result is on screen), but a card
        still in view keeps its lock. A picture that is not an image reads as an empty one."""
        if picture != self._last or self._changed_at is None:
            self._last, self._changed_at = picture, now
        frame = cv2.imdecode(np.frombuffer(picture, np.uint8), cv2.IMREAD_COLOR) if picture else None
        texts = {d.text for d in decode_frame(frame)} if frame is not None else set()
        return self.debouncer.step(texts, now, hold)

    def stalled(self, now: float) -> bool:
        """The same picture for `stall_s`: the camera was unplugged or stopped delivering."""
        return self._changed_at is not None and now - self._changed_at >= self.stall_s

    def restart(self) -> None:
        """A reopened camera starts a new picture history (its first pictures may repeat)."""
        self._last = self._changed_at = None


class BrowserCamera:
    """One page's camera: opens the chosen camera, polls pictures, hands accepted codes to `on_code`.

    `control` goes into the page's layout. Its size and place may change freely, but while it reads
    it must stay on the page: taking it out, or changing its visibility or opacity, disposes the
    browser's camera (measured with flet 1.0.5); `close()` takes it away safely. `start()` once the
    control is on the page; `on_status` gets every status change, `on_code` every accepted code (both
    on the page's event loop). While `hold()` is true codes are seen but not accepted. `period_s` is
    the time between pictures; a view may slow it down while nobody is expected to show a code.
    """

    def __init__(self, page: ft.Page, on_code: Callable[[str], Awaitable[None]],
                 on_status: Callable[[str], None], *, lens: str = FRONT, hold: Callable[[], bool] = lambda: False,
                 overlay: ft.Control | None = None, period_s: float = 0.1, stall_s: float = 3.0,
                 backoff: tuple[float, float] = (1.0, 10.0)) -> None:
        self.page = page
        self.on_code = on_code
        self.on_status = on_status
        self.lens = lens
        self.hold = hold
        self.period_s = period_s
        self.backoff = backoff
        self.reader = PictureReader(stall_s=stall_s)
        self.control = fc.Camera(expand=True, content=overlay)
        self.status: str | None = None
        self.cameras: list[fc.CameraDescription] = []   # what the browser offered at the last opening
        self.pictures = 0
        self._task = None
        self._generation = 0        # each start() is one run; a stopped run ends at its next step
        self._closing = False
        self._dock: ft.Container | None = None
        self._wake = asyncio.Event()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Open the camera and read; nothing while it reads already or after `close()`."""
        if not self.running and not self._closing:
            self._generation += 1
            self._task = self.page.run_task(self._run, self._generation)

    def stop(self) -> None:
        """Stop reading but keep the control (the page went to sleep; another lens is wanted)."""
        self._generation += 1
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def close(self) -> None:
        """Stop for good, in the page update that takes the control's screen away: the control moves
        to a one-pixel dock in the page's overlay and leaves the page once the call in flight to the
        browser has answered (an answer for a control no longer on the page breaks the page's
        connection in flet 1.0.5). The caller updates the page, as for any change of screen."""
        if self._closing:
            return
        self._closing = True
        self._wake.set()
        if self.running:
            self._dock = ft.Container(self.control, width=1, height=1, left=0, top=0)
            self.page.overlay.append(self._dock)

    def retry(self) -> None:
        """Try to open the camera now instead of after the back-off (a "try again" button)."""
        self._wake.set()

    def _live(self, generation: int) -> bool:
        return generation == self._generation and not self._closing

    def _set_status(self, status: str) -> None:
        if status != self.status:
            log.info("browser camera: %s", status)
            self.status = status
            self.on_status(status)

    async def _run(self, generation: int) -> None:
        delay = self.backoff[0]
        try:
            while self._live(generation):
                if self.status is None:
                    self._set_status(STARTING)   # a retry keeps showing the problem until it is solved
                status = await self._open(generation)
                if not self._live(generation):
                    break
                self._set_status(status)
                if status == RUNNING:
                    delay = self.backoff[0]
                    await self._poll(generation)
                    if not self._live(generation):
                        break
                    self._set_status(LOST)
                await self._pause(delay)
                delay = min(delay * 2, self.backoff[1])
        except Exception:   # a page gone for good: nothing left to show the problem on
            log.exception("browser camera loop ended")
        finally:
            if self._closing and self._dock is not None:
                self.page.overlay.remove(self._dock)
                self._dock = None
                self._update_page()

    def _update_page(self) -> None:
        try:
            self.page.update()
        except Exception:   # the page has gone meanwhile
            log.debug("page gone before the camera left it")

    async def _pause(self, seconds: float) -> None:
        """Wait, unless retry() or close() wakes us."""
        self._wake.clear()
        try:
            await asyncio.wait_for(self._wake.wait(), seconds)
        except TimeoutError:
            pass

    async def _open(self, generation: int) -> str:
        try:
            self.cameras = await asyncio.wait_for(self.control.get_available_cameras(), OPEN_TIMEOUT_S)
            camera = choose_camera(self.cameras, self.lens)
            if camera is None:
                return MISSING
            if not self._live(generation):
                return STARTING
            await asyncio.wait_for(self.control.initialize(camera, fc.ResolutionPreset.MEDIUM, enable_audio=False),
                                   OPEN_TIMEOUT_S)
        except (RuntimeError, TimeoutError) as error:
            problem = problem_of(error, secure_page(self.page.url))
            log.info("browser camera refused (%s): %s", problem, error)
            return problem
        self.reader.restart()
        return RUNNING

    async def _poll(self, generation: int) -> None:
        """Pictures until the camera fails or freezes, or this run is stopped."""
        while self._live(generation):
            started = time.monotonic()
            try:
                picture = await asyncio.wait_for(self.control.take_picture(), PICTURE_TIMEOUT_S)
            except (RuntimeError, TimeoutError) as error:
                log.info("browser camera: picture failed: %s", error)
                return
            now = time.monotonic()
            self.pictures += 1
            codes = await asyncio.to_thread(self.reader.read, picture or b"", now, self.hold())
            if self.reader.stalled(now):
                return
            for code in codes:
                if self._live(generation):
                    await self.on_code(code)
            await self._pause(max(0.0, started + self.period_s - time.monotonic()))
