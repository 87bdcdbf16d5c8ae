"""Admins (owner): invite colleagues with a role, reset a lost authenticator, unlock, disable a leaver,
and see every open session."""
from __future__ import annotations

import flet as ft

from console.account import sessions_table
from console.ui import ACCENT, FAIL_COLOUR, Ctx, card, confirm, field, heading, line, table
from sync.hq import admins


def build(ctx: Ctx, invitation: admins.Invitation | None = None) -> ft.Control:
    """`invitation`: one just made, shown once with its code to pass on."""
    found = ctx.attempt(admins.admins, ctx.token) or []
    offer = []
    if invitation is not None:
        offer = [card(heading(ctx.t("admins.invitation_title", email=invitation.email), 18),
                      line(ctx.t("admins.invitation_hint", until=ctx.when(invitation.expires_at))),
                      ft.Text(invitation.code, size=22, weight=ft.FontWeight.BOLD, selectable=True,
                              semantics_label=ctx.t("admins.invitation_code")))]

    email = field(ctx.t("signin.email"), width=300)
    name = field(ctx.t("admins.name"), width=240)
    role = ft.Dropdown(label=ctx.t("admins.role"), width=240, value=admins.OPERATIONS, text_size=16,
                       options=[ft.DropdownOption(key=r, text=ctx.role(r)) for r in admins.ROLES])

    def invite(e) -> None:
        invitation = ctx.attempt(admins.invite_admin, ctx.token, email.value or "", name.value or "", role.value)
        if invitation is not None:
            ctx.ok(ctx.t("admins.invited", email=invitation.email))
            ctx.show("admins", invitation)

    def reset(target: admins.AdminView) -> None:
        def go() -> None:
            made = ctx.attempt(admins.reset_admin, ctx.token, target.email)
            if made is not None:
                ctx.ok(ctx.t("admins.reset_done", email=target.email))
                ctx.show("admins", made)
        confirm(ctx, ctx.t("admins.reset_title", email=target.email), ctx.t("admins.reset_text"),
                ctx.t("admins.reset"), go)

    def disable(target: admins.AdminView, disabled: bool) -> None:
        if ctx.run(admins.set_disabled, ctx.token, target.id, disabled):
            ctx.ok(ctx.t("admins.disabled" if disabled else "admins.enabled", email=target.email))
            ctx.show("admins")

    def unlock(target: admins.AdminView) -> None:
        if ctx.run(admins.unlock, ctx.token, target.id):
            ctx.ok(ctx.t("admins.unlocked", email=target.email))
            ctx.show("admins")

    def actions(a: admins.AdminView) -> ft.Control:
        buttons = [ft.TextButton(ctx.t("admins.reset"), on_click=lambda e: reset(a),
                                 tooltip=ctx.t("admins.reset_for", email=a.email))]
        if a.locked_until:
            buttons.append(ft.TextButton(ctx.t("admins.unlock"), on_click=lambda e: unlock(a),
                                         tooltip=ctx.t("admins.unlock_for", email=a.email)))
        if a.id != ctx.admin.id:
            disabled = a.status == "disabled"
            buttons.append(ft.TextButton(ctx.t("admins.enable" if disabled else "admins.disable"),
                                         on_click=lambda e: disable(a, not disabled),
                                         style=ft.ButtonStyle(color=None if disabled else FAIL_COLOUR),
                                         tooltip=ctx.t("admins.disable_for", email=a.email)))
        return ft.Row(buttons, spacing=4, wrap=True)

    def state(a: admins.AdminView) -> str:
        if a.locked_until:
            return ctx.t("admins.locked_until", until=ctx.when(a.locked_until))
        return ctx.t(f"admins.status_{a.status}")

    rows = [[ft.Text(a.name, size=16), ft.Text(a.email, size=16), ft.Text(ctx.role(a.role), size=16),
             ft.Text(state(a), size=16), actions(a)] for a in found]
    return ft.Column([
        heading(ctx.t("nav.admins")),
        line(ctx.t("admins.hint"), size=15),
        card(table(ctx, ["name", "email", "role", "state", "action"], rows)),
        card(heading(ctx.t("admins.invite_title"), 18), ft.Row([email, name, role], wrap=True, spacing=12),
             ft.Button(ctx.t("admins.invite"), icon=ft.Icons.PERSON_ADD, on_click=invite,
                       style=ft.ButtonStyle(bgcolor=ACCENT, color="white"))),
        *offer,
        card(heading(ctx.t("sessions.all_title"), 18), sessions_table(ctx, lambda: ctx.show("admins"))),
    ], spacing=12, scroll=ft.ScrollMode.AUTO, expand=True)
