"""Where the patient aims their code: the tablet's own camera, the station camera's picture, or the
scanner sign; and, when the tablet's camera cannot be used, what to do instead.

A layer over the kiosk's screens: full size left of the idle screen (with a frame guide), small
in the join form's free corner beside "recommended by a friend?", out of the way on every other
screen. The tablet's camera control never leaves the page while the kiosk is open: flet-camera
disposes the browser's camera when its control is taken out, hidden or faded (measured with flet
1.0.5), while moving and resizing it is free. So it shrinks to one pixel instead and keeps reading
(a card still held up after a welcome must not count twice).
"""
from __future__ import annotations

from collections.abc import Callable

import flet as ft

from kiosk.screens import BODY, INK, MUTED, PREVIEW_H, PREVIEW_W, SMALL, SOFT, TEAL, WARM, WHITE, placeholder_jpeg, text
from kiosk.session import IDLE, JOIN
from loyalty.adapters import browser_camera as bc
from loyalty.i18n import t

DEVICE, STATION, SCANNER = "device", "station", "scanner"
JOIN_W, JOIN_H = 200, 150       # bottom right of the join form, under the friend's-code line
GUIDE = 0.62   # the frame guide's side as a share of the picture's height

# The station camera's statuses (loyalty.adapters.capture) and the tablet camera's, as lines of text.
STATION_LINES = {"starting": "kiosk.camera_starting", "reconnecting": "kiosk.camera_reconnecting",
                 "ended": "kiosk.camera_ended"}
DEVICE_LINES = {bc.STARTING: "kiosk.camera_starting_device"}


