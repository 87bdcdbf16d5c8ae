"""The audit log: every console action and sign-in attempt, newest first, filtered by kind of action."""
from __future__ import annotations

import flet as ft

from console.ui import FAIL_COLOUR, Ctx, card, heading, line, table
from sync.hq import admins

KINDS = ("", "sign_in", "program", "location", "device", "member", "admin", "session")


def build(ctx: Ctx, kind: str = "") -> ft.Control:
    found = ctx.attempt(admins.audit_log, ctx.token, kind)
    if found is None:
        return ft.Column([heading(ctx.t("nav.audit")), line(ctx.status.value, FAIL_COLOUR)])
    chooser = ft.Dropdown(label=ctx.t("audit.kind"), value=kind, width=280, text_size=16,
                          options=[ft.DropdownOption(key=k, text=ctx.t(f"audit.kind_{k or 'all'}")) for k in KINDS],
                          on_select=lambda e: ctx.show("audit", e.control.value or ""))

    def detail(values: dict) -> str:
        return ", ".join(f"{k}: {v}" for k, v in values.items())

    rows = [[ft.Text(ctx.when(a.at), size=16), ft.Text(a.admin_email or "–", size=16),
             ft.Text(ctx.t(f"audit.action.{a.action}") if _known(ctx, a.action) else a.action, size=16),
             ft.Text(a.target, size=16), ft.Text(detail(a.detail), size=14)] for a in found]
    return ft.Column([heading(ctx.t("nav.audit")), line(ctx.t("audit.hint"), size=15), chooser,
                      card(table(ctx, ["when", "admin", "what", "target", "detail"], rows))],
                     spacing=12, scroll=ft.ScrollMode.AUTO, expand=True)


def _known(ctx: Ctx, action: str) -> bool:
    return ctx.t(f"audit.action.{action}") != f"console.audit.action.{action}"
