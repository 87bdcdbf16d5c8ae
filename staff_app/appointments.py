"""Appointment requests from the patients' app for this location: the patient's wish in words,
and a date, a time and an optional note to confirm, propose another time, or decline.

Dates and times are typed as the desk says them ("7.12." or "07.12.2026", "9:30"); a date without
a year is the next one to come.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import flet as ft

from loyalty import clock
from loyalty.services import appointments, current_program
from staff_app.ui import Ctx, card, heading, text_field

DATE = re.compile(r"^\s*(\d{1,2})[./](\d{1,2})[./]?(\d{2,4})?\s*$")
TIME = re.compile(r"^\s*(\d{1,2})(?:[:.](\d{2}))?\s*(?:uhr|h)?\s*$", re.IGNORECASE)


def build(ctx: Ctx) -> ft.Control:
    rows = appointments.appointment_requests()
    items = [request_card(ctx, row) for row in rows] or [ft.Text(ctx.t("appointments.none"), italic=True, size=16)]
    return ft.Column([heading(ctx.t("nav.appointments")), ft.Text(ctx.t("appointments.hint"), size=16), *items],
                     spacing=12, scroll=ft.ScrollMode.AUTO, expand=True)


def request_card(ctx: Ctx, row) -> ft.Control:
    name = f"{row.first_name} {row.last_name or ''}".strip()
    days = ", ".join(ctx.t(f"appointments.day_{d}") for d in row.days) or ctx.t("appointments.any_day")
    times = ", ".join(ctx.t(f"appointments.time_{t}") for t in row.times) or ctx.t("appointments.any_time")
    lines = [ft.Text(f"{name} · {row.phone or row.email or ''}", size=18, weight=ft.FontWeight.BOLD),
             ft.Text(ctx.t(f"appointments.status_{row.status}",
                           when=ctx.when(row.starts_at) if row.starts_at else ""), size=16),
             ft.Text(ctx.t("appointments.wish", days=days, times=times, at=ctx.when(row.requested_at)), size=16)]
    if row.note:
        lines.append(ft.Text(f"„{row.note}“", size=16, italic=True))
    day = text_field(ctx, label=ctx.t("appointments.date_for", name=row.first_name), width=200,
                     hint_text=ctx.t("appointments.date_hint"))
    hour = text_field(ctx, label=ctx.t("appointments.time_for", name=row.first_name), width=160,
                      hint_text=ctx.t("appointments.time_hint"))
    note = text_field(ctx, label=ctx.t("appointments.reply_for", name=row.first_name), width=420)

    def answer(service, done: str, needs_time: bool = True) -> None:
        starts = None
        if needs_time:
            starts = local_moment(day.value, hour.value, current_program().timezone, clock.now())
            if starts is None:
                ctx.fail(ctx.t("appointments.bad_time"))
                return
        args = (row.appointment_id, starts, ctx.actor, note.value) if needs_time else \
            (row.appointment_id, ctx.actor, note.value)
        if ctx.run(service, *args):
            ctx.ok(ctx.t(done, name=row.first_name, when=ctx.when(starts) if starts else ""))
            ctx.show("appointments")

    buttons = ft.Row([
        ft.Button(ctx.t("appointments.confirm_named", name=row.first_name), icon=ft.Icons.CHECK,
                  on_click=lambda e: answer(appointments.confirm_appointment, "appointments.confirmed")),
        ft.OutlinedButton(ctx.t("appointments.propose_named", name=row.first_name), icon=ft.Icons.SCHEDULE,
                          on_click=lambda e: answer(appointments.propose_appointment, "appointments.proposed")),
        ft.TextButton(ctx.t("appointments.decline_named", name=row.first_name), icon=ft.Icons.CLOSE,
                      on_click=lambda e: answer(appointments.decline_appointment, "appointments.declined", False)),
    ], wrap=True, spacing=8)
    return card(*lines, ft.Row([day, hour], wrap=True, spacing=8), note, buttons)


def local_moment(day_text: str | None, time_text: str | None, tz: str, now: datetime) -> datetime | None:
    """A typed local date and time as aware UTC; None when either is not understood."""
    found_day, found_time = DATE.match(day_text or ""), TIME.match(time_text or "")
    if not found_day or not found_time:
        return None
    zone = ZoneInfo(tz)
    today = now.astimezone(zone).date()
    day, month, year = int(found_day[1]), int(found_day[2]), found_day[3]
    try:
        if year is None:
            chosen = date(today.year, month, day)
            chosen = chosen if chosen >= today else date(today.year + 1, month, day)
        else:
            chosen = date(int(year) + (2000 if len(year) == 2 else 0), month, day)
        at = time(int(found_time[1]), int(found_time[2] or 0))
    except ValueError:
        return None
    return datetime.combine(chosen, at, zone).astimezone(ZoneInfo("UTC"))
