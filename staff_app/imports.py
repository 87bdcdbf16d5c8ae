"""Import opening balances from an older system's CSV (manager): check first, then all or nothing."""
from __future__ import annotations

import flet as ft

from loyalty.services import import_balances
from loyalty.services.imports import COLUMNS
from staff_app.ui import ACCENT, Ctx, card, heading, text_field


def build(ctx: Ctx) -> ft.Control:
    text = text_field(ctx, label=ctx.t("import.paste"), multiline=True, min_lines=8, max_lines=14,
                      hint_text=",".join(COLUMNS))
    report = ft.Column(spacing=4)
    run = ft.Button(ctx.t("import.run"), icon=ft.Icons.UPLOAD, disabled=True,   # grey until a check passed
                    style=ft.ButtonStyle(bgcolor={ft.ControlState.DISABLED: "#dfe4e6", ft.ControlState.DEFAULT: ACCENT},
                                         color={ft.ControlState.DISABLED: "#6b7378", ft.ControlState.DEFAULT: "white"}))

    def check(e=None) -> None:
        result = ctx.attempt(import_balances, text.value or "", ctx.actor, dry_run=True)
        run.disabled = True
        if result is None:
            return
        if result.ok:
            key = "import.preview_ok_one" if result.rows == 1 else "import.preview_ok"
            report.controls = [ft.Text(ctx.t(key, rows=result.rows, points=ctx.num(result.points)),
                                       size=16, color="#1b5e20")]
            run.disabled = False
            ctx.ok(ctx.t("import.checked"))
        else:
            key = "import.preview_errors_one" if len(result.errors) == 1 else "import.preview_errors"
            report.controls = [ft.Text(ctx.t(key, count=len(result.errors)), size=16,
                                       color="#b71c1c")] + [
                ft.Text(ctx.t("import.row_error", row=err.row, message=err.text(ctx.lang)))
                for err in result.errors]
            ctx.fail(ctx.t("import.nothing_written"))

    def go(e) -> None:
        result = ctx.attempt(import_balances, text.value or "", ctx.actor)
        if result is None:
            return
        run.disabled = True
        if result.ok:
            report.controls = []
            ctx.ok(ctx.t("import.done", created=result.created, matched=result.matched, points=ctx.num(result.points)))
        else:
            check()

    def changed(e) -> None:
        run.disabled = True
        report.controls = []

    text.on_change = changed
    run.on_click = go
    return ft.Column([
        heading(ctx.t("nav.import")), ft.Text(ctx.t("import.hint", columns=", ".join(COLUMNS))),
        card(text, ft.Row([ft.Button(ctx.t("import.check"), icon=ft.Icons.FACT_CHECK, on_click=check), run]), report),
    ], spacing=12, scroll=ft.ScrollMode.AUTO, expand=True)
