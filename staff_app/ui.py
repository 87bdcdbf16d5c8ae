"""What every staff screen shares: the session (who is signed in, language), texts, and messages.

A screen is a function `build(ctx) -> ft.Control`. It calls services through `ctx.attempt`, which
turns a refusal into a message in words on the status line and returns None, so a screen never
shows a traceback and a refused action changes nothing.
"""
from __future__ import annotations

import asyncio
import math
import re
import time
from typing import Any, Callable

import flet as ft

from loyalty import i18n
from loyalty.adapters.camera_share import CameraShare
from loyalty.config import Config
from loyalty.errors import Refused
from loyalty.services import Actor, current_program

OK_COLOUR, FAIL_COLOUR = "#1b5e20", "#b71c1c"
MUTED = "#555555"        # secondary lines: hints, when something happened
ACCENT = "#0f4c5c"
TEXT_SIZE = 16   # the smallest type on a staff screen: read at arm's length from a 10-inch tablet
# A field's label shrinks to three quarters when it floats above what was typed (Material's fixed
# scale): drawn at 21 1/3 px in the empty field, it floats at 16 px.
FIELD_LABEL = ft.TextStyle(size=TEXT_SIZE / 0.75)


def theme() -> ft.Theme:
    """Material's own styles start at 11 to 14 px (rail labels, buttons, chips, table cells, the line
    under a field); here every style is at least TEXT_SIZE, so a control without a size of its own
    is readable too."""
    text = ft.TextStyle(size=TEXT_SIZE)
    return ft.Theme(
        color_scheme_seed=ACCENT,
        text_theme=ft.TextTheme(body_large=text, body_medium=text, body_small=text, label_large=text,
                                label_medium=text, label_small=text, title_small=text,
                                title_medium=ft.TextStyle(size=18)),
        navigation_rail_theme=ft.NavigationRailTheme(
            selected_label_text_style=ft.TextStyle(size=TEXT_SIZE, weight=ft.FontWeight.BOLD, color=ACCENT),
            unselected_label_text_style=ft.TextStyle(size=TEXT_SIZE, color="#333333")))


class Ctx:
    """One browser session of the staff app."""

    def __init__(self, page: ft.Page, config: Config, idle_seconds: float, share: CameraShare | None = None):
        self.page = page
        self.config = config
        self.share = share or CameraShare()
        self.on_leave: list[Callable[[], None]] = []   # a screen's clean-up (a camera to stop) when it goes
        self.lang = config.language if config.language in i18n.LANGUAGES else "de"
        self.idle_seconds = idle_seconds
        self.actor: Actor | None = None
        self.last_activity = time.monotonic()
        self.status = ft.Text("", size=16, weight=ft.FontWeight.W_500)
        self.undo_slot = ft.Row([], spacing=8)
        self.rebuild: Callable[[], None] = lambda: None
        self.show: Callable[[str, Any], None] = lambda screen, arg=None: None   # build a screen (anew)
        self.open: Callable[[str, Any], None] = lambda screen, arg=None: None   # go to one, unless there
        self.screen = "desk"       # the screen on show, for work that finishes later

    # --- texts -------------------------------------------------------------------------
    def t(self, key: str, **params) -> str:
        return i18n.t(f"staff.{key}", self.lang, **params)

    def raw(self, key: str, **params) -> str:
        return i18n.t(key, self.lang, **params)

    def name(self, names: dict[str, str]) -> str:
        return names.get(self.lang) or names.get("en") or next(iter(names.values()), "")

    def num(self, value: int | float) -> str:
        return i18n.fmt_number(value, self.lang)

    def money(self, cents: int) -> str:
        return i18n.fmt_money(cents, self.lang, current_program().currency)

    def date(self, value) -> str:
        return i18n.fmt_date(value, self.lang)

    def day(self, value) -> str:
        return i18n.fmt_day(value, self.lang)

    def when(self, value) -> str:
        return i18n.fmt_datetime(value, self.lang, current_program().timezone)

    def item_name(self, code: str | None) -> str:
        if not code:
            return ""
        item = current_program().catalogue.get(code)
        return self.name(item.name) if item else code

    def reward_name(self, code: str | None) -> str:
        if not code:
            return ""
        reward = current_program().rewards.get(code)
        return self.name(reward.name) if reward else code

    # --- messages ----------------------------------------------------------------------
    def ok(self, text: str) -> None:
        self.status.value, self.status.color = text, OK_COLOUR
        self.undo_slot.controls = []

    def fail(self, text: str) -> None:
        self.status.value, self.status.color = text, FAIL_COLOUR
        self.undo_slot.controls = []

    def clear(self) -> None:
        self.status.value = ""
        self.undo_slot.controls = []

    def leave(self) -> None:
        """The screen is being replaced (or the browser went away): run its clean-ups once."""
        cleanups, self.on_leave = self.on_leave, []
        for cleanup in cleanups:
            cleanup()

    def attempt(self, service: Callable[..., Any], /, *args, **kwargs) -> Any:
        """Run a service call; a refusal becomes a message on the status line and None."""
        self.touch()
        try:
            return service(*args, **kwargs)
        except Refused as exc:
            self.fail(exc.message(self.lang))
            return None

    def run(self, service: Callable[..., Any], /, *args, **kwargs) -> bool:
        """Like attempt, for services that return nothing: True when done, False when refused."""
        self.touch()
        try:
            service(*args, **kwargs)
            return True
        except Refused as exc:
            self.fail(exc.message(self.lang))
            return False

    def touch(self) -> None:
        self.last_activity = time.monotonic()

    def idle(self) -> bool:
        return time.monotonic() - self.last_activity > self.idle_seconds

    def later(self, work: Callable[[], None]) -> None:
        """Run `work` on the page's event loop and push the update: safe from any thread."""
        async def run() -> None:
            work()
            self.page.update()
        try:
            self.page.run_task(run)
        except RuntimeError:   # the session has gone (browser closed)
            pass

    async def every(self, seconds: float, work: Callable[[], None]) -> None:
        """A loop on the page's event loop: `work` runs in a worker thread (it may read the DB)."""
        while True:
            await asyncio.sleep(seconds)
            try:
                changed = await asyncio.to_thread(work)
            except RuntimeError:
                return
            if changed:
                changed()
                self.page.update()


