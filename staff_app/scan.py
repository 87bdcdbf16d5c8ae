"""Scanning a card at the desk opens the member: with the USB scanner, or the tablet's camera.

The desk tablet's own camera, read like the kiosk's (loyalty/adapters/browser_camera.py: the same
decode cascade and debounce). Where the kiosk runs in this same browser and reads the camera, the
panel does not open the camera a second time, which could take it from the kiosk: it borrows the
kiosk's next read (loyalty/adapters/camera_share.py). A USB scanner works all the while (the page's
key handler opens the member). The camera stops when the panel goes: after a read, on cancel, on
another screen, on sign-out.
"""
from __future__ import annotations

import time
from collections.abc import Callable

import flet as ft

from loyalty.adapters import browser_camera as bc
from loyalty.adapters.camera_share import browser_id
from loyalty.adapters.wedge import WedgeBuffer
from loyalty.services import find_card
from staff_app.ui import ACCENT, Ctx, heading

# Flutter names a few keys instead of giving their character.
_KEY_NAMES = {"Colon": ":", "Semicolon": ";", "Minus": "-", "Period": ".", "Space": " ", "Numpad Enter": "Enter"}


def wedge_key(ctx: Ctx, key: str) -> str | None:
    """Feed a page key event to this session's wedge buffer; a complete code when Enter ends one."""
    buffer = getattr(ctx, "wedge", None)
    if buffer is None:
        # Keys reach the server over a websocket: allow for network jitter, not only scanner speed.
        buffer = ctx.wedge = WedgeBuffer(max_gap_s=1.0)
    code = buffer.key(_KEY_NAMES.get(key, key), time.monotonic())
    return code if code and ":" in code else None


def member_for_code(ctx: Ctx, code: str) -> str | None:
    """A scanned card code to the member it belongs to; says why not otherwise."""
    now = time.monotonic()
    last = getattr(ctx, "last_scan", (None, 0.0))
    card_row, problem = find_card(code.strip())
    if problem:
        ctx.fail(ctx.raw(f"checkin.{problem}"))
        return None
    if last[0] == code and now - last[1] < 2:
        return None   # the search field and the page both saw the same scan
    ctx.last_scan = (code, now)
    ctx.ok(ctx.t("desk.scanned"))
    return card_row.member_id


PREVIEW_W, PREVIEW_H = 560, 420
LENS_KEY = "loyalty.desk_lens"   # the desk tablet remembers which of its cameras the receptionist chose


