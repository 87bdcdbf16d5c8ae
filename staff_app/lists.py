"""The manager's lists: recall due, at risk, birthdays this month, negative balances; each as CSV."""
from __future__ import annotations

import flet as ft

from loyalty.services import insights
from loyalty.services.context import require_manager
from staff_app import downloads
from staff_app.ui import Ctx, heading

LISTS = (("recall_due", insights.recall_due), ("at_risk", insights.at_risk),
         ("birthdays", insights.birthdays_this_month), ("negative_balances", insights.negative_balances))


def build(ctx: Ctx) -> ft.Control:
    if not ctx.run(require_manager, ctx.actor):
        return ft.Column([heading(ctx.t("nav.lists")), ft.Text(ctx.status.value, color="#b71c1c", size=16)])
    holder = ft.Column(spacing=10, expand=True, scroll=ft.ScrollMode.AUTO)
    chosen = {"key": "recall_due"}

    def show(key: str) -> None:
        ctx.touch()
        chosen["key"] = key
        rows = dict(LISTS)[key]()
        link = downloads.offer(insights.to_csv(rows, ctx.lang).encode("utf-8"), f"{key}.csv", "text/csv")
        holder.controls = [
            ft.Row([ft.Text(ctx.t("lists.count", name=ctx.raw(f"insights.list.{key}"), count=len(rows)), size=17,
                            weight=ft.FontWeight.BOLD),
                    ft.Button(ctx.t("lists.csv"), icon=ft.Icons.DOWNLOAD, url=link)], wrap=True, spacing=12),
            table(ctx, key, rows),
        ]
        buttons.controls = tabs()

    def tabs() -> list[ft.Control]:
        return [(ft.FilledButton if key == chosen["key"] else ft.OutlinedButton)(
                    ctx.raw(f"insights.list.{key}"), on_click=lambda e, k=key: show(k)) for key, _ in LISTS]

    buttons = ft.Row(tabs(), wrap=True, spacing=8)
    show("recall_due")
    return ft.Column([heading(ctx.t("nav.lists")), buttons, holder], spacing=12, expand=True)


def table(ctx: Ctx, key: str, rows) -> ft.Control:
    if not rows:
        return ft.Text(ctx.t("lists.empty"), italic=True)
    columns = ["name", "contact", "when"]
    if key == "recall_due":
        columns += ["item", "days"]
    elif key == "at_risk":
        columns += ["days"]
    elif key == "negative_balances":
        columns += ["points"]

    def cell(row, column: str) -> str:
        if column == "name":
            return f"{row.first_name} {row.last_name or ''}".strip()
        if column == "contact":
            return row.email or row.phone or ""
        if column == "when":
            return ctx.date(row.when) if row.when else ""
        if column == "item":
            return ctx.item_name(row.item_code)
        value = getattr(row, column)
        return "" if value is None else ctx.num(value)

    return ft.DataTable(
        columns=[ft.DataColumn(ft.Text(ctx.t(f"lists.col_{key}_{c}" if c in ("when", "days") else f"lists.col_{c}"),
                                       weight=ft.FontWeight.BOLD)) for c in columns],
        rows=[ft.DataRow(cells=[ft.DataCell(ft.Text(cell(r, c))) for c in columns],
                         on_select_change=lambda e, m=r.member_id: ctx.open("member", m))
              for r in rows[:300]])
