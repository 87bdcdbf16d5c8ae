"""The patients' app: a Flet web app HQ serves at /app/; `make_patient_app(wiring)` gives the page
handler the HQ process mounts.

A device's session token lives in its browser (Flet's SharedPreferences: the browser's local
storage) and is checked at HQ on every screen change and whenever the app comes back to the
front, so a device signed out from another one stops at its next tap. Flet keeps a page's
session on the server across a reload, so coming back redraws the screen from HQ's rows.
Links from e-mails arrive as routes: /signin/<token> (a code's link) and /welcome/<token> (the
welcome e-mail's personal link).
"""
from __future__ import annotations

from typing import Callable

import flet as ft

from loyalty import i18n
from patient_app import appointments, card, care, history, inbox, more, signin
from patient_app.ui import LANGUAGE_KEY, SESSION_KEY, Ctx, Wiring, body, heading
from sync.hq.patients import aftercare
from sync.hq.patients import signin as signin_case
from sync.hq.program import program_in_force

# (screen key, icon, module): the navigation bar at the bottom, thumb's reach on a phone.
SCREENS = [
    ("card", ft.Icons.QR_CODE_2, card),
    ("appointments", ft.Icons.EVENT, appointments),
    ("care", ft.Icons.HEALING, care),
    ("inbox", ft.Icons.MAIL_OUTLINE, inbox),
    ("more", ft.Icons.MORE_HORIZ, more),
]
INNER = {"history": (history, "card")}    # screens reached from another: (module, the tab it belongs to)
LINKS = {"/signin/": signin_case.verify_link, "/welcome/": signin_case.verify_welcome}


def make_patient_app(wiring: Wiring) -> Callable[[ft.Page], None]:
    async def main(page: ft.Page) -> None:
        await PatientApp(page, wiring).start()
    return main


