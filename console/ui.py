"""What every console screen shares: the signed-in session, texts, the status line, HQ calls.

A screen is a module with `build(ctx) -> ft.Control`. It calls HQ use cases through `ctx.attempt`
(or `ctx.run`), which opens a database connection for the call and turns a refusal into words on
the status line; a session that has ended (revoked, expired, account disabled) returns the page to
the sign-in screen.
"""
from __future__ import annotations

import asyncio
import os
from datetime import datetime, timezone
from typing import Any, Callable

import flet as ft
import peewee as pw

from loyalty import i18n
from loyalty.errors import Refused
from sync.hq.admins import AdminView
from sync.hq.db import hq_db

OK_COLOUR, FAIL_COLOUR, QUIET_COLOUR = "#1b5e20", "#b71c1c", "#455a64"
ACCENT = "#243b6b"
TIMEZONE = os.environ.get("LOYALTY_HQ_TIMEZONE", "Europe/Berlin")


class Ctx:
    """One browser tab of the console."""

    def __init__(self, page: ft.Page, lang: str = "de"):
        self.page = page
        self.lang = lang if lang in i18n.LANGUAGES else "de"
        self.token: str | None = None
        self.admin: AdminView | None = None
        self.status = ft.Text("", size=16, weight=ft.FontWeight.W_500)
        self.status_box = ft.Container(self.status, bgcolor="white", visible=False, border_radius=8,
                                       padding=ft.Padding.symmetric(horizontal=12, vertical=6))
        self.show: Callable[..., None] = lambda screen, arg=None: None
        self.ended: Callable[[], None] = lambda: None
        self.refusal: Refused | None = None    # the last refusal, for screens that mark the field it names

    # --- texts -------------------------------------------------------------------------
    def t(self, key: str, **params) -> str:
        return i18n.t(f"console.{key}", self.lang, **params)

    def raw(self, key: str, **params) -> str:
        return i18n.t(key, self.lang, **params)

    def num(self, value: int | float) -> str:
        return i18n.fmt_number(value, self.lang)

    def money(self, cents: int) -> str:
        return i18n.fmt_money(cents, self.lang)

    def when(self, moment: float | None) -> str:
        if moment is None:
            return "–"
        return i18n.fmt_datetime(datetime.fromtimestamp(moment, timezone.utc), self.lang, TIMEZONE)

    def ago(self, seconds: float) -> str:
        from datetime import timedelta
        if seconds < 60:
            return self.t("just_now")
        return i18n.fmt_ago(timedelta(seconds=seconds), self.lang)

    def name(self, names: dict[str, str]) -> str:
        return names.get(self.lang) or names.get("en") or next(iter(names.values()), "")

    def role(self, role: str) -> str:
        return self.t(f"role.{role}")

    # --- messages ----------------------------------------------------------------------
    def ok(self, text: str) -> None:
        self.status.value, self.status.color = text, OK_COLOUR
        self.status_box.visible = True

    def fail(self, text: str) -> None:
        self.status.value, self.status.color = text, FAIL_COLOUR
        self.status_box.visible = True

    def clear(self) -> None:
        self.status.value = ""
        self.status_box.visible = False

    # --- HQ calls ----------------------------------------------------------------------
    def attempt(self, use_case: Callable[..., Any], /, *args, **kwargs) -> Any:
        """Call an HQ use case with this tab's session; a refusal is said on the status line (None)."""
        try:
            with hq_db.connection_context():
                return use_case(*args, **kwargs)
        except Refused as exc:
            self.refusal = exc
            self.fail(exc.message(self.lang))
            if exc.code == "admin_session_ended" and self.token is not None:
                self.ended()
            return None
        except (pw.OperationalError, pw.InterfaceError):
            self.fail(self.t("database_down"))
            return None

    def run(self, use_case: Callable[..., Any], /, *args, **kwargs) -> bool:
        """Like attempt, for use cases that return nothing: True when done."""
        done = self.attempt(lambda: use_case(*args, **kwargs) or True)
        return bool(done)

    def later(self, work: Callable[[], None]) -> None:
        async def run() -> None:
            work()
            self.page.update()
        try:
            self.page.run_task(run)
        except RuntimeError:   # the tab has gone
            pass

    async def every(self, seconds: float, work: Callable[[], Callable[[], None] | None]) -> None:
        """`work` runs on a worker thread (it may read the database); what it returns runs on the page."""
        while True:
            await asyncio.sleep(seconds)
            try:
                changed = await asyncio.to_thread(work)
            except RuntimeError:
                return
            if changed:
                changed()
                self.page.update()


def heading(text: str, size: int = 24) -> ft.Text:
    return ft.Text(text, size=size, weight=ft.FontWeight.BOLD, color=ACCENT)


def card(*controls: ft.Control, width: float | None = None, expand: bool | int = False) -> ft.Container:
    return ft.Container(ft.Column(list(controls), spacing=10), padding=16, border_radius=12,
                        bgcolor="#f2f4f8", width=width, expand=expand)


def line(text: str, colour: str = "#222222", size: int = 16, **kwargs) -> ft.Text:
    return ft.Text(text, size=size, color=colour, **kwargs)


def field(label: str, **kwargs) -> ft.TextField:
    """A text field whose value reaches the server as it is typed (Flet sends a field's value only
    with its change events, and a click right after typing would otherwise read the old value)."""
    kwargs.setdefault("text_size", 16)
    kwargs.setdefault("on_change", lambda e: None)
    return ft.TextField(label=label, **kwargs)


def table(ctx: Ctx, columns: list[str], rows: list[list[ft.Control]], **kwargs) -> ft.DataTable:
    """A table with bold column names (translated keys under `console.col`)."""
    return ft.DataTable(columns=[ft.DataColumn(ft.Text(ctx.t(f"col.{c}"), size=16, weight=ft.FontWeight.BOLD))
                                 for c in columns],
                        rows=[ft.DataRow(cells=[ft.DataCell(c) for c in r]) for r in rows],
                        data_row_min_height=48, data_row_max_height=96, **kwargs)


def confirm(ctx: Ctx, title: str, text: str, action: str, on_yes: Callable[[], None], danger: bool = True) -> None:
    """A modal question before something that cannot be undone (revoking, erasing, publishing)."""
    def yes(e) -> None:
        ctx.page.pop_dialog()
        on_yes()
        ctx.page.update()

    ctx.page.show_dialog(ft.AlertDialog(
        modal=True, title=ft.Text(title), content=ft.Text(text, size=16),
        actions=[ft.TextButton(ctx.t("cancel"), on_click=lambda e: ctx.page.pop_dialog()),
                 ft.Button(action, on_click=yes,
                           style=ft.ButtonStyle(bgcolor=FAIL_COLOUR if danger else ACCENT, color="white"))]))
