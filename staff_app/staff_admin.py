"""Staff administration (manager): add, change role, reset PIN, deactivate; the audit log with filters."""
from __future__ import annotations

from datetime import timedelta

import flet as ft

from loyalty import clock
from loyalty.services import audit_log, change_role, create_staff, deactivate, list_staff, reset_pin
from loyalty.services.context import ROLES
from staff_app.ui import ACCENT, FIELD_LABEL, Ctx, card, heading, text_field

ACTIONS = ("sign_in", "sign_in_failed", "award", "treatment", "redeem", "refund", "undo", "adjust", "enroll",
           "reissue", "export", "erase", "import", "program_change", "staff_create", "staff_role",
           "staff_pin_reset", "staff_deactivate", "consent", "profile", "join_plan", "use_benefit", "cancel_plan",
           "feedback", "follow_up_closed", "message_checked", "recall_override", "flag_resolved", "device_offer",
           "device_paired", "device_revoke", "kiosk_camera")


def build(ctx: Ctx) -> ft.Control:
    rows = ctx.attempt(audit_log, ctx.actor, limit=1)   # the manager check, with the refusal in words
    if rows is None:
        return ft.Column([heading(ctx.t("nav.staff")), ft.Text(ctx.status.value, color="#b71c1c", size=16)])
    return ft.Column([heading(ctx.t("nav.staff")), ft.Row([team(ctx), log(ctx)], spacing=16,
                                                          vertical_alignment=ft.CrossAxisAlignment.START)],
                     spacing=12, scroll=ft.ScrollMode.AUTO, expand=True)


def team(ctx: Ctx) -> ft.Control:
    name = text_field(ctx, label=ctx.t("team.name"), width=200)
    role = ft.Dropdown(label=ctx.t("team.role"), label_style=FIELD_LABEL, width=170, value="receptionist",
                       enable_filter=False,
                       enable_search=False,
                       options=[ft.DropdownOption(key=r, text=ctx.t(f"role.{r}")) for r in ROLES])
    pin = text_field(ctx, label=ctx.t("team.pin"), width=120, password=True)

    def add(e) -> None:
        made = ctx.attempt(create_staff, name.value or "", role.value or "", pin.value or "", ctx.actor)
        if made:
            ctx.ok(ctx.t("team.added", name=made.name, role=ctx.t(f"role.{made.role}")))
            ctx.show("staff")

    def row(s) -> ft.Control:
        new_pin = text_field(ctx, label=ctx.t("team.new_pin_for", name=s.name), width=200, password=True)

        def set_role(r: str) -> None:
            if ctx.attempt(change_role, s.staff_id, r, ctx.actor):
                ctx.ok(ctx.t("team.role_changed", name=s.name, role=ctx.t(f"role.{r}")))
                ctx.show("staff")

        def set_pin(e) -> None:
            if ctx.attempt(reset_pin, s.staff_id, new_pin.value or "", ctx.actor):
                ctx.ok(ctx.t("team.pin_reset", name=s.name))
                ctx.show("staff")

        def off(e) -> None:
            if ctx.attempt(deactivate, s.staff_id, ctx.actor):
                ctx.ok(ctx.t("team.deactivated", name=s.name))
                ctx.show("staff")

        state = ctx.t("team.active") if s.active else ctx.t("team.inactive")
        if s.locked_until and s.locked_until > clock.now():
            state = ctx.t("team.locked_until", when=ctx.when(s.locked_until))
        other = "manager" if s.role == "receptionist" else "receptionist"
        controls = [ft.Text(s.name, size=16, weight=ft.FontWeight.BOLD, width=150),
                    ft.Text(ctx.t(f"role.{s.role}"), width=90), ft.Text(state, width=150)]
        if s.active:
            controls += [
                ft.TextButton(ctx.t(f"team.make_{other}_named", name=s.name), on_click=lambda e: set_role(other)),
                new_pin,
                ft.TextButton(ctx.t("team.reset_pin_named", name=s.name), on_click=set_pin),
                ft.TextButton(ctx.t("team.deactivate_named", name=s.name), on_click=off),
            ]
        return ft.Row(controls, spacing=8, wrap=True)

    return card(heading(ctx.t("team.title"), 18), *[row(s) for s in list_staff()],
                ft.Divider(), ft.Text(ctx.t("team.add_title"), size=16, weight=ft.FontWeight.BOLD),
                ft.Row([name, role, pin, ft.Button(ctx.t("team.add"), icon=ft.Icons.PERSON_ADD, on_click=add,
                                                   style=ft.ButtonStyle(bgcolor=ACCENT, color="white"))], wrap=True),
                expand=3)


def log(ctx: Ctx) -> ft.Control:
    people = {s.staff_id: s.name for s in list_staff()}
    action = ft.Dropdown(
        label=ctx.t("audit.action"),
        label_style=FIELD_LABEL,
        tooltip=ctx.t("audit.action"),
        width=220,
        value="",
        enable_filter=False,
        enable_search=False,
        options=[ft.DropdownOption(key="", text=ctx.t("audit.all"))]
        + [ft.DropdownOption(key=a, text=ctx.t(f"audit.{a}")) for a in ACTIONS],
    )
    who = ft.Dropdown(
        label=ctx.t("audit.staff"),
        label_style=FIELD_LABEL,
        tooltip=ctx.t("audit.staff"),
        width=200,
        value="",
        enable_filter=False,
        enable_search=False,
        options=[ft.DropdownOption(key="", text=ctx.t("audit.everyone"))]
        + [ft.DropdownOption(key=k, text=v) for k, v in people.items()],
    )
    days = ft.Dropdown(
        label=ctx.t("audit.since"),
        label_style=FIELD_LABEL,
        tooltip=ctx.t("audit.since"),
        width=200,
        value="7",
        enable_filter=False,
        enable_search=False,
        options=[ft.DropdownOption(key=d, text=ctx.t(f"audit.days_{d}")) for d in ("1", "7", "30", "365")],
    )
    lines = ft.Column(spacing=4)

    def load(e=None) -> None:
        since = clock.now() - timedelta(days=int(days.value or "7"))
        rows = ctx.attempt(audit_log, ctx.actor, action=action.value or None, staff_id=who.value or None,
                           since=since, limit=200)
        if rows is None:
            return
        lines.controls = [ft.Text(f"{ctx.when(r.at)} · {r.staff_name or ctx.t('audit.device')} · "
                                  f"{ctx.t('audit.' + r.action) if r.action in ACTIONS else r.action}")
                          for r in rows] or [ft.Text(ctx.t("audit.none"), italic=True)]

    for control in (action, who, days):
        control.on_select = load
    load()
    return card(heading(ctx.t("audit.title"), 18), ft.Row([action, who, days], wrap=True), lines, expand=2)
