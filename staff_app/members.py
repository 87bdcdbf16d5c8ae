"""The desk: find a member as you type or by scanning their card (USB scanner or the tablet's camera),
enrol one, watch kiosk check-ins live."""
from __future__ import annotations

import flet as ft

from loyalty.services import desk, enroll, search
from staff_app.live_search import LiveSearch
from staff_app.scan import ScanPanel, member_for_code
from staff_app.ui import ACCENT, Ctx, card, heading, text_field


class Feed:
    """Kiosk check-ins, newest first; refreshed from the page's loop when a check-in happens."""

    def __init__(self, ctx: Ctx):
        self.ctx = ctx
        self.column = ft.Column(spacing=6, scroll=ft.ScrollMode.AUTO, expand=True)
        self.refresh()

    def refresh(self) -> None:
        ctx = self.ctx
        rows = desk.recent_check_ins()
        if not rows:
            self.column.controls = [ft.Text(ctx.t("desk.no_check_ins"), italic=True)]
            return
        self.column.controls = [
            ft.Container(
                ft.Column([
                    ft.Row([ft.Text(f"{r.first_name} {r.last_name or ''}".strip(), size=17,
                                    weight=ft.FontWeight.BOLD, expand=True),
                            ft.Text(ctx.when(r.at))]),
                    ft.Text(ctx.t("desk.reward_ready", rewards=", ".join(ctx.reward_name(c) for c in r.rewards_ready))
                            if r.rewards_ready else ctx.t("desk.checked_in"),
                            color="#8a4b00" if r.rewards_ready else None),
                ], spacing=2),
                padding=10, border_radius=8, bgcolor="white", ink=True,
                on_click=lambda e, m=r.member_id: ctx.open("member", m))
            for r in rows]


def build(ctx: Ctx) -> ft.Control:
    results = ft.Column(spacing=6, scroll=ft.ScrollMode.AUTO, expand=True)
    ctx.feed = Feed(ctx)

    def show_results(query: str, found: list) -> None:
        if not found and len(query.strip()) >= 2:
            results.controls = [ft.Text(ctx.t("desk.nothing_found"), italic=True)]
            return
        results.controls = [
            ft.Container(
                ft.Row([
                    ft.Column([ft.Text(f"{m.first_name} {m.last_name or ''}".strip(), size=17,
                                       weight=ft.FontWeight.BOLD),
                               ft.Text(" · ".join(x for x in (m.email, m.phone) if x))],
                              spacing=2, expand=True),
                    ft.Text(ctx.t("desk.points", points=ctx.num(m.points))),
                ]),
                padding=10, border_radius=8, bgcolor="white", ink=True,
                on_click=lambda e, mid=m.member_id: ctx.open("member", mid))
            for m in found]

    live = LiveSearch(search, show_results)

    async def on_change(e) -> None:
        ctx.touch()
        await live.typed(e.control.value or "")

    async def on_submit(e) -> None:
        text = (e.control.value or "").strip()
        if text.upper().startswith("LY"):
            live.drop()
            member_id = member_for_code(ctx, text)
            if member_id:
                ctx.open("member", member_id)
            return
        await live.typed(text)

    box = text_field(ctx, label=ctx.t("desk.search"), hint_text=ctx.t("desk.search_hint"), autofocus=True,
                       prefix_icon=ft.Icons.SEARCH, on_change=on_change, on_submit=on_submit, text_size=18,
                       expand=False, width=560)
    left = ft.Column([
        ft.Row([heading(ctx.t("desk.title")),
                ft.Row([ft.Button(ctx.t("scan.button"), icon=ft.Icons.QR_CODE_SCANNER, on_click=lambda e: open_scan()),
                        ft.Button(ctx.t("desk.new_member"), icon=ft.Icons.PERSON_ADD,
                                  on_click=lambda e: open_enrol())], spacing=10)],
               alignment=ft.MainAxisAlignment.SPACE_BETWEEN),
        box, ft.Text(ctx.t("desk.scan_hint"), color="#555555"), results,
    ], expand=3, spacing=10)
    right = card(heading(ctx.t("desk.live"), 18), ctx.feed.column, expand=2)
    layout = ft.Row([left, right], expand=True, spacing=16, vertical_alignment=ft.CrossAxisAlignment.STRETCH)
    holder = ft.Container(layout, expand=True)

    def open_enrol() -> None:
        ctx.touch()
        holder.content = enrol_form(ctx, on_cancel=lambda: restore())

    def open_scan() -> None:
        ctx.touch()
        panel = ScanPanel(ctx, on_close=restore)
        ctx.on_leave.append(panel.stop)
        holder.content = panel.control
        ctx.page.update()
        ctx.page.run_task(panel.start)

    def restore() -> None:
        holder.content = layout
        ctx.page.update()

    return holder


def enrol_form(ctx: Ctx, on_cancel) -> ft.Control:
    first = text_field(ctx, label=ctx.t("enrol.first_name"), autofocus=True)
    last = text_field(ctx, label=ctx.t("enrol.last_name"))
    email = text_field(ctx, label=ctx.t("enrol.email"), keyboard_type=ft.KeyboardType.EMAIL)
    phone = text_field(ctx, label=ctx.t("enrol.phone"), keyboard_type=ft.KeyboardType.PHONE)
    consent = ft.Checkbox(label=ctx.t("enrol.consent_program"))
    marketing = ft.Checkbox(label=ctx.t("enrol.consent_marketing"))
    care = ft.Checkbox(label=ctx.t("enrol.consent_care"))
    adult = ft.Checkbox(label=ctx.t("enrol.adult"))

    def save(e) -> None:
        result = ctx.attempt(enroll, first.value or "", ctx.actor, email=email.value, phone=phone.value,
                             last_name=last.value, consent_program=bool(consent.value),
                             consent_marketing=bool(marketing.value), consent_care=bool(care.value),
                             age_confirmed=bool(adult.value), locale=ctx.lang, source="staff")
        if result is None:
            return
        if result.created:
            ctx.ok(ctx.t("enrol.done", name=result.status.first_name, points=ctx.num(result.bonus_points)))
        else:
            ctx.ok(ctx.t("enrol.existing", name=result.status.first_name))
        ctx.show("member", result.member_id)

    return ft.Column([
        heading(ctx.t("enrol.title")),
        ft.Row([first, last]), ft.Row([email, phone]),
        consent, marketing, care, adult,
        ft.Row([ft.Button(ctx.t("enrol.save"), icon=ft.Icons.CHECK, on_click=save,
                          style=ft.ButtonStyle(bgcolor=ACCENT, color="white")),
                ft.TextButton(ctx.t("cancel"), on_click=lambda e: on_cancel())]),
    ], spacing=12, scroll=ft.ScrollMode.AUTO)
