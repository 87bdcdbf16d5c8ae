"""Program: edit the group's program with the station settings' checks and German-law refusals, see
the difference to what runs at the chosen locations, publish to all or some locations, roll back.

Edits start from the newest version (or a shipped template when HQ has published none). "Check"
validates and lists the differences; "Publish" sends the checked text. Stations take it at their
next sync; the Locations screen shows which version each runs.
"""
from __future__ import annotations

import flet as ft

from console.ui import ACCENT, FAIL_COLOUR, QUIET_COLOUR, Ctx, card, confirm, field, heading, line, table
from loyalty.errors import Refused
from loyalty.program import parse_program
from loyalty.program_edit import RULES, SettingInvalid, rule_values
from sync.hq import programs


def build(ctx: Ctx, draft: programs.Draft | None = None) -> ft.Control:
    state = ctx.attempt(programs.overview, ctx.token)
    if state is None:
        return ft.Column([heading(ctx.t("nav.program")), line(ctx.status.value, FAIL_COLOUR)])
    templates = programs.templates()
    base = {"text": draft.text if draft else (state.newest_text or templates["clinic-de"])}
    fields: dict[str, ft.TextField] = {}
    chosen = {loc.location_id: ft.Checkbox(label=f"{loc.name} ({_version(ctx, loc.version)})", value=True,
                                           label_style=ft.TextStyle(size=16))
              for loc in state.locations}
    every = ft.Checkbox(label=ctx.t("program.all_locations"), value=True, label_style=ft.TextStyle(size=16))
    result = ft.Column(spacing=8)
    note = field(ctx.t("program.note"), width=520)
    program = parse_program(base["text"])

    def edit(path: str, value) -> ft.TextField:
        text = "" if value is None else (f"{value:g}" if isinstance(value, float) else
                                         ", ".join(value) if isinstance(value, (list, tuple)) else str(value))
        control = field(path, value=text, width=max(150, len(path) * 8 + 30), dense=True,
                        tooltip=ctx.t("program.field", field=path))
        control.data = text
        fields[path] = control
        return control

    values = rule_values(program)
    profile = edit("program.compliance_profile", program.compliance.code)
    rules = ft.Row([ft.Column([ft.Text(ctx.raw(f"program.rule.{p.split('.')[1]}"), size=16, width=200),
                               edit(p, values[p])], spacing=6) for p in RULES], wrap=True, spacing=16, run_spacing=10)
    tiers = [[ft.Text(ctx.name(t.name), size=16), edit(f"tiers.{t.code}.threshold", t.threshold),
              edit(f"tiers.{t.code}.multiplier", t.multiplier)] for t in program.tiers]
    catalogue = [[ft.Text(ctx.name(i.name), size=16), ft.Text(ctx.raw(f"category.{i.category}"), size=16),
                  edit(f"catalogue.{i.code}.price_cents", i.price_cents),
                  edit(f"catalogue.{i.code}.recall_days", i.recall_days) if i.recall_days is not None else ft.Text("–"),
                  ft.Row([edit(f"catalogue.{i.code}.aftercare.{step}", day) for step, day in i.aftercare.items()],
                         wrap=True) if i.aftercare else ft.Text("–")]
                 for i in program.catalogue.values()]
    rewards = [[ft.Text(ctx.name(r.name), size=16), ft.Text(ctx.raw(f"kind.{r.kind}"), size=16),
                edit(f"rewards.{r.code}.cost_points", r.cost_points) if r.cost_points is not None
                else edit(f"rewards.{r.code}.cost_stamps", r.cost_stamps),
                edit(f"rewards.{r.code}.applies_to", list(r.applies_to)) if r.applies_to else ft.Text("–")]
               for r in program.rewards.values()]
    plans = [[ft.Text(ctx.name(p.name), size=16), edit(f"plans.{p.code}.price_cents", p.price_cents),
              edit(f"plans.{p.code}.period_months", p.period_months)] for p in program.plans.values()]
    whole = field(ctx.t("program.toml"), value=base["text"], multiline=True, min_lines=10, max_lines=20, text_size=14)

    def targets() -> list[str] | None:
        return None if every.value else [key for key, box in chosen.items() if box.value]

    def refused(exc: Refused) -> None:
        ctx.fail(exc.message(ctx.lang))
        named = exc.by_field(ctx.lang) if isinstance(exc, SettingInvalid) else (
            {exc.params["field"]: exc.message(ctx.lang)} if "field" in exc.params else {})
        for path, control in fields.items():
            control.error = named.get(path)
        result.controls = [line(exc.message(ctx.lang), FAIL_COLOUR)]

    def check(e=None, as_typed: bool = False) -> programs.Draft | None:
        changes = {p: c.value or "" for p, c in fields.items() if (c.value or "") != c.data}
        for control in fields.values():
            control.error = None
        made = ctx.attempt(programs.check_draft, ctx.token, base["text"], changes, targets(),
                           whole.value if as_typed else None)
        if made is None:
            refused(ctx.refusal)
            return None
        show(made)
        return made

    def show(made: programs.Draft) -> None:
        rows = []
        for version, changes in made.against.items():
            where = ", ".join(made.locations[version])
            words = ctx.t("program.against", version=_version(ctx, version), where=where) if version else ctx.t(
                "program.against_start", where=where)
            rows.append(line(words, size=16, weight=ft.FontWeight.BOLD))
            rows += [line(f"{c.field}: {_value(c.before)} → {_value(c.after)}", size=16) for c in changes] or [
                line(ctx.t("program.same"), QUIET_COLOUR)]
        result.controls = [line(ctx.t("program.valid"), "#1b5e20", weight=ft.FontWeight.BOLD), *rows]
        ctx.ok(ctx.t("program.checked"))

    def publish(e=None, as_typed: bool = False) -> None:
        made = check(as_typed=as_typed)
        if made is None:
            return
        where = ctx.t("program.all_locations") if targets() is None else ", ".join(
            n for names in made.locations.values() for n in names)

        def go() -> None:
            version = ctx.attempt(programs.publish, ctx.token, made.text, targets(), note.value or "")
            if version is not None:
                ctx.ok(ctx.t("program.published", version=version, where=where))
                ctx.show("program")
        confirm(ctx, ctx.t("program.publish_title"), ctx.t("program.publish_text", where=where),
                ctx.t("program.publish"), go, danger=False)

    def rollback(version: int) -> None:
        where = ctx.t("program.all_locations") if targets() is None else ctx.t("program.chosen_locations")

        def go() -> None:
            made = ctx.attempt(programs.rollback, ctx.token, version, targets())
            if made is not None:
                ctx.ok(ctx.t("program.rolled_back", version=made, to=version, where=where))
                ctx.show("program")
        confirm(ctx, ctx.t("program.rollback_title", version=version), ctx.t("program.rollback_text", where=where),
                ctx.t("program.rollback"), go, danger=False)

    history = [[ft.Text(str(v.version), size=16), ft.Text(ctx.when(v.created_at), size=16),
                ft.Text(v.admin_email or ctx.t("program.command_line"), size=16),
                ft.Text(", ".join(v.locations) if v.locations else ctx.t("program.all_locations"), size=16),
                ft.Text(ctx.t("program.repeats", version=v.repeats) if v.repeats else v.note, size=16),
                ft.TextButton(ctx.t("program.rollback"), icon=ft.Icons.HISTORY,
                              on_click=lambda e, n=v.version: rollback(n),
                              tooltip=ctx.t("program.rollback_to", version=v.version))
                if i else ft.Text(ctx.t("program.newest"), size=16, italic=True)]
               for i, v in enumerate(state.versions)]
    start = [] if state.versions else [line(ctx.t("program.no_version"), QUIET_COLOUR)]
    buttons = ft.Row([ft.Button(ctx.t("program.check"), icon=ft.Icons.RULE, on_click=check),
                      ft.Button(ctx.t("program.publish"), icon=ft.Icons.PUBLISH, on_click=publish,
                                style=ft.ButtonStyle(bgcolor=ACCENT, color="white"))], spacing=12)
    return ft.Column([
        heading(ctx.t("nav.program")), line(ctx.t("program.hint"), size=15), *start,
        card(heading(ctx.t("program.where"), 18), every, ft.Row(list(chosen.values()), wrap=True),
             line(ctx.t("program.where_hint"), size=14)),
        card(heading(ctx.t("program.rules"), 18), ft.Row([profile], wrap=True), rules),
        card(heading(ctx.t("program.tiers"), 18), table(ctx, ["name", "threshold", "multiplier"], tiers)),
        card(heading(ctx.t("program.catalogue"), 18),
             table(ctx, ["name", "category", "price_cents", "recall_days", "aftercare"], catalogue)),
        card(heading(ctx.t("program.rewards"), 18), table(ctx, ["name", "kind", "cost", "applies_to"], rewards)),
        card(heading(ctx.t("program.plans"), 18), table(ctx, ["name", "price_cents", "period_months"], plans)),
        card(note, buttons, result),
        card(heading(ctx.t("program.advanced"), 18), whole,
             ft.Row([ft.Button(ctx.t("program.check_toml"), on_click=lambda e: check(as_typed=True)),
                     ft.Button(ctx.t("program.publish_toml"), on_click=lambda e: publish(as_typed=True))], spacing=12)),
        card(heading(ctx.t("program.history"), 18),
             table(ctx, ["version", "published", "by", "locations", "note", "action"], history)),
    ], spacing=12, scroll=ft.ScrollMode.AUTO, expand=True)


def _version(ctx: Ctx, version: int | None) -> str:
    return ctx.t("program.version", version=version) if version else ctx.t("program.version_none")


def _value(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)