class ScanPanel:
    """The scan screen of the desk; `start()` once it is on the page, `stop()` when it goes."""

    def __init__(self, ctx: Ctx, on_close: Callable[[], None]) -> None:
        self.ctx = ctx
        self.on_close = on_close
        self.camera: bc.BrowserCamera | None = None
        self.browser: str | None = None
        self._cancel_borrow: Callable[[], None] | None = None
        self._stopped = False
        self.guide = ft.Container(width=PREVIEW_H * 0.62, height=PREVIEW_H * 0.62, border_radius=22,
                                  border=ft.Border.all(5, "white"))
        self.picture = ft.Container(width=PREVIEW_W, height=PREVIEW_H, border_radius=16, bgcolor="#1f2a30",
                                    clip_behavior=ft.ClipBehavior.ANTI_ALIAS)
        self.no_camera = ft.Container(ft.Icon(ft.Icons.NO_PHOTOGRAPHY_OUTLINED, size=120, color="#9fb3b8"),
                                      alignment=ft.Alignment.CENTER, bgcolor="#1f2a30", visible=False)
        self.say = ft.Text(ctx.t("scan.starting"), size=18)
        self.help = ft.Text("", size=17, color="#b71c1c", visible=False)
        self.other_lens = ft.TextButton(ctx.t("scan.other_camera"), icon=ft.Icons.CAMERASWITCH,
                                        on_click=self._switch_lens, visible=False)
        self.retry = ft.TextButton(ctx.t("scan.retry"), icon=ft.Icons.REFRESH, visible=False,
                                   on_click=lambda e: self.camera.retry() if self.camera else None)
        self.control = ft.Column([
            heading(ctx.t("scan.title")),
            ft.Row([self.picture,
                    ft.Column([self.say, self.help, ft.Text(ctx.t("scan.scanner_hint"), size=16, color="#555555"),
                               self.other_lens, self.retry,
                               ft.Button(ctx.t("cancel"), icon=ft.Icons.CLOSE, on_click=lambda e: self.close(),
                                         style=ft.ButtonStyle(bgcolor=ACCENT, color="white"))],
                              spacing=14, expand=True)],
                   spacing=24, vertical_alignment=ft.CrossAxisAlignment.START),
        ], spacing=16)

    async def start(self) -> None:
        self.browser = await browser_id()
        if self._stopped:
            return
        self._cancel_borrow = self.ctx.share.borrow(self.browser, self._borrowed)
        if self._cancel_borrow is not None:
            self.say.value = self.ctx.t("scan.kiosk_camera")
            self.picture.content = ft.Icon(ft.Icons.QR_CODE_SCANNER, size=160, color="white")
            self.picture.alignment = ft.Alignment.CENTER
            self.ctx.page.update()
            return
        await self._open_camera()

    def stop(self) -> None:
        self._stopped = True
        if self._cancel_borrow is not None:
            self._cancel_borrow()
            self._cancel_borrow = None
        if self.camera is not None:
            self.camera.close()

    def close(self) -> None:
        self.ctx.touch()
        self.stop()
        self.on_close()

    async def _open_camera(self) -> None:
        lens = await _remembered_lens()
        self.camera = bc.BrowserCamera(self.ctx.page, self._code, self._status, lens=lens,
                                       overlay=ft.Container(self.guide, alignment=ft.Alignment.CENTER))
        self.picture.content = ft.Stack([self.camera.control, self.no_camera], expand=True)
        self.ctx.page.update()
        self.camera.start()

    def _borrowed(self, code: str | None) -> None:
        """From the kiosk's loop: its next read, or None when it stopped reading (use our own camera)."""
        async def run() -> None:
            self._cancel_borrow = None
            if self._stopped:
                return
            if code is None:
                await self._open_camera()
            else:
                await self._code(code)
        try:
            self.ctx.page.run_task(run)
        except RuntimeError:   # the staff page has gone
            pass

    async def _code(self, code: str) -> None:
        self.ctx.touch()
        member_id = member_for_code(self.ctx, code)
        if member_id is None:
            self.ctx.page.update()          # the reason is on the status line; keep scanning
            if self.camera is None and not self._stopped:
                self._cancel_borrow = self.ctx.share.borrow(self.browser, self._borrowed)
            return
        self.stop()
        self.ctx.show("member", member_id)
        self.ctx.page.update()

    def _status(self, status: str) -> None:
        problem = status in bc.PROBLEMS
        self.say.value = self.ctx.t("scan.hold_card" if status == bc.RUNNING else
                                    "scan.unavailable" if problem else "scan.starting")
        self.help.value = self.ctx.t(f"scan.problem.{status}") if problem else ""
        self.help.visible = self.no_camera.visible = problem
        self.retry.visible = problem and status != bc.INSECURE
        self.other_lens.visible = status == bc.RUNNING and len(self.camera.cameras) > 1
        self.ctx.page.update()

    async def _switch_lens(self, e) -> None:
        self.ctx.touch()
        if self.camera is None:
            return
        lens = bc.BACK if self.camera.lens == bc.FRONT else bc.FRONT
        await ft.SharedPreferences().set(LENS_KEY, lens)
        self.camera.lens = lens
        self.camera.stop()
        self.camera.start()


async def _remembered_lens() -> str:
    value = await ft.SharedPreferences().get(LENS_KEY)
    return value if value in bc.LENSES else bc.FRONT
