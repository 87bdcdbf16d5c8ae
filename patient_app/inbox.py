"""The inbox: what the app told the member (the desk's answers ...), newest first; opening it marks
everything read. Each line says how it went out: e-mail, text message or a notification."""
from __future__ import annotations

import flet as ft

from patient_app.ui import MUTED, SMALL, Ctx, body, heading, panel
from sync.hq.patients import notices


async def build(ctx: Ctx) -> ft.Control:
    found = await ctx.call(notices.inbox, ctx.member_id) or []
    await ctx.call(notices.mark_read, ctx.member_id)
    rows = []
    for notice in found:
        how = (ctx.t("inbox.sent_by", channel=ctx.t(f"inbox.channel_{notice.channel}"))
               if notice.status == "sent" and notice.channel else ctx.t("inbox.not_sent"))
        rows.append(panel(body(notice.title, weight=ft.FontWeight.W_600 if notice.read else ft.FontWeight.BOLD),
                          body(notice.text),
                          body(f"{ctx.when(notice.created_at)} · {how}", SMALL, color=MUTED)))
    return ft.Column([heading(ctx, ctx.t("inbox.title")), *(rows or [body(ctx.t("inbox.none"), italic=True)])],
                     spacing=16, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
