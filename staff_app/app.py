"""The staff app: the receptionist's tablet and the manager's desk, one Flet page per browser tab.

Laid out for a 10-inch tablet in landscape (1280 x 800): a navigation rail on the left, the screen
on the right, a status line on top that says in words what happened. Signs itself out after a few
idle minutes (LOYALTY_STAFF_IDLE_S, default 180 s).
"""
from __future__ import annotations

import os
from typing import Callable

import flet as ft

from loyalty import events
from loyalty.adapters.camera_share import CameraShare
from loyalty.config import Config
from loyalty.services import current_program, desk, device_id
from loyalty.services.context import MANAGER, ROLES
from staff_app import (
    appointments,
    care,
    dashboard,
    devices,
    flags,
    gdpr,
    imports,
    lists,
    member_page,
    members,
    scan,
    settings,
    signin,
    staff_admin,
    sync_status,
)
from staff_app.sync_status import SyncChip, SyncDetails
from staff_app.ui import ACCENT, Ctx, theme
from sync.status import sync_state

IDLE_SECONDS = 180.0
SYNC_POLL_SECONDS = 2.0

MANAGERS = (MANAGER,)

# (screen key, icon, module, the roles it is for). The rail shows each member of staff the screens
# of their role only; the services still refuse what a role may not do, should a screen be reached.
SECTIONS = [
    ("desk", ft.Icons.PEOPLE, members, ROLES),
    ("appointments", ft.Icons.EVENT, appointments, ROLES),
    ("care", ft.Icons.HEALING, care, ROLES),
    ("flags", ft.Icons.FLAG, flags, MANAGERS),
    ("dashboard", ft.Icons.INSIGHTS, dashboard, MANAGERS),
    ("lists", ft.Icons.LIST_ALT, lists, MANAGERS),
    ("settings", ft.Icons.TUNE, settings, MANAGERS),
    ("staff", ft.Icons.BADGE, staff_admin, MANAGERS),
    ("gdpr", ft.Icons.PRIVACY_TIP, gdpr, ROLES),
    ("import", ft.Icons.UPLOAD_FILE, imports, MANAGERS),
    ("devices", ft.Icons.TABLET_ANDROID, devices, MANAGERS),
]
MODULES = {key: module for key, _, module, _ in SECTIONS}


def make_staff_app(config: Config, share: CameraShare | None = None) -> Callable[[ft.Page], None]:
    """`share`: the station's CameraShare, so "scan card" borrows the camera of a kiosk in the same browser."""
    idle = float(os.environ.get("LOYALTY_STAFF_IDLE_S") or IDLE_SECONDS)
    share = share or CameraShare()

    def main(page: ft.Page) -> None:
        StaffApp(page, config, idle, share).start()
    return main


def who_line(name: str, role: str) -> str:
    """Who is signed in, for the top bar: "Chef · Leitung", or the name alone when it is the role's
    name, as for a shared reception account ("Empfang")."""
    return name if name.strip().casefold() == role.strip().casefold() else f"{name} · {role}"


