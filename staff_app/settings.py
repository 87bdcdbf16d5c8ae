"""Settings (manager): the kiosk camera; the program's rules, tiers, catalogue, rewards, and the
compliance profile as a table.

A save goes through `loyalty.services.settings`, validated like the TOML file; it is in force at
once in kiosk and staff app. The whole program can also be edited as TOML (to add items or rewards).
"""
from __future__ import annotations

import flet as ft

from loyalty.compliance import CATEGORIES, REWARD_KINDS
from loyalty.errors import Refused
from loyalty.program_edit import RULES, rule_values
from loyalty.services import current_program
from loyalty.services.cameras import KIOSK_CAMERAS, kiosk_camera, set_kiosk_camera
from loyalty.services.context import require_manager
from loyalty.services.settings import SettingInvalid, compliance_table, program_toml, replace_program, update_settings
from staff_app.ui import ACCENT, FIELD_LABEL, Ctx, card, heading, text_field


def build(ctx: Ctx) -> ft.Control:
    if not ctx.run(require_manager, ctx.actor):
        return ft.Column([heading(ctx.t("nav.settings")), ft.Text(ctx.status.value, color="#b71c1c", size=16)])
    program = current_program()
    fields: dict[str, ft.Control] = {}
    initial: dict[str, str] = {}

    def edit(path: str, value, width: int = 110, label: str | None = None) -> ft.Control:
        text = "" if value is None else (str(value).rstrip("0").rstrip(".") if isinstance(value, float) else str(value))
        if isinstance(value, (list, tuple)):
            text = ", ".join(value)
        label = label or path
        width = max(width, len(label) * 9 + 32)   # the dotted name (16 px) stays on one line above the value
        control = text_field(ctx, value=text, width=width, dense=True, label=label, error_max_lines=3,
                             tooltip=ctx.t("settings.field", field=path))
        fields[path], initial[path] = control, text
        return control

    def choose(path: str, value: str, options: tuple[str, ...], prefix: str) -> ft.Control:
        control = ft.Dropdown(value=value, width=200, dense=True, enable_filter=False, enable_search=False,
                              options=[ft.DropdownOption(key=o, text=ctx.raw(f"{prefix}.{o}")) for o in options])
        fields[path], initial[path] = control, value
        return control

    values = rule_values(program)
    rules = ft.Row([ft.Column([ft.Text(ctx.raw(f"program.rule.{p.split('.')[1]}"), width=190),
                               edit(p, values[p], 150)], spacing=8) for p in RULES], wrap=True, spacing=16,
                   run_spacing=10)

    def table(columns: list[str], rows: list[list[ft.Control]]) -> ft.DataTable:
        return ft.DataTable(columns=[ft.DataColumn(ft.Text(ctx.t(f"settings.col.{c}"), weight=ft.FontWeight.BOLD))
                                     for c in columns],
                            rows=[ft.DataRow(cells=[ft.DataCell(c) for c in r]) for r in rows],
                            data_row_min_height=60, data_row_max_height=110)

    tiers = table(["name", "threshold", "multiplier"],
                  [[ft.Text(ctx.name(t.name)), edit(f"tiers.{t.code}.threshold", t.threshold),
                    edit(f"tiers.{t.code}.multiplier", t.multiplier)] for t in program.tiers])
    catalogue = table(
        ["name", "category", "price_cents", "recall_days"],
        [
            [
                ft.Text(ctx.name(i.name)),
                choose(f"catalogue.{i.code}.category", i.category, CATEGORIES, "category"),
                edit(f"catalogue.{i.code}.price_cents", i.price_cents),
                edit(f"catalogue.{i.code}.recall_days", i.recall_days) if i.recall_days is not None else ft.Text("–"),
            ]
            for i in program.catalogue.values()
        ],
    )
    rewards = table(["name", "kind", "cost", "applies_to"],
                    [[ft.Text(ctx.name(r.name)), ft.Text(ctx.raw(f"kind.{r.kind}")),
                      edit(f"rewards.{r.code}.cost_points", r.cost_points) if r.cost_points is not None
                      else edit(f"rewards.{r.code}.cost_stamps", r.cost_stamps),
                      edit(f"rewards.{r.code}.applies_to", list(r.applies_to), 260) if r.applies_to else ft.Text("–")]
                     for r in program.rewards.values()])

    def refused(exc: Refused) -> None:
        """The message on the status line and, where a field is named, under that field."""
        ctx.fail(exc.message(ctx.lang))
        named = exc.by_field(ctx.lang) if isinstance(exc, SettingInvalid) else (
            {exc.params["field"]: exc.message(ctx.lang)} if "field" in exc.params else {})
        for path, control in fields.items():
            if isinstance(control, ft.Dropdown):
                control.error_text = named.get(path)
            else:
                control.error = named.get(path)

    def save(e) -> None:
        ctx.touch()
        changes = {}
        for path, control in fields.items():
            value = control.value if control.value is not None else ""
            if str(value) != initial[path]:
                changes[path] = str(value)
        try:
            saved = update_settings(changes, ctx.actor)
        except Refused as exc:
            refused(exc)
            return
        if saved:
            ctx.ok(ctx.t("settings.saved", version=saved.version, fields=", ".join(saved.changed)))
            ctx.show("settings")

    toml = text_field(ctx, value=program_toml(), multiline=True, min_lines=12, max_lines=24,
                      label=ctx.t("settings.toml"))

    def save_toml(e) -> None:
        ctx.touch()
        try:
            saved = replace_program(toml.value or "", ctx.actor)
        except Refused as exc:
            refused(exc)
            toml.error = exc.message(ctx.lang)
            return
        if saved:
            ctx.ok(ctx.t("settings.saved_toml", version=saved.version))
            ctx.show("settings")

    save_button = ft.Button(ctx.t("settings.save"), icon=ft.Icons.SAVE, on_click=save,
                            style=ft.ButtonStyle(bgcolor=ACCENT, color="white"))
    return ft.Column([
        ft.Row([heading(ctx.t("nav.settings")), save_button], alignment=ft.MainAxisAlignment.SPACE_BETWEEN),
        camera_choice(ctx),
        ft.Text(ctx.t("settings.hint")),
        card(heading(ctx.t("settings.rules"), 18), rules),
        card(heading(ctx.t("settings.compliance", profile=ctx.name(program.compliance.name)), 18),
             compliance(ctx), ft.Text(ctx.t("settings.legal"), italic=True)),
        card(heading(ctx.t("settings.tiers"), 18), tiers),
        card(heading(ctx.t("settings.catalogue"), 18), catalogue),
        card(heading(ctx.t("settings.rewards"), 18), rewards),
        card(heading(ctx.t("settings.advanced"), 18), toml,
             ft.Button(ctx.t("settings.save_toml"), icon=ft.Icons.SAVE, on_click=save_toml)),
    ], spacing=12, scroll=ft.ScrollMode.AUTO, expand=True)


