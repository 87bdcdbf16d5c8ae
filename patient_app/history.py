"""The member's visits and points, newest first, in words: never a treatment's name."""
from __future__ import annotations

import flet as ft

from patient_app.ui import MUTED, SMALL, Ctx, body, heading, panel
from sync.hq.patients import home as home_case


async def build(ctx: Ctx) -> ft.Control:
    found = await ctx.call(home_case.home, ctx.member_id)
    if found is None:
        return ft.Column([ctx.status])
    lines = []
    for line in found.history:
        what = ctx.t(f"history.kind_{line.kind}")
        if line.kind == "redeem" and line.reward_code in found.program.rewards:
            what += f": {ctx.name(found.program.rewards[line.reward_code].name)}"
        amounts = [ctx.t("history.points", points=_signed(ctx, line.points))] if line.points else []
        amounts += [ctx.t("history.stamps", stamps=_signed(ctx, line.stamps))] if line.stamps else []
        lines.append(ft.Container(ft.Column([
            body(what, weight=ft.FontWeight.W_600),
            body(" · ".join([ctx.date(line.at), *amounts]), SMALL, color=MUTED)], spacing=2),
            padding=ft.Padding.symmetric(vertical=6)))
    return ft.Column([
        heading(ctx, ctx.t("history.title")),
        body(ctx.t("history.visits", count=found.visits)),
        panel(*lines) if lines else body(ctx.t("history.empty"), italic=True),
    ], spacing=16, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)


def _signed(ctx: Ctx, value: int) -> str:
    return ("+" if value > 0 else "−") + ctx.num(abs(value))
