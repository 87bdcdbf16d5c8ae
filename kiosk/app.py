"""The counter kiosk: a Flet web app; `make_kiosk(config)` gives the page handler the station mounts.

Cards are read by the station camera when station.toml names one: one CameraHub per station
process (the camera is one device) feeds every open kiosk page. Without one, each kiosk page reads
its own tablet's camera in the browser (kiosk/viewfinder.py, loyalty/adapters/browser_camera.py),
unless the manager chose "no camera" for scanner-only counters. Each page has its own KioskSession
(screen, language, timeouts) and its own USB-scanner buffer, since a keyboard-wedge scanner types
into the page that has the focus. UI changes always run on the page's event loop: scanner-thread
callbacks are handed over with `page.run_task`.
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
    SMALL,
    TEAL,
    WARM,
    TopBar,
    card_screen,
    delivery_line,
    idle_screen,
    notice_screen,
    text,
    welcome_screen,
)
from kiosk.session import CARD, IDLE, JOIN, NOTICE, WELCOME, KioskSession, Timing
from kiosk.viewfinder import DEVICE, SCANNER, STATION, Viewfinder
from loyalty import events
from loyalty.adapters.browser_camera import RUNNING, BrowserCamera
from loyalty.adapters.camera_share import CameraShare, browser_id
from loyalty.adapters.channels import channels_from_config
from loyalty.adapters.printer import PrinterConfig, print_card
from loyalty.adapters.wedge import WedgeBuffer
from loyalty.config import Config
from loyalty.errors import Refused
from loyalty.i18n import t
from loyalty.services import Actor, CheckInResult, check_in, current_program, device_id, enroll, find_card, qr_png
from loyalty.services.cameras import NONE, kiosk_camera
from loyalty.services.checkin import ALREADY, CHECKED_IN
from loyalty.services.feedback import feedback_prompt, submit_feedback
from loyalty.services.messages import WelcomeDelivery, welcome_delivery

log = logging.getLogger(__name__)

# A scanner types within ms, but key events reach the server through Flutter web and the websocket:
# measured 40-250 ms apart in headless Chromium on a busy 2-core machine. Keys arrive as Flutter key
# labels ("L", ":", "7", "Enter"), letters upper-case, as the card tokens are.
WEDGE_GAP_S = 0.6
DESIGN_W, DESIGN_H = 1200, 720   # the 1280x800 window less the page padding
# Time between the tablet camera's pictures: at most 20 a second while a code is expected (one takes
# 20-90 ms; 0.05 s instead of 0.1 s took the bench's scan-to-welcome p50 from 466 to 399 ms), slower
# while a result is on screen, where pictures only keep a card's lock.
PICTURE_S, PICTURE_BUSY_S = 0.05, 0.4


def make_kiosk(config: Config, share: CameraShare | None = None) -> Callable[[ft.Page], None]:
    """`share` is the station's one CameraShare, so the staff app in the same browser borrows the
    tablet camera's next read instead of opening the camera a second time."""
    hub = CameraHub(config.camera)
    timing = Timing.from_config(config.kiosk)
    share = share or CameraShare()
    channels = tuple(channels_from_config(config))   # how a new member's card can reach them

    async def main(page: ft.Page) -> None:
        KioskPage(page, config, hub, timing, share, channels).start()
    return main


