"""Appointments: ask for one (location, preferred days and times, a note), see the desk's answer,
accept a proposed time, cancel, add a confirmed one to the phone's calendar. A location with its
own booking page gets a button that opens it instead of the request form."""
from __future__ import annotations

import flet as ft

from patient_app.ui import BODY, MUTED, SMALL, Ctx, body, heading, panel, primary, secondary
from sync.hq.patients import appointments as case
from sync.hq.patients import files

CHIP_TEXT = ft.TextStyle(size=BODY)


class Picks(ft.Row):
    """Several of a few options by tap (chips: large targets, named for screen readers)."""

    def __init__(self, options: list[tuple[str, str]]):
        super().__init__(wrap=True, spacing=8, run_spacing=8)
        self.chosen: set[str] = set()
        self.controls = [ft.Chip(label=ft.Text(text, size=BODY), selected=False, show_checkmark=True,
                                 on_select=lambda e, key=key: self.pick(e, key)) for key, text in options]

    def pick(self, e, key: str) -> None:
        self.chosen ^= {key}
        e.control.selected = key in self.chosen


async def build(ctx: Ctx) -> ft.Control:
    places = await ctx.call(case.places) or []
    home = await ctx.call(case.home_place, ctx.member_id)
    mine = await ctx.call(case.appointments, ctx.member_id) or []
    links = {a.appointment_id: await ctx.call(files.link, ctx.member_id, "appointment", a.appointment_id)
             for a in mine if a.status == "confirmed"}
    listed = [heading(ctx, ctx.t("appointments.list_title"), 20),
              *[appointment_panel(ctx, a, links.get(a.appointment_id)) for a in mine]] if mine else []
    return ft.Column([heading(ctx, ctx.t("appointments.title")), *listed, ask_panel(ctx, places, home)],
                     spacing=16, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)


def ask_panel(ctx: Ctx, places: list, home: str | None) -> ft.Control:
    if not places:
        return ft.Container()
    chosen = home if any(p.location_id == home for p in places) else places[0].location_id
    where = ft.Dropdown(label=ctx.t("appointments.location"), value=chosen, text_size=BODY,
                        options=[ft.DropdownOption(key=p.location_id, text=p.name) for p in places],
                        visible=len(places) > 1, on_select=lambda e: redraw())
    days = Picks([(d, ctx.t(f"appointments.day_{d}")) for d in case.WEEKDAYS])
    times = Picks([(t, ctx.t(f"appointments.time_{t}")) for t in case.TIMES])
    note = ft.TextField(label=ctx.t("appointments.note"), multiline=True, min_lines=2, max_lines=4, text_size=BODY)
    form = ft.Column([body(ctx.t("appointments.days"), weight=ft.FontWeight.W_600), days,
                      body(ctx.t("appointments.times"), weight=ft.FontWeight.W_600), times,
                      body(ctx.t("appointments.any"), SMALL, color=MUTED), note,
                      primary(ctx, ctx.t("appointments.send"), lambda e: ctx.page.run_task(send),
                              icon=ft.Icons.SEND)], spacing=10)
    booking = ft.Column(spacing=10)

    def redraw() -> None:
        place = next(p for p in places if p.location_id == where.value)
        form.visible = place.booking_url is None
        booking.controls = [] if place.booking_url is None else [
            body(ctx.t("appointments.booking_hint", location=place.name)),
            primary(ctx, ctx.t("appointments.booking_page", location=place.name), None, icon=ft.Icons.OPEN_IN_NEW)]
        if place.booking_url is not None:
            booking.controls[1].url = place.booking_url

    async def send() -> None:
        ctx.clear()
        made = await ctx.call(case.request, ctx.member_id, where.value, sorted(days.chosen), sorted(times.chosen),
                              note.value)
        if made is not None:
            ctx.ok(ctx.t("appointments.sent"))
            ctx.show("appointments")
        ctx.page.update()

    redraw()
    return panel(heading(ctx, ctx.t("appointments.ask_title"), 20), where, booking, form)


def appointment_panel(ctx: Ctx, found, calendar_link: str | None) -> ft.Control:
    when = ctx.appointment(found.starts_at) if found.starts_at else ""
    lines = [body(ctx.t(f"appointments.status_{found.status}", when=when), weight=ft.FontWeight.W_600)]
    days = ", ".join(ctx.t(f"appointments.day_{d}") for d in found.days) or ctx.t("appointments.any_day")
    times = ", ".join(ctx.t(f"appointments.time_{t}") for t in found.times) or ctx.t("appointments.any_time")
    lines.append(body(f"{found.location_name} · " + ctx.t("appointments.wish", days=days, times=times), SMALL,
                      color=MUTED))
    if found.reply:
        lines.append(body(ctx.t("appointments.reply", text=found.reply)))
    actions = []
    if found.status == "proposed":
        actions.append(primary(ctx, ctx.t("appointments.accept"),
                               lambda e: ctx.page.run_task(act, case.accept, "appointments.accepted"),
                               icon=ft.Icons.CHECK))
    if found.status == "confirmed" and calendar_link:
        actions.append(secondary(ctx, ctx.t("appointments.calendar"), None, icon=ft.Icons.EVENT))
        actions[-1].url = calendar_link
    if found.status in ("requested", "proposed", "confirmed"):
        actions.append(secondary(ctx, ctx.t("appointments.cancel"),
                                 lambda e: ctx.page.run_task(act, case.cancel, "appointments.cancelled"),
                                 icon=ft.Icons.CLOSE))

    async def act(change, done: str) -> None:
        ctx.clear()
        if await ctx.call(change, ctx.member_id, found.appointment_id) is not None:
            ctx.ok(ctx.t(done))
        ctx.show("appointments")

    return panel(*lines, ft.Row(actions, wrap=True, spacing=8))
