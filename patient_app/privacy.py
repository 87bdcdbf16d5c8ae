"""The member's data: consents on and off, the channel we use, a download of everything, and a
request for erasure that the practice management confirms."""
from __future__ import annotations

import flet as ft

from patient_app.ui import BODY, MUTED, SMALL, Ctx, body, heading, panel, secondary
from sync.hq.patients import files, privacy


async def panels(ctx: Ctx) -> list[ft.Control]:
    mine = await ctx.call(privacy.privacy, ctx.member_id)
    if mine is None:
        return []
    download = await ctx.call(files.link, ctx.member_id, "export", "data")

    async def consent(e, purpose: str) -> None:
        ctx.clear()
        if await ctx.call(privacy.set_consent, ctx.member_id, purpose, bool(e.control.value)) is not None:
            ctx.ok(ctx.t("privacy.saved"))
        ctx.page.update()

    async def channel(e) -> None:
        ctx.clear()
        if await ctx.call(privacy.set_channel, ctx.member_id, e.control.value) is not None:
            ctx.ok(ctx.t("privacy.saved"))
        ctx.page.update()

    switches = [ft.Switch(label=ctx.t(f"privacy.{purpose}"), value=mine.consents.get(purpose, False),
                          label_text_style=ft.TextStyle(size=BODY),
                          on_change=lambda e, purpose=purpose: ctx.page.run_task(consent, e, purpose))
                for purpose in privacy.PURPOSES]
    ways = ft.RadioGroup(value=mine.channel or (mine.channels[0] if mine.channels else None),
                         on_change=lambda e: ctx.page.run_task(channel, e),
                         content=ft.Column([ft.Radio(value=c, label=ctx.t(f"privacy.channel_{c}"),
                                                     label_style=ft.TextStyle(size=BODY)) for c in mine.channels]))
    erase = (body(ctx.t("privacy.erase_requested", date=ctx.date(mine.erasure_requested)))
             if mine.erasure_requested else secondary(ctx, ctx.t("privacy.erase"), lambda e: ask_erasure(ctx),
                                                      icon=ft.Icons.DELETE_FOREVER))
    get_data = secondary(ctx, ctx.t("privacy.download"), None, icon=ft.Icons.DOWNLOAD)
    get_data.url = download
    hints = [body(ctx.t(f"privacy.{purpose}_hint"), SMALL, color=MUTED) for purpose in privacy.PURPOSES]
    return [panel(heading(ctx, ctx.t("privacy.title"), 20), *[part for pair in zip(switches, hints) for part in pair],
                  body(ctx.t("privacy.channel"), weight=ft.FontWeight.W_600), ways,
                  get_data, body(ctx.t("privacy.download_hint"), SMALL, color=MUTED), erase)]


def ask_erasure(ctx: Ctx) -> None:
    async def really() -> None:
        ctx.page.pop_dialog()
        ctx.clear()
        await ctx.call(privacy.request_erasure, ctx.member_id)
        ctx.show("more")

    ctx.page.show_dialog(ft.AlertDialog(
        modal=True, title=ft.Text(ctx.t("privacy.erase_title")),
        content=ft.Text(ctx.t("privacy.erase_text"), size=BODY),
        actions=[ft.TextButton(ctx.t("privacy.erase_cancel"), on_click=lambda e: ctx.page.pop_dialog()),
                 ft.Button(ctx.t("privacy.erase_confirm"), on_click=lambda e: ctx.page.run_task(really),
                           style=ft.ButtonStyle(bgcolor="#b71c1c", color="white"))]))