def heading(text: str, size: int = 22) -> ft.Text:
    return ft.Text(text, size=size, weight=ft.FontWeight.BOLD, color=ACCENT)


def card(*controls: ft.Control, width: float | None = None, expand: bool | int = False) -> ft.Container:
    return ft.Container(ft.Column(list(controls), spacing=10), padding=16, border_radius=12,
                        bgcolor="#f3f6f7", width=width, expand=expand)


def euros_to_cents(text: str) -> int | None:
    """'49,90', '49.90', '1.234,50' or '50' to cents; None when it is not an amount (the service
    refuses one that is too large)."""
    value = (text or "").strip().replace("€", "").replace("EUR", "").strip()
    if not value:
        return None
    if "," in value or re.fullmatch(r"\d{1,3}(\.\d{3})+", value):   # German: 1.234,50 or 1.200
        value = value.replace(".", "").replace(",", ".")
    try:
        amount = float(value)
    except ValueError:
        return None
    return round(amount * 100) if math.isfinite(amount) else None      # round() raises on "inf" and "nan"


class Choice(ft.Column):
    """Pick one of a few options with a tap (chips: large targets on a tablet, named for tests and
    screen readers); `value` is the chosen key or None. Tapping the chosen chip again clears it."""

    def __init__(self, label: str, options: list[tuple[str, str]], value: str | None = None,
                 on_change: Callable[[], None] | None = None):
        super().__init__(spacing=4)
        self.value = value
        self._options = options
        self._on_change = on_change
        self._chips = ft.Row(wrap=True, spacing=6, run_spacing=6)
        self.controls = [ft.Text(label, color="#333333"), self._chips]
        self._draw()

    def _draw(self) -> None:
        self._chips.controls = [ft.Chip(label=ft.Text(text), selected=key == self.value, show_checkmark=True,
                                        on_select=lambda e, k=key: self._pick(k))
                                for key, text in self._options]

    def _pick(self, key: str) -> None:
        self.value = None if self.value == key else key
        self._draw()
        if self._on_change:
            self._on_change()


def text_field(ctx: Ctx, **kwargs) -> ft.TextField:
    """A text field whose typing counts as activity and reaches the server as it is typed (Flet
    only sends a field's value with its change events, and a later redraw would otherwise clear it)."""
    kwargs.setdefault("on_change", lambda e: ctx.touch())
    kwargs.setdefault("label_style", FIELD_LABEL)
    return ft.TextField(**kwargs)


def consent_line(ctx: Ctx, event) -> str:
    """One consent event in words: what, granted or withdrawn, when, where and by whom."""
    where = ctx.t(f"consent.source_{event.source}")
    if where.startswith("staff."):          # a source without a text of its own is shown as it is
        where = event.source
    if event.staff_name:
        where = f"{where}, {event.staff_name}"
    return ctx.t("consent.event", what=ctx.t(f"consent.{event.purpose}"),
                 how=ctx.t("consent.granted" if event.granted else "consent.withdrawn"),
                 when=ctx.when(event.at), source=where)

