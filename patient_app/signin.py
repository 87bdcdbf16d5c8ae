"""Signing in: an e-mail address or mobile number, then the 6-digit code (or the link) sent to it.

The screen says the same after "send me a code" whether the address is a member's or not.
"""
from __future__ import annotations

import flet as ft

from patient_app.ui import BODY, MUTED, Ctx, body, heading, primary, secondary
from sync.hq.patients import signin


def build(ctx: Ctx) -> ft.Control:
    address = ft.TextField(label=ctx.t("signin.address"), keyboard_type=ft.KeyboardType.EMAIL, autofocus=True,
                           text_size=BODY, on_submit=lambda e: ctx.page.run_task(send))
    code = ft.TextField(label=ctx.t("signin.code"), keyboard_type=ft.KeyboardType.NUMBER, text_size=22,
                        on_submit=lambda e: ctx.page.run_task(check))
    step_two = ft.Column([body(ctx.t("signin.sent")), code], spacing=12, visible=False)
    send_button = primary(ctx, ctx.t("signin.send"), lambda e: ctx.page.run_task(send), icon=ft.Icons.MAIL_OUTLINE)
    check_button = primary(ctx, ctx.t("signin.sign_in"), lambda e: ctx.page.run_task(check), icon=ft.Icons.LOGIN)
    check_button.visible = False
    other = secondary(ctx, ctx.t("signin.other_address"), lambda e: back())
    other.visible = False

    async def send() -> None:
        ctx.clear()
        asked = await ctx.call(signin.request_code, address.value or "", ctx.client, ctx.wiring.app_url,
                               ctx.wiring.post, ctx.wiring.channels)
        if asked is None and ctx.status.value:        # refused: the message says why
            ctx.page.update()
            return
        address.read_only = True
        step_two.visible = check_button.visible = other.visible = True
        send_button.content = ctx.t("signin.resend")
        ctx.page.update()

    async def check() -> None:
        ctx.clear()
        signed = await ctx.call(signin.verify_code, address.value or "", code.value or "", ctx.client,
                                ctx.page.client_user_agent or "")
        if signed is None:
            ctx.page.update()
            return
        await ctx.signed_in(signed)

    def back() -> None:
        ctx.clear()
        address.read_only = False
        address.value = code.value = ""
        step_two.visible = check_button.visible = other.visible = False
        send_button.content = ctx.t("signin.send")

    return ft.Column([
        heading(ctx, ctx.t("signin.title")),
        body(ctx.t("signin.intro"), color=MUTED),
        address, send_button, step_two, check_button, other, ctx.status,
    ], spacing=16)