class PatientApp:
    def __init__(self, page: ft.Page, wiring: Wiring):
        self.page = page
        self.ctx = Ctx(page, wiring)
        self.ctx.show = lambda screen: page.run_task(self.show, screen)
        self.ctx.signed_in = self.signed_in
        self.ctx.signed_out = self.sign_out
        self.prefs: ft.SharedPreferences | None = None
        self.token: str | None = None
        self.screen = "card"
        self.asked = 0     # screens asked for so far: only the last one asked is drawn
        self.tabs = SCREENS
        self.holder = ft.Container(padding=ft.Padding.symmetric(horizontal=16, vertical=12))
        self.title = ft.Text("", size=20, weight=ft.FontWeight.BOLD, color="white")

    async def start(self) -> None:
        page, ctx = self.page, self.ctx
        page.padding = 0
        page.bgcolor = "white"
        page.on_connect = lambda e: page.run_task(self.refresh)     # reopened or reloaded: the session lives on
        page.on_app_lifecycle_state_change = lambda e: (page.run_task(self.refresh)
                                                        if e.state == ft.AppLifecycleState.RESUME else None)
        self.prefs = ft.SharedPreferences()
        chosen = await self.prefs.get(LANGUAGE_KEY)
        ctx.lang = chosen if chosen in i18n.LANGUAGES else "de"
        ctx.program = await ctx.call(program_in_force)
        if ctx.program is None:
            self.frame()
            self.holder.content = ft.Column([heading(ctx, ctx.t("not_set_up")), body(ctx.t("not_set_up_hint"))])
            page.update()
            return
        page.title = ctx.program.name
        page.theme = ft.Theme(color_scheme_seed=ctx.colour)
        route = page.route or "/"
        link = next((prefix for prefix in LINKS if route.startswith(prefix)), None)
        if link is not None:
            signed = await ctx.call(LINKS[link], route[len(link):], ctx.client, page.client_user_agent or "")
            await page.push_route("/")
            if signed is not None:
                await self.signed_in(signed)
                return
        else:
            self.token = await self.prefs.get(SESSION_KEY)
        await self.show("card")

    # --- layout ------------------------------------------------------------------------
    def frame(self) -> None:
        ctx, page = self.ctx, self.page
        self.title.value = ctx.program.name if ctx.program else ""
        other = next(lang for lang in i18n.LANGUAGES if lang != ctx.lang)
        switch = ft.TextButton(ctx.t(f"switch_to_{other}"), style=ft.ButtonStyle(color="white"),
                               on_click=lambda e: page.run_task(self.switch_language, other))
        self.title.expand = True
        top = ft.Container(ft.Row([self.title, switch]), bgcolor=ctx.colour,
                           padding=ft.Padding.only(left=16, right=4, top=6, bottom=6))
        page.controls.clear()
        page.add(ft.SafeArea(ft.Column([top, ft.Column([self.holder], scroll=ft.ScrollMode.AUTO, expand=True)],
                                       spacing=0, expand=True), expand=True))

    def navigation(self) -> ft.NavigationBar:
        keys = [key for key, _, _ in self.tabs]
        tab = INNER[self.screen][1] if self.screen in INNER else self.screen
        return ft.NavigationBar(
            selected_index=keys.index(tab) if tab in keys else 0, bgcolor="#eef3f4",
            destinations=[ft.NavigationBarDestination(icon=icon, label=self.ctx.t(f"nav.{key}"))
                          for key, icon, _ in self.tabs],
            on_change=lambda e: self.page.run_task(self.navigate, int(e.control.selected_index)))

    async def refresh(self) -> None:
        """Back in front of the patient: what the stations synced since is shown, and a device
        signed out elsewhere meanwhile sees the sign-in screen."""
        if self.ctx.program is not None:
            await self.show(self.screen)

    async def navigate(self, index: int) -> None:
        self.ctx.clear()
        await self.show(self.tabs[index][0])

    async def show(self, screen: str) -> None:
        """Draw a screen for the signed-in member, after checking the device is still signed in.

        Two taps in quick succession build their screens side by side. Only the last one asked for
        is drawn: a slow first screen finishing late covered the one the patient had tapped (a fresh
        run's test tapped "Karte" then "Termine" and was left on the card)."""
        ctx, page = self.ctx, self.page
        self.asked += 1
        asked = self.asked
        found = await ctx.call(signin_case.session, self.token)
        if asked != self.asked:
            return
        if found is None:
            ctx.member_id = ctx.session_id = None
            page.navigation_bar = None
            self.frame()
            self.holder.content = ft.Column([signin.build(ctx), forget_card()])
            page.update()
            return
        ctx.member_id, ctx.session_id = found.member_id, found.session_id
        cared = await ctx.call(aftercare.has_treatments, found.member_id)
        module = INNER[screen][0] if screen in INNER else dict((key, mod) for key, _, mod in SCREENS)[screen]
        content = await module.build(ctx)
        if asked != self.asked:
            return
        self.tabs = [tab for tab in SCREENS if tab[0] != "care" or cared]     # aftercare only after a treatment
        self.screen = screen
        self.frame()
        page.navigation_bar = self.navigation()
        self.holder.content = ft.Column([content, ctx.status], spacing=12,
                                        horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
        page.update()

    # --- session -----------------------------------------------------------------------
    async def signed_in(self, signed) -> None:
        self.token = signed.token
        await self.prefs.set(SESSION_KEY, signed.token)
        if await self.prefs.get(LANGUAGE_KEY) not in i18n.LANGUAGES and signed.locale in i18n.LANGUAGES:
            self.ctx.lang = signed.locale
        self.ctx.clear()
        await self.show("card")

    async def sign_out(self) -> None:
        ctx = self.ctx
        if ctx.member_id and ctx.session_id:
            await ctx.call(signin_case.revoke, ctx.member_id, ctx.session_id)
        await self.prefs.remove(SESSION_KEY)
        self.token = None
        ctx.clear()
        ctx.ok(ctx.t("more.signed_out"))
        await self.show("card")

    async def switch_language(self, lang: str) -> None:
        """From the top bar, also before signing in: a patient who reads no German finds it at once."""
        self.ctx.lang = lang
        await self.prefs.set(LANGUAGE_KEY, lang)
        self.ctx.clear()
        await self.show(self.screen)


def forget_card() -> ft.Image:
    """Signed out: loading this empty image tells the service worker to drop the card kept offline."""
    return ft.Image(src="card/none.png", width=1, height=1, exclude_from_semantics=True)
