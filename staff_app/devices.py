"""Devices (manager): add a tablet with a one-time QR code, see paired tablets, revoke one.

The QR code holds the station's pairing link (`loyalty.services.network.station_link`), the same
link `loyalty run` serves; the screen watches the offer and says when the tablet has paired.
"""
from __future__ import annotations

import asyncio

import flet as ft

from loyalty.services import devices, network, qr_png
from staff_app.ui import ACCENT, Choice, Ctx, card, heading, text_field

WATCH_SECONDS = 1.0


def build(ctx: Ctx) -> ft.Control:
    listed = ctx.attempt(devices.list_devices, ctx.actor)    # the manager check, with the refusal in words
    if listed is None:
        return ft.Column([heading(ctx.t("nav.devices")), ft.Text(ctx.status.value, color="#b71c1c", size=16)])
    link = network.station_link(ctx.config)
    return ft.Column([heading(ctx.t("nav.devices")), adding(ctx, link), device_list(ctx, listed)],
                     spacing=12, scroll=ft.ScrollMode.AUTO, expand=True)


def adding(ctx: Ctx, link: network.StationLink) -> ft.Control:
    if not link.serving or link.address is None:
        return card(ft.Text(ctx.t("devices.not_serving_title"), size=18, weight=ft.FontWeight.BOLD),
                    ft.Text(ctx.t("devices.not_serving"), size=16))
    name = text_field(ctx, label=ctx.t("devices.name"), hint_text=ctx.t("devices.name_hint"), width=320)
    role = Choice(ctx.t("devices.role"), [(r, ctx.t(f"devices.role_{r}")) for r in devices.DEVICE_ROLES])
    shown = ft.Column(spacing=10)

    def add(e) -> None:
        offer = ctx.attempt(devices.offer_pairing, role.value or "", name.value or "", ctx.actor)
        if offer is None:
            return
        url = link.pairing_url(offer.code)
        shown.controls = [
            ft.Text(ctx.t("devices.scan", name=offer.name, role=ctx.t(f"devices.role_{offer.role}")), size=18,
                    weight=ft.FontWeight.BOLD),
            ft.Row([
                ft.Image(src=qr_png(url, box_size=8), width=300, height=300, semantics_label=ctx.t("devices.qr")),
                ft.Column([
                    ft.Text(ctx.t("devices.steps"), size=16),
                    ft.Text(ctx.t("devices.valid_until", when=ctx.when(offer.expires_at)), size=16),
                    ft.Text(ctx.t("devices.or_type"), size=16),
                    ft.Text(url, size=16, weight=ft.FontWeight.W_500),
                    *([ft.Text(ctx.t("devices.fingerprint"), size=16),
                       ft.Text(link.fingerprint, size=16, font_family="monospace")]
                      if link.fingerprint else []),
                ], spacing=8, expand=True),
            ], vertical_alignment=ft.CrossAxisAlignment.START, spacing=20),
        ]
        ctx.ok(ctx.t("devices.offered", name=offer.name))
        ctx.page.run_task(watch, offer)

    async def watch(offer: devices.Offer) -> None:
        """Until the tablet has paired or the code has expired; then the list shows it."""
        while shown.controls:
            await asyncio.sleep(WATCH_SECONDS)
            if ctx.screen != "devices" or ctx.actor is None:     # another screen, or signed out
                return
            if await asyncio.to_thread(devices.open_offer, offer.code) is None:
                if await asyncio.to_thread(devices.offer_paired, offer.code):
                    ctx.ok(ctx.t("devices.paired", name=offer.name))
                else:
                    ctx.fail(ctx.t("devices.expired"))
                ctx.show("devices")
                ctx.page.update()
                return

    return card(ft.Text(ctx.t("devices.add_title"), size=18, weight=ft.FontWeight.BOLD),
                ft.Text(ctx.t("devices.add_hint"), size=16),
                ft.Row([name, role], wrap=True, spacing=16, vertical_alignment=ft.CrossAxisAlignment.END),
                ft.Button(ctx.t("devices.add"), icon=ft.Icons.QR_CODE_2, on_click=add,
                          style=ft.ButtonStyle(bgcolor=ACCENT, color="white")),
                shown)


def device_list(ctx: Ctx, listed: list[devices.DeviceInfo]) -> ft.Control:
    def confirm(device: devices.DeviceInfo) -> None:
        ctx.touch()

        def really(e) -> None:
            ctx.page.pop_dialog()
            if ctx.attempt(devices.revoke_device, device.device_id, ctx.actor):
                ctx.ok(ctx.t("devices.revoked", name=device.name))
                ctx.show("devices")
            ctx.page.update()

        ctx.page.show_dialog(ft.AlertDialog(
            modal=True, title=ft.Text(ctx.t("devices.revoke_title", name=device.name)),
            content=ft.Text(ctx.t("devices.revoke_text"), size=16),
            actions=[ft.TextButton(ctx.t("cancel"), on_click=lambda e: ctx.page.pop_dialog()),
                     ft.Button(ctx.t("devices.revoke_confirm"), on_click=really,
                               style=ft.ButtonStyle(bgcolor="#b71c1c", color="white"))]))

    def row(d: devices.DeviceInfo) -> ft.Control:
        seen = ctx.when(d.last_seen_at) if d.last_seen_at else ctx.t("devices.never")
        state = (ctx.t("devices.active") if d.active else ctx.t("devices.revoked_at", when=ctx.when(d.revoked_at)))
        controls = [ft.Text(d.name, size=16, weight=ft.FontWeight.BOLD, width=180),
                    ft.Text(ctx.t(f"devices.role_{d.role}"), size=16, width=190),
                    ft.Text(ctx.t("devices.last_seen", when=seen), size=16, width=260),
                    ft.Text(state, size=16, width=200, color=None if d.active else "#666666")]
        if d.active:
            controls.append(ft.TextButton(ctx.t("devices.revoke_named", name=d.name),
                                          on_click=lambda e, d=d: confirm(d)))
        return ft.Row(controls, spacing=8, wrap=True)

    lines = [row(d) for d in listed] or [ft.Text(ctx.t("devices.none"), size=16, italic=True)]
    return card(ft.Text(ctx.t("devices.list_title"), size=18, weight=ft.FontWeight.BOLD), *lines)
