"""Privacy (GDPR): export everything about a member (JSON and a readable PDF), consent history, erasure."""
from __future__ import annotations

import json

import flet as ft

from loyalty.services import desk, erase_member, export_member, search
from loyalty.services.erasure_requests import confirm_erasure_request, decline_erasure_request, erasure_requests
from staff_app import downloads
from staff_app.export_pdf import export_pdf
from staff_app.live_search import LiveSearch
from staff_app.ui import Ctx, card, consent_line, heading, text_field


def build(ctx: Ctx) -> ft.Control:
    results = ft.Column(spacing=6)
    detail = ft.Column(spacing=10)

    def show(query: str, found: list) -> None:
        results.controls = [ft.TextButton(f"{m.first_name} {m.last_name or ''} · {m.email or m.phone or ''}",
                                          on_click=lambda e, m=m: choose(m.member_id))
                            for m in found]

    live = LiveSearch(lambda query: search(query, limit=8), show)

    async def find(e) -> None:
        ctx.touch()
        await live.typed(e.control.value or "")

    def choose(member_id: str) -> None:
        ctx.touch()
        profile = desk.member_profile(member_id)
        name = f"{profile.first_name} {profile.last_name or ''}".strip()
        links = ft.Column(spacing=6)

        def export(e) -> None:
            data = ctx.attempt(export_member, member_id, ctx.actor)
            if data is None:
                return
            as_json = downloads.offer(json.dumps(data, ensure_ascii=False, indent=2, default=str).encode("utf-8"),
                                      "member-export.json", "application/json")
            as_pdf = downloads.offer(export_pdf(data, ctx.lang), "member-export.pdf", "application/pdf")
            links.controls = [ft.Row([
                ft.Button(ctx.t("gdpr.download_json"), icon=ft.Icons.DOWNLOAD, url=as_json),
                ft.Button(ctx.t("gdpr.download_pdf"), icon=ft.Icons.PICTURE_AS_PDF, url=as_pdf),
            ], wrap=True, spacing=12)]
            ctx.ok(ctx.t("gdpr.exported", name=name))

        def confirm_erase(e) -> None:
            def erased() -> None:
                detail.controls = []
                results.controls = []
            confirm_erasure(ctx, name, erase_member, member_id, erased)

        history = [ft.Text(consent_line(ctx, c))
                   for c in desk.consent_history(member_id)]
        detail.controls = [
            card(heading(name, 20), ft.Text(" · ".join(x for x in (profile.email, profile.phone) if x)),
                 ft.Text(ctx.t("gdpr.consents"), size=16, weight=ft.FontWeight.BOLD), *history),
            card(ft.Row([ft.Button(ctx.t("gdpr.export"), icon=ft.Icons.FILE_DOWNLOAD, on_click=export),
                         ft.Button(ctx.t("gdpr.erase"), icon=ft.Icons.DELETE_FOREVER, on_click=confirm_erase,
                                   style=ft.ButtonStyle(color="#b71c1c"))], spacing=16),
                 links, *([] if ctx.actor.role == "manager"   # the hint is for whoever may not erase
                          else [ft.Text(ctx.t("gdpr.erase_hint"), italic=True)])),
        ]

    box = text_field(ctx, label=ctx.t("gdpr.search"), on_change=find, width=480)
    return ft.Column([heading(ctx.t("nav.gdpr")), *requests_card(ctx), ft.Text(ctx.t("gdpr.hint")), box,
                      results, detail], spacing=12, scroll=ft.ScrollMode.AUTO, expand=True)


def confirm_erasure(ctx: Ctx, name: str, erase, target: str, done) -> None:
    """Ask once more before an erasure: it cannot be undone."""
    ctx.touch()

    def really(e) -> None:
        ctx.page.pop_dialog()
        if ctx.run(erase, target, ctx.actor):
            ctx.ok(ctx.t("gdpr.erased"))
            done()
        ctx.page.update()   # the dialog's handler: push the page, not only the dialog

    ctx.page.show_dialog(ft.AlertDialog(
        modal=True, title=ft.Text(ctx.t("gdpr.erase_title", name=name)),
        content=ft.Text(ctx.t("gdpr.erase_text")),
        actions=[ft.TextButton(ctx.t("cancel"), on_click=lambda e: ctx.page.pop_dialog()),
                 ft.Button(ctx.t("gdpr.erase_confirm"), on_click=really,
                           style=ft.ButtonStyle(bgcolor="#b71c1c", color="white"))]))


def requests_card(ctx: Ctx) -> list[ft.Control]:
    """Erasure requests from the patients' app, for the manager to confirm or decline."""
    waiting = erasure_requests()
    if not waiting:
        return []
    manager = ctx.actor.role == "manager"
    lines = []
    for request in waiting:
        name = f"{request.first_name} {request.last_name or ''}".strip()

        def confirm(e, request=request, name=name) -> None:
            confirm_erasure(ctx, name, confirm_erasure_request, request.request_id, lambda: ctx.show("gdpr"))

        def decline(e, request=request, name=name) -> None:
            if ctx.run(decline_erasure_request, request.request_id, ctx.actor):
                ctx.ok(ctx.t("gdpr.request_declined", name=name))
                ctx.show("gdpr")

        actions = [ft.Button(ctx.t("gdpr.request_confirm", name=name), icon=ft.Icons.DELETE_FOREVER, on_click=confirm,
                             style=ft.ButtonStyle(color="#b71c1c")),
                   ft.TextButton(ctx.t("gdpr.request_decline", name=name), on_click=decline)] if manager else []
        lines.append(ft.Column([
            ft.Text(f"{name} · {request.email or request.phone or ''}", size=16, weight=ft.FontWeight.BOLD),
            ft.Text(ctx.t("gdpr.requested_at", when=ctx.when(request.requested_at))),
            ft.Row(actions, wrap=True, spacing=8)], spacing=4))
    hint = [] if manager else [ft.Text(ctx.t("gdpr.erase_hint"), italic=True)]
    return [card(heading(ctx.t("gdpr.requests_title"), 18), *lines, *hint)]