def compliance(ctx: Ctx) -> ft.Control:
    """Categories down, what is allowed across: earning points, each reward kind, the gift cap."""
    def mark(allowed: bool) -> ft.Control:
        return ft.Text(ctx.t("settings.allowed") if allowed else ctx.t("settings.forbidden"),
                       color="#1b5e20" if allowed else "#b71c1c", weight=ft.FontWeight.BOLD)

    rows = []
    for row in compliance_table():
        cap = ctx.money(row.gift_cap_cents) if row.gift_cap_cents is not None else "–"
        rows.append(
            ft.DataRow(
                cells=[
                    ft.DataCell(ft.Text(ctx.raw(f"category.{row.category}"))),
                    ft.DataCell(mark(row.earns_points)),
                    *[ft.DataCell(mark(row.reward_kinds[k])) for k in REWARD_KINDS if k in ("discount", "free_item")],
                    ft.DataCell(ft.Text(cap)),
                ]
            )
        )
    columns = [ctx.t("settings.col.category"), ctx.t("settings.col.earns"),
               ctx.raw("kind.discount"), ctx.raw("kind.free_item"), ctx.t("settings.col.gift_cap")]
    needs_item = ([ft.Text(ctx.t("settings.needs_item_note"), size=16)]
                  if current_program().compliance.award_needs_item else [])
    return ft.Column([
        ft.DataTable(columns=[ft.DataColumn(ft.Text(c, weight=ft.FontWeight.BOLD)) for c in columns], rows=rows),
        *needs_item, ft.Text(ctx.t("settings.perks_note")),
    ])


def camera_choice(ctx: Ctx) -> ft.Control:
    """Which camera the kiosk tablets read cards with; saved as soon as it is picked."""
    station = ctx.config.camera
    if station is not None:
        return card(heading(ctx.t("settings.kiosk_camera"), 18),
                    ft.Text(ctx.t("settings.kiosk_camera_station", camera=station), size=16))

    def chosen(e) -> None:
        choice = ctx.attempt(set_kiosk_camera, e.control.value, ctx.actor)
        if choice is not None:
            ctx.ok(ctx.t("settings.kiosk_camera_saved", choice=ctx.t(f"settings.camera_{choice}")))

    picker = ft.Dropdown(value=kiosk_camera(), width=360, enable_filter=False, enable_search=False,
                         label=ctx.t("settings.kiosk_camera"), label_style=FIELD_LABEL,
                         tooltip=ctx.t("settings.kiosk_camera"), on_select=chosen,
                         options=[ft.DropdownOption(key=c, text=ctx.t(f"settings.camera_{c}")) for c in KIOSK_CAMERAS])
    return card(heading(ctx.t("settings.kiosk_camera"), 18), ft.Text(ctx.t("settings.kiosk_camera_hint"), size=16),
                picker)

