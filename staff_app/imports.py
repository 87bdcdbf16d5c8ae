"""Import opening balances from an older system's CSV (manager): check first, then all or nothing.

The check runs the import without writing, so it shows the figures the import will write; a
re-import of the same file writes nothing, and the signup bonus is off unless ticked here.
"""
from __future__ import annotations

import flet as ft

from loyalty.services import current_program, import_balances
from loyalty.services.imports import COLUMNS
from staff_app.ui import ACCENT, Ctx, card, heading, text_field


def build(ctx: Ctx) -> ft.Control:
    text = text_field(ctx, label=ctx.t("import.paste"), multiline=True, min_lines=8, max_lines=14,
                      hint_text=",".join(COLUMNS))
    bonus_points = current_program().signup_bonus
    bonus = ft.Checkbox(label=ctx.t("import.signup_bonus", points=ctx.num(bonus_points)), value=False,
                        visible=bonus_points > 0, label_style=ft.TextStyle(size=16))
    report = ft.Column(spacing=4)
    run = ft.Button(ctx.t("import.run"), icon=ft.Icons.UPLOAD, disabled=True,   # grey until a check passed
                    style=ft.ButtonStyle(bgcolor={ft.ControlState.DISABLED: "#dfe4e6", ft.ControlState.DEFAULT: ACCENT},
                                         color={ft.ControlState.DISABLED: "#6b7378", ft.ControlState.DEFAULT: "white"}))

    def check(e=None) -> None:
        result = ctx.attempt(import_balances, text.value or "", ctx.actor, dry_run=True,
                             signup_bonus=bool(bonus.value))
        run.disabled = True
        if result is None:
            return
        if result.ok:
            report.controls = [ft.Text(result.summary(ctx.lang, dry_run=True), size=16, color="#1b5e20")]
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
        result = ctx.attempt(import_balances, text.value or "", ctx.actor, signup_bonus=bool(bonus.value))
        if result is None:
            return
        run.disabled = True
        if result.ok:
            report.controls = []
            ctx.ok(result.summary(ctx.lang))
        else:
            check()

    def changed(e) -> None:
        run.disabled = True
        report.controls = []

    text.on_change = changed
    bonus.on_change = changed     # the figures of the check no longer hold
    run.on_click = go
    return ft.Column([
        heading(ctx.t("nav.import")), ft.Text(ctx.t("import.hint", columns=", ".join(COLUMNS))),
        card(text, bonus, ft.Row([ft.Button(ctx.t("import.check"), icon=ft.Icons.FACT_CHECK, on_click=check), run]),
             report),
    ], spacing=12, scroll=ft.ScrollMode.AUTO, expand=True)