class Viewfinder:
    """The kiosk body's top layer. `mode` is DEVICE (the tablet's camera: pass its BrowserCamera),
    STATION (the station camera's preview pictures) or SCANNER (no camera)."""

    def __init__(self, mode: str, lang: str, camera: bc.BrowserCamera | None = None,
                 on_retry: Callable[[], None] | None = None) -> None:
        self.mode = mode
        self.lang = lang
        self.screen = IDLE
        self.status: str | None = None
        self.lent = False
        self.on_retry = on_retry
        self.preview: ft.Image | None = None
        self.guide = ft.Container(border=ft.Border.all(6, WHITE), border_radius=28)
        self.box = ft.Container(border_radius=28, clip_behavior=ft.ClipBehavior.ANTI_ALIAS)
        if mode == DEVICE:
            camera.control.content = ft.Container(self.guide, alignment=ft.Alignment.CENTER)
            self.box.content = camera.control
        elif mode == STATION:
            self.preview = ft.Image(src=placeholder_jpeg(), width=PREVIEW_W, height=PREVIEW_H, fit=ft.BoxFit.COVER,
                                    gapless_playback=True)
            self.box.content = ft.Stack([self.preview, ft.Container(self.guide, alignment=ft.Alignment.CENTER,
                                                                    width=PREVIEW_W, height=PREVIEW_H)])
        else:
            self.box.content = ft.Icon(ft.Icons.QR_CODE_SCANNER, size=220, color=TEAL)   # the title says it
            self.box.alignment = ft.Alignment.CENTER
        self.line = text("", SMALL, color=MUTED, align=ft.TextAlign.CENTER)
        self.help_title = text("", BODY, weight=ft.FontWeight.BOLD, color=TEAL)
        self.help_patient = text("", SMALL)
        self.help_staff_label = text("", SMALL - 4, weight=ft.FontWeight.BOLD, color=MUTED)
        self.help_staff = text("", SMALL - 4, color=INK)
        self.retry = ft.Button(content=t("kiosk.camera_help.retry", lang), height=60,
                               on_click=lambda _e: on_retry() if on_retry else None,
                               style=ft.ButtonStyle(bgcolor=WHITE, color=TEAL, side=ft.BorderSide(2, TEAL),
                                                    text_style=ft.TextStyle(size=SMALL, weight=ft.FontWeight.W_600),
                                                    shape=ft.RoundedRectangleBorder(radius=18)))
        self.help = ft.Container(
            ft.Column([ft.Row([ft.Icon(ft.Icons.NO_PHOTOGRAPHY_OUTLINED, size=44, color=WARM),
                               ft.Container(self.help_title, expand=True)], spacing=14),
                       self.help_patient, ft.Divider(color=MUTED, height=12), self.help_staff_label, self.help_staff,
                       self.retry], spacing=10, tight=True),
            width=PREVIEW_W, bgcolor=SOFT, border_radius=28, padding=28, visible=False)
        self.control = ft.Container(ft.Column([self.box, self.help, self.line], spacing=12, tight=True,
                                              horizontal_alignment=ft.CrossAxisAlignment.CENTER),
                                    alignment=ft.Alignment.CENTER)
        self.layout(IDLE, lang)

    @property
    def problem(self) -> bool:
        return self.mode == DEVICE and self.status in bc.PROBLEMS

    @property
    def footprint(self) -> float:
        """The width the idle screen leaves free on its left for the viewfinder."""
        return PREVIEW_W * 0.7 if self.mode == SCANNER and not self.problem else PREVIEW_W

    def layout(self, screen: str, lang: str) -> None:
        """Place, size and texts for `screen`; the caller updates the page."""
        self.screen, self.lang = screen, lang
        joining = screen == JOIN and self.mode == DEVICE and not self.problem
        if screen == IDLE:
            self._place(left=0, top=0, bottom=0, width=self.footprint)
        elif joining:
            self._place(right=0, bottom=0, width=JOIN_W, height=JOIN_H)
        else:
            self._place(left=0, top=0, width=1, height=1)
        self.control.visible = screen == IDLE or joining or self.mode == DEVICE
        if self.problem or screen not in (IDLE, JOIN):
            self._size(1, 1)
        elif joining:
            self._size(JOIN_W, JOIN_H)
        else:
            self._size(self.footprint, PREVIEW_H)
        if self.problem and screen == IDLE:
            self._fill_help()
        self.help.visible = self.problem and screen == IDLE
        self.line.value = self._line()
        self.line.visible = screen == IDLE and bool(self.line.value)
        if self.preview is not None:     # the scanner's icon is decoration: the idle screen's title says it
            self.preview.semantics_label = t("kiosk.camera_preview", lang)

    def set_status(self, status: str | None) -> None:
        self.status = status
        self.layout(self.screen, self.lang)

    def set_lent(self, lent: bool) -> None:
        """The staff app in this browser borrowed the camera's next read."""
        self.lent = lent
        self.layout(self.screen, self.lang)

    def show_frame(self, jpeg: bytes) -> bool:
        """A station-camera preview picture; False when none is on screen."""
        if self.preview is None or self.screen != IDLE:
            return False
        self.preview.src = jpeg
        return True

    def _place(self, *, left: float | None = None, top: float | None = None, right: float | None = None,
               bottom: float | None = None, width: float | None = None, height: float | None = None) -> None:
        c = self.control
        c.left, c.top, c.right, c.bottom, c.width, c.height = left, top, right, bottom, width, height

    def _size(self, width: float, height: float) -> None:
        self.box.width, self.box.height = width, height
        self.box.bgcolor = None if height <= 1 else SOFT if self.mode == SCANNER else INK
        self.guide.width = self.guide.height = height * GUIDE if height > 1 else 0
        self.guide.border = ft.Border.all(6 if height >= PREVIEW_H else 3, WHITE) if height > 1 else None
        self.box.border_radius = 28 if height >= PREVIEW_H else 16

    def _line(self) -> str:
        if self.mode == DEVICE and self.lent:
            return t("kiosk.camera_lent", self.lang)
        key = (DEVICE_LINES if self.mode == DEVICE else STATION_LINES).get(self.status or "")
        return t(key, self.lang) if key else ""

    def _fill_help(self) -> None:
        lang, problem = self.lang, self.status
        self.help_title.value = t("kiosk.camera_help.title", lang)
        self.help_patient.value = t("kiosk.camera_help.patient", lang)
        self.help_staff_label.value = t("kiosk.camera_help.for_staff", lang)
        self.help_staff.value = t(f"kiosk.camera_help.{problem}", lang)
        self.retry.content = t("kiosk.camera_help.retry", lang)
        self.retry.visible = problem != bc.INSECURE
