"""Locations and devices: create a location, give a new station a one-time enrolment code (also as a QR
code), see every station's last sync, queue, clock, software, program version and refused records,
and revoke a device (a stolen tablet is refused at its next sync)."""
from __future__ import annotations

import time

import flet as ft

from console.ui import ACCENT, FAIL_COLOUR, OK_COLOUR, QUIET_COLOUR, Ctx, card, confirm, field, heading, line, table
from loyalty.qr import qr_png
from sync.hq import locations
from sync.hq.stations import StationView

WAIT_COLOUR = "#8a4b00"


def build(ctx: Ctx, offer: locations.EnrolmentOffer | None = None) -> ft.Control:
    group = ctx.attempt(locations.group, ctx.token)
    if group is None:
        return ft.Column([heading(ctx.t("nav.locations")), line(ctx.status.value, FAIL_COLOUR)])
    name = field(ctx.t("locations.new_name"), width=320)

    def add(e=None) -> None:
        if ctx.attempt(locations.add_location, ctx.token, name.value or "") is not None:
            ctx.ok(ctx.t("locations.added", name=(name.value or "").strip()))
            ctx.show("locations")

    def enrol(location_id: str) -> None:
        made = ctx.attempt(locations.offer_enrolment, ctx.token, location_id, hq_address(ctx))
        if made is not None:
            ctx.ok(ctx.t("locations.code_made", location=made.location))
            ctx.show("locations", made)

    def revoke(station: StationView) -> None:
        def go() -> None:
            if ctx.run(locations.revoke, ctx.token, station.device_id):
                ctx.ok(ctx.t("locations.revoked", name=station.name or station.device_id))
                ctx.show("locations")
        confirm(ctx, ctx.t("locations.revoke_title", name=station.name or station.device_id),
                ctx.t("locations.revoke_text"), ctx.t("locations.revoke"), go)

    places = [[ft.Text(loc.name, size=16), ft.Text(ctx.num(loc.stations), size=16),
               ft.Text(ctx.t("program.version", version=loc.program_version) if loc.program_version
                       else ctx.t("program.version_none"), size=16),
               ft.TextButton(ctx.t("locations.enrol"), icon=ft.Icons.QR_CODE_2, on_click=lambda e, i=loc.id: enrol(i),
                             tooltip=ctx.t("locations.enrol_for", location=loc.name))]
              for loc in group.locations]
    shown = [offer_card(ctx, offer)] if offer else []
    stations = [station_card(ctx, s, revoke) for s in group.stations] or [line(ctx.t("locations.no_stations"))]
    return ft.Column([
        heading(ctx.t("nav.locations")),
        card(table(ctx, ["location", "stations", "program", "action"], places),
             ft.Row([name, ft.Button(ctx.t("locations.add"), icon=ft.Icons.ADD_BUSINESS, on_click=add,
                                     style=ft.ButtonStyle(bgcolor=ACCENT, color="white"))], spacing=12)),
        *shown,
        heading(ctx.t("locations.stations"), 20),
        *stations,
    ], spacing=12, scroll=ft.ScrollMode.AUTO, expand=True)


def hq_address(ctx: Ctx) -> str:
    """This HQ's address as the browser reached it (what a station at the same network will reach too)."""
    url = ctx.page.url or ""
    return url.split("/console")[0] if "/console" in url else url.rstrip("/")


def offer_card(ctx: Ctx, offer: locations.EnrolmentOffer) -> ft.Control:
    return card(
        heading(ctx.t("locations.code_title", location=offer.location), 18),
        ft.Row([ft.Image(src=qr_png(offer.join_text, box_size=5), width=240, height=240,
                         semantics_label=ctx.t("locations.qr_label")),
                ft.Column([line(ctx.t("locations.code_hint", until=ctx.when(offer.expires_at))),
                           ft.Text(offer.code, size=22, weight=ft.FontWeight.BOLD, selectable=True),
                           line(ctx.t("locations.code_command"), size=14),
                           ft.Text(f"loyalty hq join '{offer.join_text}'", size=14, selectable=True,
                                   font_family="monospace")], spacing=8, expand=True)],
               vertical_alignment=ft.CrossAxisAlignment.START, spacing=16))


def station_card(ctx: Ctx, s: StationView, revoke) -> ft.Control:
    """One station in words: sync, program, queue, clock, software, refused records; revoke."""
    now = time.time()
    title = f"{s.name or s.device_id} · {s.location}"
    if s.status != "active":
        return card(line(title, weight=ft.FontWeight.BOLD),
                    line(ctx.t("locations.revoked_at", when=ctx.when(s.revoked_at)), FAIL_COLOUR))
    lines = [line(ctx.t("locations.last_sync", ago=ctx.ago(now - s.last_seen_at)) if s.last_seen_at
                  else ctx.t("locations.never_synced"), QUIET_COLOUR if s.last_seen_at else WAIT_COLOUR)]
    if s.reported_at is None:
        lines.append(line(ctx.t("locations.no_report"), QUIET_COLOUR))
    else:
        program = ctx.t("locations.program", version=s.program_version) if s.program_version else ctx.t(
            "locations.program_none")
        colour = OK_COLOUR
        if s.behind:
            program += " · " + ctx.t("locations.program_behind", version=s.program_expected)
            colour = WAIT_COLOUR
        if s.program_changed_here:
            program += " · " + ctx.t("locations.program_changed_here")
            colour = WAIT_COLOUR
        lines.append(line(program, colour))
        if s.program_problem:
            lines.append(line(ctx.t("locations.program_problem", problem=s.program_problem), FAIL_COLOUR))
        lines.append(line(ctx.t("locations.queue", count=ctx.num(s.queue_length)) if s.queue_length
                          else ctx.t("locations.queue_empty")))
        skew = round(s.clock_skew_s or 0)
        lines.append(line(ctx.t("locations.clock_off", seconds=ctx.num(abs(skew)),
                                direction=ctx.t("locations.ahead" if skew > 0 else "locations.behind"))
                          if s.skewed else ctx.t("locations.clock_ok"), WAIT_COLOUR if s.skewed else "#222222"))
        lines.append(line(ctx.t("locations.software", software=s.software), QUIET_COLOUR, 14))
        if s.rejected:
            lines.append(line(ctx.t("locations.refused", count=ctx.num(s.rejected)), FAIL_COLOUR,
                              weight=ft.FontWeight.BOLD))
            lines += [line(f"{r.table} {r.record_id[:13]}… · {r.reason} · {ctx.when(r.at)}", FAIL_COLOUR, 14)
                      for r in s.refused]
        if s.set_aside:
            lines.append(line(ctx.t("locations.set_aside", count=ctx.num(s.set_aside)), WAIT_COLOUR))
    lines.append(line(ctx.t("locations.device", device=s.device_id), QUIET_COLOUR, 14))
    return card(ft.Row([line(title, weight=ft.FontWeight.BOLD, expand=True),
                        ft.TextButton(ctx.t("locations.revoke"), icon=ft.Icons.BLOCK, on_click=lambda e: revoke(s),
                                      style=ft.ButtonStyle(color=FAIL_COLOUR),
                                      tooltip=ctx.t("locations.revoke_for", name=s.name or s.device_id))]),
                *lines)