class KioskPage:
    """One open kiosk page: renders the session's screen and turns events into service calls."""

    def __init__(self, page: ft.Page, config: Config, hub: CameraHub, timing: Timing, share: CameraShare,
                 channels: tuple[str, ...] = ()) -> None:
        self.page = page
        self.config = config
        self.hub = hub
        self.share = share
        self.session = KioskSession(config.language, timing)
        self.printer = PrinterConfig.from_config(config.printer)
        self.channels = channels
        self.wedge = WedgeBuffer(max_gap_s=WEDGE_GAP_S)
        self.typing = False
        self.form: JoinForm | None = None
        self.feedback_visit: str | None = None
        self.card_lines: list[ft.Control] = []
        self.camera: BrowserCamera | None = None
        self.browser: str | None = None              # this browser's id (camera_share.browser_id)
        self._release_camera: Callable[[], None] | None = None
        self.viewfinder = self._viewfinder()
        self.top = TopBar(current_program().name, self._set_language)
        self.content = ft.Container(expand=True, alignment=ft.Alignment.CENTER)
        self.room = ft.Container(width=0)             # where the viewfinder lies over the idle screen
        self.body = ft.Stack([ft.Row([self.room, self.content], expand=True, spacing=0,
                                     vertical_alignment=ft.CrossAxisAlignment.CENTER),
                              self.viewfinder.control], expand=True)
        self.root = ft.Column([self.top.control, self.body], spacing=24)
        self.frame_box = ft.Container(self.root, width=DESIGN_W, height=DESIGN_H, left=0, top=0)
        self.stage = ft.Stack([self.frame_box], expand=True, clip_behavior=ft.ClipBehavior.NONE)
        self._rendered: int | None = None
        self._frame_pending = False
        self._closed = False
        self._detach: Callable[[], None] | None = None
        self._unsubscribe: Callable[[], None] | None = None
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
        if self.session.screen == IDLE and not self._frame_pending and self.viewfinder.preview is not None:
            self._frame_pending = True
            self._later(self._show_frame, jpeg)

    def camera_status(self, status: str | None) -> None:
        if self.viewfinder.mode == STATION:
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
        page.on_disconnect = lambda _e: self._pause()
        page.on_connect = lambda _e: self._attach()
        page.on_close = lambda _e: self._close()
        page.add(self.stage)
        self._fit(page.width, page.height, update=False)
        self.render()
        self._attach()
        self._unsubscribe = events.subscribe(self._on_event)
        page.run_task(self._ticker)

    def _fit(self, width: float | None, height: float | None, update: bool = True) -> None:
        """Every screen is laid out for 1280x800 and scaled to the window: the same look at arm's
        length on a 1280x800 tablet and on a 1920x1080 counter screen, whole on a narrow or upright one."""
        if not width or not height:
            return
        inner_w, inner_h = width - 80, height - 80
        self.frame_box.scale = round(min(inner_w / DESIGN_W, inner_h / DESIGN_H), 3)
        # Placed (not laid out) in the page, so a narrow window cannot squeeze the 1200-wide design:
        # centred, then scaled about its centre.
        self.frame_box.left, self.frame_box.top = (inner_w - DESIGN_W) / 2, (inner_h - DESIGN_H) / 2
        if update:
            self.frame_box.update()

    def _attach(self) -> None:
        """The page is (again) in a browser: the station camera's pictures, or the tablet's camera."""
        if self._detach is None and not self._closed:
            self._listening = True    # before attach(): it tells this page the camera's state at once
            self._detach = self.hub.attach(self)
            if self.camera is not None:
                self.page.run_task(self._start_camera)

    def _pause(self) -> None:
        """The browser went away (tablet asleep, network gone): stop listening until it is back."""
        self._listening = False
        if self._detach is not None:
            self._detach()
            self._detach = None
        self._stop_camera()

    def _close(self) -> None:
        """The Flet session expired: stop listening and let the ticker end."""
        self._closed = True
        self._pause()
        if self._unsubscribe is not None:
            self._unsubscribe()

    # --- the tablet's own camera -----------------------------------------------------------------

    def _viewfinder(self) -> Viewfinder:
        """The station camera when there is one, else the tablet's camera the manager chose."""
        lang = self.session.language
        if self.hub.camera is not None:
            return Viewfinder(STATION, lang)
        choice = kiosk_camera()
        if choice == NONE:
            return Viewfinder(SCANNER, lang)
        self.camera = BrowserCamera(self.page, self._camera_code, self._camera_status, lens=choice,
                                    hold=self._hold, period_s=PICTURE_S)
        return Viewfinder(DEVICE, lang, self.camera, on_retry=self.camera.retry)

    async def _start_camera(self) -> None:
        if self.browser is None:
            self.browser = await browser_id()
        if self.camera is not None and not self._closed and self._detach is not None:
            self.camera.start()

    def _stop_camera(self, for_good: bool = False) -> None:
        """Stop reading (the page may come back); `for_good` when the camera leaves the page."""
        if self.camera is not None and for_good:
            self.camera.close()
        elif self.camera is not None:
            self.camera.stop()
        if self._release_camera is not None:
            self._release_camera()
            self._release_camera = None

    def _hold(self) -> bool:
        """A result is on screen: a card still in view keeps its lock but does not count again;
        unless the staff app in this browser is waiting for a card."""
        return self.busy and not self._lent()

    def _lent(self) -> bool:
        return self.browser is not None and self.share.lent(self.browser)

    def _camera_status(self, status: str) -> None:
        """While the camera reads, the staff app in this browser borrows from it instead of
        opening it a second time."""
        if status == RUNNING and self._release_camera is None and self.browser is not None:
            self._release_camera = self.share.hold(self.browser)
        elif status != RUNNING and self._release_camera is not None:
            self._release_camera()
            self._release_camera = None
        self.viewfinder.set_status(status)
        self._layout()
        self.page.update()

    async def _camera_code(self, code: str) -> None:
        if self.browser is not None and self.share.hand_over(self.browser, code):
            return
        await self._scanned(code)

    def _on_event(self, event: events.Event) -> None:
        """On the publisher's thread: the manager chose another kiosk camera."""
        if event.kind == "kiosk_camera_changed":
            self._later(self._change_camera)

    async def _change_camera(self) -> None:
        self._stop_camera(for_good=True)
        self.camera = None
        self.viewfinder = self._viewfinder()
        self.body.controls[1] = self.viewfinder.control
        self.render()
        if self.camera is not None:
            await self._start_camera()

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
                    return
            if self.camera is not None and self._lent() != self.viewfinder.lent:
                self.viewfinder.set_lent(self._lent())
                self.page.update()

    # --- rendering ---------------------------------------------------------------------------

    def render(self) -> None:
        """Restyle the language buttons and, unless only the language of a join form changed, rebuild
        the screen (the form relabels itself in place and keeps what was typed)."""
        lang = self.session.language
        self.top.set_language(lang)
        screen = self.session.screen
        try:
            if self._rendered != self.session.version or screen != JOIN:
                self.content.content = self._screen(lang)
                self.content.alignment = ft.Alignment.CENTER_LEFT if screen in (IDLE, JOIN) else ft.Alignment.CENTER
            self._rendered = self.session.version
            self._layout()
            self.page.update()
        finally:   # the camera pauses for what this page shows, even when the page could not be drawn
            self.hub.update_pause()
            if self.camera is not None:
                self.camera.period_s = PICTURE_S if screen in (IDLE, JOIN) else PICTURE_BUSY_S

    def _layout(self) -> None:
        """The viewfinder's place, size and texts for the screen showing; the caller updates the page."""
        self.viewfinder.layout(self.session.screen, self.session.language)
        self.room.width = self.viewfinder.footprint + 56 if self.session.screen == IDLE else 0

    def _screen(self, lang: str) -> ft.Control:
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
        return idle_screen(lang, self._start_join)

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
            self.page.run_task(self._scanned, code)

    async def _scanned(self, code: str) -> None:
        """A code from the USB scanner or the tablet's camera: a friend's code in the join form,
        else a check-in."""
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
        if self.viewfinder.show_frame(jpeg):
            self.viewfinder.preview.update()

    async def _show_camera_status(self, status: str | None) -> None:
        self.viewfinder.set_status(status)
        self.viewfinder.control.update()

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

