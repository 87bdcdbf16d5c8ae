"""The counter kiosk: a Flet web app; `make_kiosk(config)` gives the page handler the station mounts.

One CameraHub per station process (the camera is one device) feeds every open kiosk page; each page
has its own KioskSession (screen, language, timeouts) and its own USB-scanner buffer, since a
keyboard-wedge scanner types into the page that has the focus. UI changes always run on the page's
event loop: scanner-thread callbacks are handed over with `page.run_task`.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import flet as ft

from kiosk.feedback import FeedbackPanel
from kiosk.hub import CameraHub
from kiosk.join import JoinForm
from kiosk.screens import (
    BG,
    MUTED,
    PREVIEW_H,
    PREVIEW_W,
    SMALL,
    TEAL,
    WARM,
    TopBar,
    card_screen,
    delivery_line,
    idle_screen,
    notice_screen,
    placeholder_jpeg,
    text,
    welcome_screen,
)
from kiosk.session import CARD, IDLE, JOIN, NOTICE, WELCOME, KioskSession, Timing
from loyalty.adapters.channels import channels_from_config
from loyalty.adapters.printer import PrinterConfig, print_card
from loyalty.adapters.wedge import WedgeBuffer
from loyalty.config import Config
from loyalty.errors import Refused
from loyalty.i18n import t
from loyalty.services import Actor, CheckInResult, check_in, current_program, device_id, enroll, find_card, qr_png
from loyalty.services.checkin import ALREADY, CHECKED_IN
from loyalty.services.feedback import feedback_prompt, submit_feedback
from loyalty.services.messages import WelcomeDelivery, welcome_delivery

log = logging.getLogger(__name__)

CAMERA_LINES = {"starting": "kiosk.camera_starting", "reconnecting": "kiosk.camera_reconnecting",
                "ended": "kiosk.camera_ended"}
# A scanner types within ms, but key events reach the server through Flutter web and the websocket:
# measured 40-250 ms apart in headless Chromium on a busy 2-core machine. Keys arrive as Flutter key
# labels ("L", ":", "7", "Enter"), letters upper-case, as the card tokens are.
WEDGE_GAP_S = 0.6
DESIGN_W, DESIGN_H = 1200, 720   # the 1280x800 window less the page padding


def make_kiosk(config: Config) -> Callable[[ft.Page], None]:
    hub = CameraHub(config.camera)
    timing = Timing.from_config(config.kiosk)
    channels = tuple(channels_from_config(config))   # how a new member's card can reach them

    async def main(page: ft.Page) -> None:
        KioskPage(page, config, hub, timing, channels).start()
    return main


class KioskPage:
    """One open kiosk page: renders the session's screen and turns events into service calls."""

    def __init__(self, page: ft.Page, config: Config, hub: CameraHub, timing: Timing,
                 channels: tuple[str, ...] = ()) -> None:
        self.page = page
        self.config = config
        self.hub = hub
        self.session = KioskSession(config.language, timing)
        self.printer = PrinterConfig.from_config(config.printer)
        self.channels = channels
        self.wedge = WedgeBuffer(max_gap_s=WEDGE_GAP_S)
        self.typing = False
        self.form: JoinForm | None = None
        self.feedback_visit: str | None = None
        self.card_lines: list[ft.Control] = []
        self.preview: ft.Image | None = None
        self.camera_line = text("", SMALL, color=MUTED)
        self.camera_state: str | None = None
        self.top = TopBar(current_program().name, self._set_language)
        self.body = ft.Container(expand=True, alignment=ft.Alignment.CENTER)
        self.root = ft.Column([self.top.control, self.body], spacing=24)
        self.frame_box = ft.Container(self.root, width=DESIGN_W, height=DESIGN_H)
        self._rendered: int | None = None
        self._frame_pending = False
        self._closed = False
        self._detach: Callable[[], None] | None = None
        self._listening = False

    # --- Listener protocol (called from the scanner thread) -----------------------------------

    @property
    def busy(self) -> bool:
        """A result on screen within its time. Past it the page counts as free even if it never went
        back to idle: a browser closed without a goodbye kept the camera paused for minutes."""
        deadline = self.session.deadline
        return self.session.busy and (deadline is None or time.monotonic() < deadline)

    @property
    def joining(self) -> bool:
        return self.session.joining

    def checked_in(self, code: str, result: CheckInResult) -> None:
        self._later(self._show_result, result)

    def referral_scanned(self, code: str) -> None:
        self._later(self._referral, code)

    def frame(self, jpeg: bytes) -> None:
        if self.session.screen == IDLE and not self._frame_pending and self.preview is not None:
            self._frame_pending = True
            self._later(self._show_frame, jpeg)

    def camera_status(self, status: str | None) -> None:
        self._later(self._show_camera_status, status)

    # --- set-up ------------------------------------------------------------------------------

    def start(self) -> None:
        page = self.page
        page.title = current_program().name
        page.bgcolor = BG
        page.padding = 40
        page.horizontal_alignment = ft.CrossAxisAlignment.CENTER
        page.vertical_alignment = ft.MainAxisAlignment.CENTER
        page.on_resize = lambda e: self._fit(e.width, e.height)
        page.theme_mode = ft.ThemeMode.LIGHT
        page.theme = ft.Theme(color_scheme_seed=TEAL)
        page.on_keyboard_event = self._on_key
        page.on_disconnect = lambda _e: self._detach_hub()
        page.on_connect = lambda _e: self._attach()
        page.on_close = lambda _e: self._close()
        page.add(self.frame_box)
        self._fit(page.width, page.height, update=False)
        self.render()
        self._attach()
        page.run_task(self._ticker)

    def _fit(self, width: float | None, height: float | None, update: bool = True) -> None:
        """Every screen is laid out for 1280x800 and scaled to the window: the same look at arm's
        length on a 1280x800 tablet and on a 1920x1080 counter screen."""
        if not width or not height:
            return
        self.frame_box.scale = round(min((width - 80) / DESIGN_W, (height - 80) / DESIGN_H), 3)
        if update:
            self.frame_box.update()

    def _attach(self) -> None:
        if self._detach is None and not self._closed:
            self._listening = True    # before attach(): it tells this page the camera's state at once
            self._detach = self.hub.attach(self)

    def _detach_hub(self) -> None:
        self._listening = False
        if self._detach is not None:
            self._detach()
            self._detach = None

    def _close(self) -> None:
        """The Flet session expired: stop listening and let the ticker end."""
        self._closed = True
        self._detach_hub()

    def _later(self, handler, *args) -> None:
        """Run an async handler on the page's loop, from any thread."""
        if not self._listening:
            log.info("kiosk page not listening; dropped %s", handler.__name__)
            return
        try:
            self.page.run_task(handler, *args)
        except Exception:   # the page went away between the check and the call
            log.debug("kiosk page gone; dropped %s", handler.__name__)

    async def _ticker(self) -> None:
        while not self._closed:
            await asyncio.sleep(0.25)
            if self.session.tick(time.monotonic()):
                self.form = None
                self.typing = False
                try:
                    self.render()
                except Exception:   # the browser went away without a goodbye: stop listening to the camera
                    log.info("kiosk page gone; it no longer takes scans")
                    self._close()

    # --- rendering ---------------------------------------------------------------------------

    def render(self) -> None:
        """Restyle the language buttons and, unless only the language of a join form changed, rebuild
        the body (the form relabels itself in place and keeps what was typed)."""
        lang = self.session.language
        self.top.set_language(lang)
        try:
            if self._rendered != self.session.version or self.session.screen != JOIN:
                self.body.content = self._body(lang)
            self._rendered = self.session.version
            self.page.update()
        finally:   # the camera pauses for what this page shows, even when the page could not be drawn
            self.hub.update_pause()

    def _body(self, lang: str) -> ft.Control:
        screen, data = self.session.screen, self.session.data
        if screen == WELCOME:
            panel = None
            if self.feedback_visit is not None:
                panel = FeedbackPanel(lang, self._send_feedback, on_typing=self._set_typing,
                                      on_touch=lambda: self.session.touch(time.monotonic())).control
            return welcome_screen(lang, data, current_program().rewards, self._to_idle, feedback=panel)
        if screen == NOTICE:
            return notice_screen(lang, data, self._to_idle)
        if screen == JOIN and self.form is not None:
            return self.form.control
        if screen == CARD:
            return card_screen(lang, data.status.first_name, qr_png(data.card_token, box_size=10),
                               data.bonus_points, self.card_lines, self._to_idle)
        self.preview = None
        if self.hub.camera is not None:
            self.preview = ft.Image(src=placeholder_jpeg(), width=PREVIEW_W, height=PREVIEW_H, fit=ft.BoxFit.COVER,
                                    gapless_playback=True, semantics_label=t("kiosk.camera_preview", lang))
        self.camera_line = text(self._camera_text(lang), SMALL, color=MUTED)
        return idle_screen(lang, self.preview, self.camera_line, self._start_join)

    def _camera_text(self, lang: str) -> str:
        key = CAMERA_LINES.get(self.camera_state or "")
        return t(key, lang) if key else ""

    # --- events ------------------------------------------------------------------------------

    def _set_language(self, lang: str) -> None:
        self.session.set_language(lang)
        self.session.touch(time.monotonic())
        if self.form is not None:
            self.form.relabel(lang)
        self.render()

    def _to_idle(self, _e=None) -> None:
        self.session.idle()
        self.form = None
        self.typing = False
        self.render()

    def _on_key(self, e: ft.KeyboardEvent) -> None:
        """USB scanner in keyboard-wedge mode: fast keys + Enter; ignored while a field has focus."""
        if self.typing:
            return
        code = self.wedge.key(e.key, time.monotonic())
        if code:
            self.page.run_task(self._wedge_code, code)

    async def _wedge_code(self, code: str) -> None:
        if self.session.joining:
            await self._referral(code)
            return
        result = await asyncio.to_thread(check_in, code, self._actor())
        await self._show_result(result)

    async def _show_result(self, result: CheckInResult) -> None:
        self.feedback_visit = None
        if result.status == CHECKED_IN:
            self.feedback_visit = await asyncio.to_thread(feedback_prompt, result.member.member_id)
        now = time.monotonic()
        if result.status in (CHECKED_IN, ALREADY):
            self.session.show(WELCOME, result, now,
                              seconds=self.session.timing.feedback_s if self.feedback_visit else None)
        else:
            self.session.show(NOTICE, result.status, now)
        self.form = None
        self.typing = False
        self.render()

    async def _send_feedback(self, score: int | None, note: str | None) -> Refused | None:
        """The optional answer about the last visit; a refusal comes back to the panel."""
        result, visit = self.session.data, self.feedback_visit
        if self.session.screen != WELCOME or visit is None:
            return None
        try:
            await asyncio.to_thread(submit_feedback, result.member.member_id, visit, score, note, self._actor())
        except Refused as refusal:
            return refusal
        self.feedback_visit = None
        return None

    async def _show_frame(self, jpeg: bytes) -> None:
        self._frame_pending = False
        if self.session.screen == IDLE and self.preview is not None:
            self.preview.src = jpeg
            self.preview.update()

    async def _show_camera_status(self, status: str | None) -> None:
        self.camera_state = status
        if self.session.screen == IDLE:
            self.camera_line.value = self._camera_text(self.session.language)
            self.camera_line.update()

    # --- join ----------------------------------------------------------------------------------

    def _start_join(self, _e=None) -> None:
        self.form = JoinForm(self.session.language, current_program().minimum_age, self._submit, self._to_idle,
                             on_typing=self._set_typing, on_touch=lambda: self.session.touch(time.monotonic()))
        self.session.show(JOIN, None, time.monotonic())
        self.render()

    def _set_typing(self, typing: bool) -> None:
        self.typing = typing
        self.session.touch(time.monotonic())

    async def _referral(self, code: str) -> None:
        if self.form is None:
            return
        self.session.touch(time.monotonic())
        _card, problem = await asyncio.to_thread(find_card, code)
        self.form.set_referral(code, Refused("referral_invalid") if problem else None)
        self.page.update()

    async def _submit(self, _e=None) -> None:
        form = self.form
        if form is None:
            return
        self.session.touch(time.monotonic())
        values = form.values()
        if isinstance(values, Refused):
            form.show_refusal(values)
            self.page.update()
            return
        try:
            result = await asyncio.to_thread(
                enroll, values.first_name, self._actor(), email=values.email or None, phone=values.phone or None,
                consent_program=values.consent_program, consent_care=values.consent_care,
                consent_marketing=values.consent_marketing,
                age_confirmed=values.age_confirmed, birthday_day=values.birthday_day,
                birthday_month=values.birthday_month, referrer_token=values.referrer_token,
                locale=self.session.language, source="kiosk")
        except Refused as refusal:
            form.show_refusal(refusal)
            self.page.update()
            return
        if not result.created:
            form.show_message("kiosk.join.already_member")
            self.page.update()
            return
        delivery = await asyncio.to_thread(welcome_delivery, result.member_id, self.channels)
        self._show_card(result, delivery)

    def _show_card(self, result, delivery: WelcomeDelivery | None) -> None:
        lang = self.session.language
        self.card_lines = []
        if delivery is not None:
            self.card_lines.append(text(delivery_line(delivery, lang, current_program().timezone), SMALL + 2,
                                        color=TEAL))
        self.form = None
        self.typing = False
        self.session.show(CARD, result, time.monotonic())
        if self.printer is not None:
            line = text(t("kiosk.card.printing", lang), SMALL + 2, color=TEAL)
            self.card_lines.append(line)
            self.page.run_task(self._print, result, line, self.session.version)
        self.render()

    async def _print(self, result, line: ft.Text, version: int) -> None:
        lang = self.session.language
        try:
            await asyncio.to_thread(print_card, self.printer, result.card_token, program_name=current_program().name,
                                    first_name=result.status.first_name, bonus_points=result.bonus_points, lang=lang)
            line.value = t("kiosk.card.printed", lang)
        except Exception:
            log.exception("card printing failed")
            line.value, line.color = t("kiosk.card.print_failed", lang), WARM
        if self.session.version == version:
            line.update()

    def _actor(self) -> Actor:
        return Actor(device_id())

