"""Signing in to the console: e-mail, password and the 6-digit code of an authenticator app; and
taking an invitation (choose a password, add the console to the authenticator app)."""
from __future__ import annotations

from typing import Callable

import flet as ft

from console.ui import ACCENT, Ctx, card, field, heading, line
from loyalty.qr import qr_png
from sync.hq import admins


def build(ctx: Ctx, on_signed_in: Callable[[admins.SignedIn], None]) -> ft.Control:
    holder = ft.Container()
    client = ctx.page.client_user_agent or ""

    def sign_in_form() -> ft.Control:
        email = field(ctx.t("signin.email"), width=420, autofocus=True, keyboard_type=ft.KeyboardType.EMAIL)
        password = field(ctx.t("signin.password"), width=420, password=True, can_reveal_password=True)
        code = field(ctx.t("signin.code"), width=220, max_length=6, keyboard_type=ft.KeyboardType.NUMBER)

        def submit(e=None) -> None:
            signed = ctx.attempt(admins.sign_in, email.value or "", password.value or "", code.value or "", client)
            password.value, code.value = "", ""
            if signed is not None:
                on_signed_in(signed)

        code.on_submit = submit
        return card(heading(ctx.t("signin.title")), line(ctx.t("signin.hint")), email, password, code,
                    ft.Row([ft.Button(ctx.t("signin.submit"), icon=ft.Icons.LOGIN, on_click=submit,
                                      style=ft.ButtonStyle(bgcolor=ACCENT, color="white")),
                            ft.TextButton(ctx.t("invite.open"), on_click=lambda e: show(invitation_form()))],
                           spacing=16),
                    line(ctx.t("signin.help"), "#555555", 14), width=520)

    def invitation_form() -> ft.Control:
        email = field(ctx.t("signin.email"), width=420, keyboard_type=ft.KeyboardType.EMAIL)
        code = field(ctx.t("invite.code"), width=420)
        second = ft.Column(spacing=10)

        def start(e=None) -> None:
            authenticator = ctx.attempt(admins.start_invitation, email.value or "", code.value or "")
            if authenticator is None:
                return
            ctx.clear()
            password = field(ctx.t("invite.password"), width=420, password=True, can_reveal_password=True)
            again = field(ctx.t("invite.password_again"), width=420, password=True, can_reveal_password=True)
            totp = field(ctx.t("signin.code"), width=220, max_length=6, keyboard_type=ft.KeyboardType.NUMBER)

            def finish(e=None) -> None:
                if (password.value or "") != (again.value or ""):
                    ctx.fail(ctx.t("invite.mismatch"))
                    return
                signed = ctx.attempt(admins.accept_invitation, email.value or "", code.value or "",
                                     password.value or "", totp.value or "", client)
                if signed is not None:
                    on_signed_in(signed)

            second.controls = [
                line(ctx.t("invite.scan")),
                ft.Image(src=qr_png(authenticator.uri, box_size=5), width=220, height=220,
                         semantics_label=ctx.t("invite.qr_label")),
                ft.Text(ctx.t("invite.secret", secret=authenticator.secret), size=16, selectable=True),
                password, again, totp,
                ft.Button(ctx.t("invite.finish"), icon=ft.Icons.CHECK, on_click=finish,
                          style=ft.ButtonStyle(bgcolor=ACCENT, color="white")),
            ]

        return card(heading(ctx.t("invite.title")), line(ctx.t("invite.hint")), email, code,
                    ft.Row([ft.Button(ctx.t("invite.next"), icon=ft.Icons.ARROW_FORWARD, on_click=start),
                            ft.TextButton(ctx.t("invite.back"), on_click=lambda e: show(sign_in_form()))]),
                    second, width=560)

    def show(form: ft.Control) -> None:
        ctx.clear()
        holder.content = form

    holder.content = sign_in_form()
    return ft.Container(ft.Column([holder], scroll=ft.ScrollMode.AUTO,
                                  horizontal_alignment=ft.CrossAxisAlignment.CENTER),
                        padding=32, expand=True, alignment=ft.Alignment.TOP_CENTER)
