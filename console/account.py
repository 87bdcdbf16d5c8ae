"""My account: who I am, my role, and my open sessions (end one left open on another computer)."""
from __future__ import annotations

import flet as ft

from console.ui import FAIL_COLOUR, Ctx, card, heading, line, table
from sync.hq import admins


def build(ctx: Ctx) -> ft.Control:
    me = ctx.admin
    return ft.Column([
        heading(ctx.t("nav.account")),
        card(line(f"{me.name} · {me.email}"), line(ctx.t("account.role", role=ctx.role(me.role)))),
        card(heading(ctx.t("sessions.title"), 18), line(ctx.t("sessions.hint"), size=14),
             sessions_table(ctx, lambda: ctx.show("account"))),
    ], spacing=12, scroll=ft.ScrollMode.AUTO, expand=True)


def sessions_table(ctx: Ctx, redraw) -> ft.Control:
    """Open sessions the admin may see (their own; an owner everyone's), each with an End button."""
    found = ctx.attempt(admins.sessions, ctx.token) or []

    def end(session_id: str) -> None:
        if ctx.run(admins.revoke_session, ctx.token, session_id):
            ctx.ok(ctx.t("sessions.revoked"))
            redraw()

    rows = [[ft.Text(s.admin_email, size=16), ft.Text(s.client[:60] or "–", size=14),
             ft.Text(ctx.when(s.created_at), size=16), ft.Text(ctx.when(s.last_seen_at), size=16),
             ft.Text(ctx.t("sessions.this_one"), size=16, italic=True) if s.current else
             ft.TextButton(ctx.t("sessions.revoke"), icon=ft.Icons.LOGOUT, on_click=lambda e, i=s.id: end(i),
                           style=ft.ButtonStyle(color=FAIL_COLOUR),
                           tooltip=ctx.t("sessions.revoke_for", email=s.admin_email))]
            for s in found]
    return table(ctx, ["admin", "browser", "since", "last_seen", "action"], rows)
