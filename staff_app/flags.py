"""Alerts for the practice manager: a member's points went below zero, or unusually many entries
were booked for them in one day. The manager opens the member, notes what they found and marks the
alert as checked; the member page shows a member's open alerts to everyone at the desk."""
from __future__ import annotations

from typing import Callable

import flet as ft

from loyalty.services import current_program, flags
from loyalty.services.context import MANAGER
from staff_app.ui import FAIL_COLOUR, MUTED, Ctx, card, heading, text_field


def build(ctx: Ctx) -> ft.Control:
    rows = ctx.attempt(flags.open_flags, ctx.actor)
    if rows is None:
        return ft.Column([heading(ctx.t("flags.title")), ft.Text(ctx.status.value, color=FAIL_COLOUR)])
    recent = flags.resolved_flags(ctx.actor)
    alerts = [alert_box(ctx, row, on_done=lambda: ctx.show("flags")) for row in rows]
    checked = [ft.Text(ctx.t("flags.recent_line", name=full_name(row), what=ctx.t(f"flags.kind_{row.kind}"),
                             when=ctx.when(row.resolved_at), who=row.resolved_by or ctx.t("flags.elsewhere"),
                             note=row.note or ""))
               for row in recent]
    return ft.Column([
        heading(ctx.t("flags.title")),
        ft.Text(ctx.t("flags.hint")),
        card(*(alerts or [ft.Text(ctx.t("flags.none"), italic=True)])),
        card(heading(ctx.t("flags.recent_title"), 18),
             *(checked or [ft.Text(ctx.t("flags.recent_none"), italic=True)])),
    ], spacing=12, scroll=ft.ScrollMode.AUTO, expand=True, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)


def full_name(row: flags.FlagRow) -> str:
    return f"{row.first_name} {row.last_name or ''}".strip()


def what(ctx: Ctx, row: flags.FlagRow) -> str:
    """The alert in words with its figures: the balance now, or the entries on that day."""
    if row.kind == flags.NEGATIVE_BALANCE:
        return ctx.t("flags.what_negative_balance", day=ctx.date(row.day), points=ctx.num(row.balance))
    return ctx.t("flags.what_many_transactions", count=ctx.num(row.entries_that_day), day=ctx.date(row.day),
                 limit=ctx.num(current_program().flag_transactions_per_day))


def alert_box(ctx: Ctx, row: flags.FlagRow, on_done: Callable[[], None], link: bool = True) -> ft.Control:
    """One open alert: what happened, when, a note of what the manager found, and "Checked"."""
    name = full_name(row)
    note = text_field(ctx, label=ctx.t("flags.note_for", name=name), multiline=True, min_lines=1, max_lines=4,
                      expand=True)

    def resolve(e) -> None:
        if ctx.attempt(flags.resolve_flag, row.flag_id, ctx.actor, note.value or ""):
            ctx.ok(ctx.t("flags.resolved", name=name))
            on_done()

    title = [ft.Text(ctx.t(f"flags.kind_{row.kind}"), size=18, weight=ft.FontWeight.BOLD, color=FAIL_COLOUR)]
    if link:
        title.insert(0, ft.TextButton(ctx.t("flags.open_member", name=name), icon=ft.Icons.PERSON,
                                      on_click=lambda e: ctx.open("member", row.member_id)))
    return ft.Container(ft.Column([
        ft.Row(title, wrap=True, spacing=12),
        ft.Text(what(ctx, row)),
        ft.Text(ctx.t("flags.raised", when=ctx.when(row.at)), color=MUTED),
        ft.Row([note]),
        ft.Button(ctx.t("flags.resolve_named", name=name), icon=ft.Icons.CHECK, on_click=resolve),
    ], spacing=8), bgcolor="white", padding=12, border_radius=8)


def member_lines(ctx: Ctx, member_id: str, on_done: Callable[[], None]) -> list[ft.Control]:
    """A member's open alerts on the member page: the manager checks them off right there, the
    desk reads them in words and carries on."""
    rows = flags.member_flags(member_id)
    if not rows:
        return []
    if ctx.actor is not None and ctx.actor.role == MANAGER:
        return [alert_box(ctx, row, on_done, link=False) for row in rows]
    lines: list[ft.Control] = [
        ft.Text(ctx.t(f"flags.member_{row.kind}", day=ctx.date(row.day), points=ctx.num(row.balance),
                      count=ctx.num(row.entries_that_day)), color=FAIL_COLOUR, weight=ft.FontWeight.BOLD)
        for row in rows]
    return lines + [ft.Text(ctx.t("flags.member_hint"), color=MUTED)]
