"""The card: the QR code large and bright for the kiosk, and where the member stands (points,
stamps, level and what is missing, rewards ready, points about to expire, the membership plan).

The QR image is loaded from `card/<token>.png`, so the app's service worker keeps the last one on
the device for the offline card page (patient_app/static/flutter_service_worker.js).
"""
from __future__ import annotations

import flet as ft

from patient_app.ui import INK, LARGE, MUTED, SMALL, Ctx, body, heading, panel, secondary
from sync.hq.patients import home as home_case

QR_SIZE = 300


async def build(ctx: Ctx) -> ft.Control:
    found = await ctx.call(home_case.home, ctx.member_id)
    if found is None:
        return ft.Column([ctx.status])
    ctx.program = found.program
    return ft.Column([heading(ctx, ctx.t("card.hello", name=found.first_name)), qr_panel(ctx, found.card_token),
                      *standing_panels(ctx, found),
                      secondary(ctx, ctx.t("card.history"), lambda e: ctx.show("history"), icon=ft.Icons.HISTORY)],
                     spacing=16, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)


def card_image(token: str, size: int, label: str) -> ft.Image:
    return ft.Image(src=f"card/{token}.png", width=size, height=size, fit=ft.BoxFit.CONTAIN,
                    semantics_label=label, gapless_playback=True)


def qr_panel(ctx: Ctx, token: str | None) -> ft.Control:
    if token is None:
        return panel(body(ctx.t("card.no_card")))

    def enlarge(e) -> None:
        ctx.page.show_dialog(ft.AlertDialog(
            bgcolor="white", content_padding=8,
            content=ft.Container(card_image(token, 360, ctx.t("card.qr_label")), bgcolor="white", padding=8),
            actions=[secondary(ctx, ctx.t("card.close"), lambda e: ctx.page.pop_dialog())]))

    return ft.Container(ft.Column([
        ft.Container(card_image(token, QR_SIZE, ctx.t("card.qr_label")), on_click=enlarge,
                     tooltip=ctx.t("card.enlarge")),
        body(ctx.t("card.show"), weight=ft.FontWeight.W_600),
        body(ctx.t("card.code", code=token), SMALL, color=MUTED),
        body(ctx.t("card.offline_kept"), SMALL, color=MUTED, italic=True),
    ], horizontal_alignment=ft.CrossAxisAlignment.CENTER, spacing=8),
        bgcolor="white", padding=16, border_radius=20, border=ft.Border.all(1, "#d5dde0"),
        alignment=ft.Alignment.CENTER)


def standing_panels(ctx: Ctx, found) -> list[ft.Control]:
    standing, program = found.standing, found.program
    stamps = ft.Row([ft.Icon(ft.Icons.CIRCLE if i < standing.stamps_on_card else ft.Icons.CIRCLE_OUTLINED,
                             color=ctx.colour, size=22) for i in range(standing.stamps_per_card)], wrap=True, spacing=4)
    level = [body(ctx.t("card.tier", tier=ctx.name(standing.tier.name)), weight=ft.FontWeight.W_600)]
    level.append(body(ctx.t("card.next_tier", points=ctx.num(standing.points_to_next_tier),
                            tier=ctx.name(standing.next_tier.name)) if standing.next_tier else ctx.t("card.top_tier"),
                      color=MUTED))
    panels = [panel(
        ft.Text(ctx.t("card.points", points=ctx.num(standing.points)), size=LARGE + 6, weight=ft.FontWeight.BOLD,
                color=INK),
        body(ctx.t("card.stamps", on=standing.stamps_on_card, per=standing.stamps_per_card)), stamps,
        *([body(ctx.t("card.full_cards", count=standing.full_cards))] if standing.full_cards else []),
        *level)]
    if standing.rewards_ready:
        panels.append(panel(heading(ctx, ctx.t("card.ready_title"), LARGE),
                            *[body(f"• {ctx.name(program.rewards[code].name)}") for code in standing.rewards_ready]))
    if standing.expiring:
        panels.append(panel(heading(ctx, ctx.t("card.expiring_title"), LARGE),
                            *[body(ctx.t("card.expiring", points=ctx.num(e.points), date=ctx.date(e.on)))
                              for e in standing.expiring[:3]]))
    if found.plan is not None:
        plan = found.plan
        names = {**{c: i.name for c, i in program.catalogue.items()}, **{c: r.name for c, r in program.rewards.items()}}
        panels.append(panel(
            heading(ctx, ctx.t("card.plan_title", plan=ctx.name(plan.plan.name)), LARGE),
            body(ctx.t("card.plan_period", date=ctx.date(plan.renews_on)), color=MUTED),
            *[body(ctx.t("card.benefit", name=ctx.name(names.get(b.code, {"en": b.code})), used=plan.used[b.code],
                         total=b.per_period, left=plan.left[b.code])) for b in plan.plan.benefits]))
    if found.next_visit_due is not None:
        panels.append(panel(body(ctx.t("card.next_visit", date=ctx.date(found.next_visit_due)))))
    return panels
