"""What every screen of the patients' app shares: the session, the language, texts, and messages.

Laid out for a phone held at arm's length (390 x 844 first, a tablet works too): one column,
text of at least 16 px, buttons a thumb can hit, the clinic's colour. A screen is a function
`build(ctx) -> ft.Control`; it calls HQ's use cases through `ctx.call`, which runs them on a
worker thread with a database connection and turns a refusal into a message in words.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

import flet as ft

from loyalty import i18n
from loyalty.errors import Refused
from loyalty.program import DEFAULT_COLOUR, Program
from sync.hq.db import hq_db
from sync.hq.patients.postbox import Post

OK_COLOUR, FAIL_COLOUR, INK, MUTED, SOFT = "#1b5e20", "#b71c1c", "#1f2a30", "#4a5a60", "#f1f5f6"
BODY, SMALL, LARGE, TITLE = 17, 16, 22, 26
SESSION_KEY = "loyalty.session"          # the device's session token in the browser's storage
LANGUAGE_KEY = "loyalty.language"
TIME_ZONE = "Europe/Berlin"


@dataclass(frozen=True)
class Wiring:
    """What the HQ process gives the app: where patients reach it, and how letters leave."""
    app_url: str                  # the public address of the app, ending in /app/
    post: Post
    channels: frozenset[str]      # "email", "sms": the channels HQ has set up


class Ctx:
    """One open app page: who is signed in, the language, the status line."""

    def __init__(self, page: ft.Page, wiring: Wiring):
        self.page = page
        self.wiring = wiring
        self.lang = "de"
        self.member_id: str | None = None
        self.session_id: str | None = None
        self.program: Program | None = None
        self.status = ft.Text("", size=SMALL, weight=ft.FontWeight.W_500)
        self.show: Callable[[str], None] = lambda screen: None
        self.signed_in: Callable[[Any], Any] = lambda signed: None
        self.signed_out: Callable[[], Any] = lambda: None

    @property
    def colour(self) -> str:
        return self.program.colour if self.program else DEFAULT_COLOUR

    @property
    def client(self) -> str:
        return self.page.client_ip or "unknown"

    # --- texts -------------------------------------------------------------------------
    def t(self, key: str, **params) -> str:
        return i18n.t(f"patient.{key}", self.lang, **params)

    def name(self, names: dict[str, str]) -> str:
        return names.get(self.lang) or names.get("en") or next(iter(names.values()), "")

    def num(self, value: int) -> str:
        return i18n.fmt_number(value, self.lang)

    def date(self, value: datetime) -> str:
        return i18n.fmt_date(value.astimezone(_zone(self.tz)), self.lang, "long")

    def when(self, value: datetime) -> str:
        return i18n.fmt_datetime(value, self.lang, self.tz)

    def appointment(self, value: datetime) -> str:
        return i18n.fmt_appointment(value, self.lang, self.tz)

    @property
    def tz(self) -> str:
        return self.program.timezone if self.program else TIME_ZONE

    # --- messages ----------------------------------------------------------------------
    def ok(self, text: str) -> None:
        self.status.value, self.status.color = text, OK_COLOUR

    def fail(self, text: str) -> None:
        self.status.value, self.status.color = text, FAIL_COLOUR

    def clear(self) -> None:
        self.status.value = ""

    async def call(self, service: Callable[..., Any], /, *args, **kwargs) -> Any:
        """Run a use case on a worker thread; a refusal becomes a message and None."""
        def run():
            with hq_db.connection_context():
                return service(*args, **kwargs)
        try:
            return await asyncio.to_thread(run)
        except Refused as exc:
            self.fail(exc.message(self.lang))
            return None


def _zone(name: str):
    from zoneinfo import ZoneInfo
    return ZoneInfo(name)


def heading(ctx: Ctx, text: str, size: int = TITLE) -> ft.Text:
    return ft.Text(text, size=size, weight=ft.FontWeight.BOLD, color=ctx.colour)


def body(text: str, size: int = BODY, *, color: str = INK, weight: ft.FontWeight | None = None,
         italic: bool = False) -> ft.Text:
    return ft.Text(text, size=size, color=color, weight=weight, italic=italic)


def panel(*controls: ft.Control, color: str = SOFT) -> ft.Container:
    return ft.Container(ft.Column(list(controls), spacing=8), padding=16, border_radius=16, bgcolor=color)


def primary(ctx: Ctx, label: str, on_click, *, icon=None) -> ft.Button:
    return ft.Button(label, icon=icon, on_click=on_click, height=52,
                     style=ft.ButtonStyle(bgcolor=ctx.colour, color="white",
                                          text_style=ft.TextStyle(size=BODY, weight=ft.FontWeight.W_600),
                                          shape=ft.RoundedRectangleBorder(radius=14)))


def secondary(ctx: Ctx, label: str, on_click, *, icon=None) -> ft.TextButton:
    return ft.TextButton(label, icon=icon, on_click=on_click,
                         style=ft.ButtonStyle(color=ctx.colour, text_style=ft.TextStyle(size=BODY)))
