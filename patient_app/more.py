"""The member's data (privacy), notifications, signed-in devices (each can be signed out), signing out."""
from __future__ import annotations

import flet as ft

from patient_app import privacy
from patient_app.ui import MUTED, SMALL, Ctx, body, heading, panel, secondary
from sync.hq.patients import push, signin


async def build(ctx: Ctx) -> ft.Control:
    devices = await ctx.call(signin.sessions, ctx.member_id, ctx.session_id) or []
    rows = []
    for device in devices:
        agent = device_name(device.agent)
        line = body(ctx.t("more.device_line", agent=agent, since=ctx.date(device.created_at),
                          used=ctx.date(device.last_seen_at)), SMALL, color=MUTED)
        if device.current:
            rows.append(ft.Column([body(ctx.t("more.this_device"), weight=ft.FontWeight.W_600), line], spacing=2))
            continue

        async def revoke(e, session_id=device.session_id) -> None:
            ctx.clear()
            if await ctx.call(signin.revoke, ctx.member_id, session_id) is None and not ctx.status.value:
                ctx.ok(ctx.t("more.signed_out_device"))
            ctx.show("more")

        rows.append(ft.Column([body(agent, weight=ft.FontWeight.W_600), line,
                               secondary(ctx, ctx.t("more.sign_out_device", agent=agent), revoke,
                                         icon=ft.Icons.LOGOUT)], spacing=2))
    on_device = await ctx.call(push.subscribed, ctx.member_id, ctx.session_id)

    async def switch_off(e) -> None:
        await ctx.call(push.unsubscribe, ctx.member_id, ctx.session_id)
        ctx.show("more")

    if on_device:
        notifications = [body(ctx.t("more.push_on")),
                         secondary(ctx, ctx.t("more.push_switch_off"), switch_off, icon=ft.Icons.NOTIFICATIONS_OFF)]
    else:
        enable = secondary(ctx, ctx.t("more.push_switch_on"), None, icon=ft.Icons.NOTIFICATIONS_ACTIVE)
        enable.url = ft.Url("push.html", ft.UrlTarget.SELF)       # the same window: the installed app stays one
        notifications = [body(ctx.t("more.push_hint")), enable]
    return ft.Column([
        heading(ctx, ctx.t("more.title")),
        *await privacy.panels(ctx),
        panel(heading(ctx, ctx.t("more.push_title"), 20), *notifications),
        panel(heading(ctx, ctx.t("more.devices"), 20), *rows),
        secondary(ctx, ctx.t("more.sign_out"), lambda e: ctx.page.run_task(ctx.signed_out), icon=ft.Icons.LOGOUT),
    ], spacing=16, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)


def device_name(agent: str) -> str:
    """"Chrome on Android" from a user agent, in words a patient recognises (names are the same in German)."""
    text = agent or ""
    browser = next((name for key, name in (("Edg/", "Edge"), ("Firefox/", "Firefox"), ("SamsungBrowser", "Samsung"),
                                           ("Chrome/", "Chrome"), ("Safari/", "Safari")) if key in text), "Browser")
    system = next((name for key, name in (("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"),
                                          ("Windows", "Windows"), ("Mac OS", "Mac"), ("Linux", "Linux"))
                   if key in text), "")
    return f"{browser} · {system}" if system else browser
