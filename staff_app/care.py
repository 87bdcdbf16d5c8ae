"""Follow-ups for the clinical team (low scores, reported problems, uncertain messages) and how
reminders work: messages waiting and sent, and how many members came back after each kind."""
from __future__ import annotations

from datetime import timedelta

import flet as ft

from loyalty import clock
from loyalty.services import followups, messages
from staff_app.ui import Ctx, card, heading, text_field
from sync.client import HqError
from sync.station import fetch_photo


def show_photos(ctx: Ctx, task) -> None:
    """Fetched from HQ over the station's signed link when opened; nothing is kept on the tablet."""
    ctx.touch()
    try:
        pictures = [fetch_photo(photo_id) for photo_id in task.photos]
    except HqError:
        ctx.fail(ctx.t("care.photos_unreachable"))
        return
    ctx.page.show_dialog(ft.AlertDialog(
        title=ft.Text(ctx.t("care.photos_title", name=task.first_name)),
        content=ft.Row([ft.Image(src=picture, width=360, height=360, fit=ft.BoxFit.CONTAIN,
                                 semantics_label=ctx.t("care.photo_label", number=number, name=task.first_name))
                        for number, picture in enumerate(pictures, start=1)], wrap=True, scroll=ft.ScrollMode.AUTO),
        actions=[ft.TextButton(ctx.t("care.photos_close"), on_click=lambda e: ctx.page.pop_dialog())]))


def build(ctx: Ctx) -> ft.Control:
    tasks = []
    for row in followups.open_follow_ups():
        note = text_field(ctx, label=ctx.t("care.note_for", name=row.first_name), width=260)
        lines = [ft.Text(f"{row.first_name} {row.last_name or ''}".strip() + f" · {row.phone or row.email or ''}",
                         size=16, weight=ft.FontWeight.BOLD),
                 ft.Text(ctx.t(f"care.kind_{row.kind}") + " · " + ctx.when(row.created_at))]
        if row.score is not None:
            lines.append(ft.Text(ctx.t("care.score", score=row.score)))
        if row.text:
            lines.append(ft.Text(f"„{row.text}“", italic=True))
        if row.feeling:
            lines.append(ft.Text(ctx.t(f"care.step_{row.step}") + " · " + ctx.t(f"care.feeling_{row.feeling}")))
        if row.treatment:
            lines.append(ft.Text(ctx.t("care.treatment", item=ctx.item_name(row.treatment))))
        if row.photos:
            lines.append(ft.OutlinedButton(ctx.t("care.photos", count=len(row.photos), name=row.first_name),
                                           icon=ft.Icons.PHOTO_LIBRARY,
                                           on_click=lambda e, task=row: show_photos(ctx, task)))

        def close(e, task=row, box=note) -> None:
            if ctx.run(followups.close_follow_up, task.follow_up_id, ctx.actor, box.value):
                ctx.ok(ctx.t("care.closed", name=task.first_name))
                ctx.show("care")

        tasks.append(ft.Container(ft.Column(lines + [ft.Row([note, ft.Button(
            ctx.t("care.close_named", name=row.first_name), icon=ft.Icons.CHECK, on_click=close)], wrap=True)],
            spacing=4), bgcolor="white", padding=10, border_radius=8))
    state = messages.outbox_state()
    now = clock.now()
    rates = messages.return_rates(now - timedelta(days=90), now)
    rate_lines = [ft.Text(ctx.t("care.rate_line", trigger=ctx.t(f"care.trigger_{r.trigger}"), sent=r.sent,
                                returned=r.returned,
                                rate="–" if r.rate is None else f"{ctx.num(round(r.rate * 100))} %"))
                  for r in rates] or [ft.Text(ctx.t("care.no_messages"), italic=True)]
    return ft.Column([
        heading(ctx.t("nav.care")),
        ft.Row([
            card(heading(ctx.t("care.tasks_title"), 18),
                 *(tasks or [ft.Text(ctx.t("care.no_tasks"), italic=True)]), expand=3),
            card(heading(ctx.t("care.messages_title"), 18),
                 ft.Text(ctx.t("care.outbox", queued=state.queued, sent=state.sent, failed=state.failed,
                               uncertain=state.uncertain)),
                 ft.Text(ctx.t("care.rates_title"), weight=ft.FontWeight.BOLD), *rate_lines, expand=2),
        ], spacing=16, vertical_alignment=ft.CrossAxisAlignment.START),
    ], spacing=12, scroll=ft.ScrollMode.AUTO, expand=True)