class StaffApp:
    def __init__(self, page: ft.Page, config: Config, idle_seconds: float, share: CameraShare):
        self.page = page
        self.ctx = Ctx(page, config, idle_seconds, share)
        self.ctx.rebuild = self.render
        self.ctx.show = self.show
        self.ctx.open = self.open
        self.ctx.device = device_id()
        self.screen, self.arg = "desk", None
        self.live_refresh: Callable[[], None] | None = None
        self.seen_check_in: str | None = None
        self.rail: ft.NavigationRail | None = None
        self.holder: ft.Container | None = None
        self.sync_chip = SyncChip(self.ctx)
        self.sync_details: SyncDetails | None = None
        self.sync_shown: tuple | None = None
        self.unsubscribe = events.subscribe(self.on_event)

    def start(self) -> None:
        page = self.page
        page.title = "Staff"
        page.padding = 0
        page.theme = theme()
        page.on_keyboard_event = self.on_key
        page.on_disconnect = lambda e: self.gone()
        page.on_close = lambda e: self.gone()
        self.render()
        page.run_task(self.ctx.every, 5.0, self.check_idle)
        page.run_task(self.ctx.every, 0.5, self.poll_check_ins)
        page.run_task(self.ctx.every, SYNC_POLL_SECONDS, self.poll_sync)

    # --- layout ------------------------------------------------------------------------
    def gone(self) -> None:
        """The browser went away: no more events, and the screen's camera stops."""
        self.unsubscribe()
        self.ctx.leave()

    def render(self) -> None:
        """The whole page: after sign-in, sign-out and a language switch."""
        ctx = self.ctx
        ctx.leave()
        self.live_refresh = None
        self.rail = self.holder = None
        if ctx.actor is None:
            body = signin.build(ctx, self.signed_in)
        else:
            self.rail = ft.NavigationRail(
                selected_index=0, label_type=ft.NavigationRailLabelType.ALL, min_width=136, bgcolor="#e8eff1",
                scrollable=True,     # eleven screens for a manager: the last ones scroll into view on a 800 px tablet
                destinations=[ft.NavigationRailDestination(icon=icon, label=ctx.t(f"nav.{key}"))
                              for key, icon in self.sections()],
                on_change=self.on_nav)
            self.holder = ft.Container(expand=True, padding=ft.Padding.only(left=16, right=16, top=8))
            body = ft.Row([self.rail, ft.VerticalDivider(width=1), self.holder],
                          expand=True, vertical_alignment=ft.CrossAxisAlignment.STRETCH)
            self.fill()
        page = self.page
        page.controls.clear()
        page.add(ft.Column([self.top_bar(), body], expand=True, spacing=0))

    def sections(self) -> list[tuple[str, str]]:
        """The rail's screens (key, icon) for the role of whoever is signed in."""
        role = self.ctx.actor.role if self.ctx.actor else None
        return [(key, icon) for key, icon, _, roles in SECTIONS if role in roles]

    def fill(self) -> None:
        """Only the screen area changes when moving between screens; rail and top bar stay."""
        keys = [key for key, _ in self.sections()]
        self.ctx.leave()
        self.ctx.screen = self.screen
        self.live_refresh = None
        self.sync_details = None
        self.rail.selected_index = keys.index(self.screen) if self.screen in keys else 0
        self.holder.content = self.content()

    def content(self) -> ft.Control:
        ctx = self.ctx
        if self.screen == "member":
            return member_page.build(ctx, self.arg)
        if self.screen == "sync":
            built = sync_status.build(ctx, self.sync_chip.state)
            self.sync_details = built if isinstance(built, SyncDetails) else None
            return built
        module = MODULES.get(self.screen, members)
        built = module.build(ctx)
        if module is members:
            self.live_refresh = ctx.feed.refresh
        return built

    def top_bar(self) -> ft.Control:
        ctx = self.ctx
        who = []
        if ctx.actor:
            who = [ft.Text(who_line(ctx.actor.name, ctx.t(f"role.{ctx.actor.role}")), color="white"),
                   ft.TextButton(ctx.t("sign_out"), on_click=self.sign_out,
                                 style=ft.ButtonStyle(color="white"))]
        other = "en" if ctx.lang == "de" else "de"
        self.sync_chip.offer_details(ctx.actor is not None and ctx.actor.role == MANAGER)
        self.sync_chip.redraw()
        return ft.Container(
            ft.Column([
                ft.ResponsiveRow([   # side by side on a tablet, the buttons below the name on a phone
                    ft.Text(current_program().name, size=18, weight=ft.FontWeight.BOLD, color="white",
                            col={"xs": 12, "md": 4}),
                    ft.Row([self.sync_chip, *who,
                            ft.TextButton(ctx.t(f"switch_to_{other}"), on_click=lambda e: self.switch(other),
                                          style=ft.ButtonStyle(color="white"))],
                           wrap=True, alignment=ft.MainAxisAlignment.END, col={"xs": 12, "md": 8})],
                    vertical_alignment=ft.CrossAxisAlignment.CENTER),
                ft.Container(ft.Row([ctx.status, ctx.undo_slot], wrap=True), bgcolor="white",
                             padding=ft.Padding.symmetric(horizontal=12, vertical=6), border_radius=8),
            ], spacing=6),
            bgcolor=ACCENT, padding=ft.Padding.symmetric(horizontal=16, vertical=8))

    # --- events ------------------------------------------------------------------------
    def signed_in(self, actor) -> None:
        self.ctx.actor = actor
        self.ctx.clear()
        self.ctx.ok(self.ctx.t("welcome", name=actor.name))
        self.screen, self.arg = "desk", None
        self.render()

    def sign_out(self, e=None, reason: str = "signed_out") -> None:
        self.ctx.actor = None
        self.ctx.clear()
        self.ctx.ok(self.ctx.t(reason))
        self.screen, self.arg = "desk", None
        self.render()

    def switch(self, lang: str) -> None:
        self.ctx.touch()
        self.ctx.lang = lang
        self.ctx.clear()
        self.render()

    def on_nav(self, e) -> None:
        self.ctx.touch()
        self.ctx.clear()
        self.show(self.sections()[int(e.control.selected_index)][0])

    def show(self, screen: str, arg=None) -> None:
        self.screen, self.arg = screen, arg
        if self.holder is None:
            self.render()
        else:
            self.fill()

    def open(self, screen: str, arg=None) -> None:
        """A tap that goes to a screen (a search result, a check-in, a list row). A second tap on
        it, a double tap on a slow tablet, finds the screen already there and leaves it alone:
        building it again would put empty fields over what was typed meanwhile."""
        if (screen, arg) != (self.screen, self.arg):
            self.show(screen, arg)

    def on_key(self, e) -> None:
        self.ctx.touch()
        if self.ctx.actor is None:
            return
        code = scan.wedge_key(self.ctx, e.key)
        if code:
            member_id = scan.member_for_code(self.ctx, code)
            if member_id:
                self.open("member", member_id)
            self.page.update()

    def on_event(self, event) -> None:
        """On the publisher's thread: hand the refresh to the page's loop."""
        if event.kind == "checked_in" and self.live_refresh is not None:
            refresh = self.live_refresh
            self.ctx.later(refresh)
        elif event.kind == "program_changed":
            self.ctx.later(lambda: None)

    def check_idle(self):
        """Worker thread, every 5 s: sign out an idle session."""
        if self.ctx.actor is not None and self.ctx.idle():
            return lambda: self.sign_out(reason="locked_idle")
        return None

    def poll_sync(self):
        """Worker thread, every 2 s: the sync state from the database (the sync worker writes it on
        its own thread); the chip and an open details view are redrawn when their words change."""
        state = sync_state()
        shown = (state, self.sync_chip.words(state), self.ctx.lang)
        if shown == self.sync_shown:
            return None
        self.sync_shown = shown

        def draw() -> None:
            self.sync_chip.show_state(state)
            if self.sync_details is not None:
                self.sync_details.show_state(state)
        return draw

    def poll_check_ins(self):
        """Worker thread, twice a second: check-ins by a kiosk in another process on the same
        database publish no in-process event, so the newest visit id is compared."""
        if self.live_refresh is None:
            return None
        newest = desk.latest_check_in()
        if newest == self.seen_check_in:
            return None
        self.seen_check_in = newest
        return self.live_refresh
