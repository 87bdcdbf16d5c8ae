"""The HQ console: the group's owner, operations and data protection run every location from one browser.

Laid out for a desktop or a 10-inch tablet in landscape (1280 x 800): a navigation rail with one
entry per screen, the screen on the right, a status line on top that says in words what happened.
A screen is a module with `build(ctx)`; `SECTIONS` lists them with the permission that opens them
(`sync.hq.admins.PERMISSIONS`), and the rail shows an admin only what their role may open. The tab
checks its session every few seconds, so a revoked session signs out without waiting for a click.
"""
from __future__ import annotations

from typing import Callable

import flet as ft
import peewee as pw

from console import account, admins_screen, audit, locations, members, overview, program, signin
from console.ui import ACCENT, Ctx
from loyalty.errors import Refused
from sync.hq import admins
from sync.hq.admins import ADMINS, AUDIT, LOCATIONS, MEMBERS, OVERVIEW, PROGRAM
from sync.hq.db import hq_db

SESSION_POLL_SECONDS = 3.0

# (screen key, icon, module, permission that opens it; None: every admin)
SECTIONS = [
    ("overview", ft.Icons.INSIGHTS, overview, OVERVIEW),
    ("program", ft.Icons.TUNE, program, PROGRAM),
    ("locations", ft.Icons.STORE, locations, LOCATIONS),
    ("members", ft.Icons.PEOPLE, members, MEMBERS),
    ("audit", ft.Icons.FACT_CHECK, audit, AUDIT),
    ("admins", ft.Icons.ADMIN_PANEL_SETTINGS, admins_screen, ADMINS),
    ("account", ft.Icons.ACCOUNT_CIRCLE, account, None),
]


def make_console(lang: str = "de") -> Callable[[ft.Page], None]:
    def main(page: ft.Page) -> None:
        Console(page, lang).start()
    return main


class Console:
    def __init__(self, page: ft.Page, lang: str):
        self.page = page
        self.ctx = Ctx(page, lang)
        self.ctx.show = self.show
        self.ctx.ended = self.session_ended
        self.screen, self.arg = None, None
        self.rail: ft.NavigationRail | None = None
        self.holder: ft.Container | None = None

    def start(self) -> None:
        page = self.page
        page.title = "HQ"
        page.padding = 0
        page.theme = ft.Theme(color_scheme_seed=ACCENT)
        self.render()
        page.run_task(self.ctx.every, SESSION_POLL_SECONDS, self.check_session)

    def sections(self) -> list[tuple]:
        role = self.ctx.admin.role if self.ctx.admin else ""
        return [s for s in SECTIONS if s[3] is None or admins.may(role, s[3])]

    # --- layout ------------------------------------------------------------------------
    def render(self) -> None:
        ctx = self.ctx
        self.rail = self.holder = None
        if ctx.admin is None:
            body = signin.build(ctx, self.signed_in)
        else:
            sections = self.sections()
            self.rail = ft.NavigationRail(
                selected_index=0, label_type=ft.NavigationRailLabelType.ALL, min_width=104, bgcolor="#e7ebf3",
                destinations=[ft.NavigationRailDestination(icon=icon, label=ctx.t(f"nav.{key}"))
                              for key, icon, _, _ in sections],
                on_change=self.on_nav)
            self.holder = ft.Container(expand=True, padding=ft.Padding.only(left=16, right=16, top=8))
            body = ft.Row([self.rail, ft.VerticalDivider(width=1), self.holder], expand=True,
                          vertical_alignment=ft.CrossAxisAlignment.STRETCH)
            self.fill()
        self.page.controls.clear()
        self.page.add(ft.Column([self.top_bar(), body], expand=True, spacing=0))

    def fill(self) -> None:
        sections = self.sections()
        keys = [key for key, _, _, _ in sections]
        if self.screen not in keys:
            self.screen = keys[0]
        self.rail.selected_index = keys.index(self.screen)
        module = sections[keys.index(self.screen)][2]
        self.holder.content = module.build(self.ctx, self.arg) if self.arg is not None else module.build(self.ctx)

    def top_bar(self) -> ft.Control:
        ctx = self.ctx
        who = []
        if ctx.admin:
            who = [ft.Text(f"{ctx.admin.name} · {ctx.role(ctx.admin.role)}", size=16, color="white"),
                   ft.TextButton(ctx.t("sign_out"), on_click=self.sign_out, style=ft.ButtonStyle(color="white"))]
        other = "en" if ctx.lang == "de" else "de"
        return ft.Container(
            ft.Column([
                ft.ResponsiveRow([   # side by side on a tablet; on a phone the buttons go below the title
                    ft.Text(ctx.t("title"), size=20, weight=ft.FontWeight.BOLD, color="white", col={"xs": 12, "md": 4}),
                    ft.Row([*who, ft.TextButton(ctx.t(f"switch_to_{other}"), on_click=lambda e: self.switch(other),
                                                style=ft.ButtonStyle(color="white"))],
                           wrap=True, alignment=ft.MainAxisAlignment.END, col={"xs": 12, "md": 8})],
                    vertical_alignment=ft.CrossAxisAlignment.CENTER),
                ctx.status_box,
            ], spacing=6),
            bgcolor=ACCENT, padding=ft.Padding.symmetric(horizontal=16, vertical=8))

    # --- events ------------------------------------------------------------------------
    def signed_in(self, signed: admins.SignedIn) -> None:
        self.ctx.token, self.ctx.admin = signed.token, signed.admin
        self.ctx.ok(self.ctx.t("welcome", name=signed.admin.name))
        self.screen, self.arg = None, None
        self.render()

    def sign_out(self, e=None) -> None:
        token = self.ctx.token
        self.ctx.attempt(admins.sign_out, token)
        self.forget()
        self.ctx.ok(self.ctx.t("signed_out"))
        self.render()

    def session_ended(self) -> None:
        """Revoked elsewhere, expired or the account disabled: back to the sign-in screen."""
        self.forget()
        self.ctx.fail(self.ctx.raw("refused.admin_session_ended"))
        self.render()

    def forget(self) -> None:
        self.ctx.token, self.ctx.admin = None, None
        self.screen, self.arg = None, None

    def switch(self, lang: str) -> None:
        self.ctx.lang = lang
        self.ctx.clear()
        self.render()

    def on_nav(self, e) -> None:
        self.ctx.clear()
        self.show(self.sections()[int(e.control.selected_index)][0])

    def show(self, screen: str, arg=None) -> None:
        self.screen, self.arg = screen, arg
        if self.holder is None:
            self.render()
        else:
            self.fill()

    def check_session(self):
        """Worker thread: is this tab's session still alive? If not, sign out on the page."""
        token = self.ctx.token
        if token is None:
            return None
        try:
            with hq_db.connection_context():
                admins.authorise(token)
            return None
        except Refused:
            return lambda: self.session_ended() if self.ctx.token == token else None
        except pw.PeeweeException:   # the database is away for a moment: ask again at the next poll
            return None
