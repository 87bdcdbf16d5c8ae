"""Privacy (GDPR): export everything about a member (JSON and a readable PDF), consent history, erasure."""
from __future__ import annotations

import json

import flet as ft

from loyalty.services import desk, erase_member, export_member, search
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
            ctx.touch()

            def really(e) -> None:
                ctx.page.pop_dialog()
                if ctx.run(erase_member, member_id, ctx.actor):
                    ctx.ok(ctx.t("gdpr.erased"))
                    detail.controls = []
                    results.controls = []
                ctx.page.update()   # the dialog's handler: push the page, not only the dialog

            ctx.page.show_dialog(ft.AlertDialog(
                modal=True, title=ft.Text(ctx.t("gdpr.erase_title", name=name)),
                content=ft.Text(ctx.t("gdpr.erase_text")),
                actions=[ft.TextButton(ctx.t("cancel"), on_click=lambda e: ctx.page.pop_dialog()),
                         ft.Button(ctx.t("gdpr.erase_confirm"), on_click=really,
                                   style=ft.ButtonStyle(bgcolor="#b71c1c", color="white"))]))

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
    return ft.Column([heading(ctx.t("nav.gdpr")), ft.Text(ctx.t("gdpr.hint")), box, results, detail],
                     spacing=12, scroll=ft.ScrollMode.AUTO, expand=True)
