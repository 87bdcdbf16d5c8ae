"""Members across the group: find one as at the desk, see their history at every location, move their
home location, and answer a GDPR request (export; erasure for data protection and owners)."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import flet as ft

from console.ui import FAIL_COLOUR, QUIET_COLOUR, Ctx, card, confirm, field, heading, line, table
from sync.hq import admins, downloads, members

SEARCH_LIMIT = 10


def build(ctx: Ctx, member_id: str | None = None) -> ft.Control:
    results = ft.Column(spacing=4)

    def find(e) -> None:
        found = ctx.attempt(members.find_members, ctx.token, e.control.value or "", SEARCH_LIMIT) or []
        results.controls = [ft.TextButton(
            " · ".join(x for x in (f"{m.first_name} {m.last_name or ''}".strip(), m.email or m.phone or "",
                                   m.home_location or "") if x),
            on_click=lambda e, i=m.id: ctx.show("members", i)) for m in found]
        if (e.control.value or "").strip() and not found:
            results.controls = [line(ctx.t("members.none"), QUIET_COLOUR)]

    box = field(ctx.t("members.search"), width=520, on_change=find, autofocus=True)
    detail = member_detail(ctx, member_id) if member_id else []
    return ft.Column([heading(ctx.t("nav.members")), line(ctx.t("members.hint"), size=15), box, results, *detail],
                     spacing=12, scroll=ft.ScrollMode.AUTO, expand=True)


def member_detail(ctx: Ctx, member_id: str) -> list[ft.Control]:
    file = ctx.attempt(members.member_file, ctx.token, member_id)
    if file is None:
        return []
    name = f"{file.first_name or ''} {file.last_name or ''}".strip() or ctx.t("members.erased_name")
    links = ft.Column(spacing=6)
    homes = dict(ctx.attempt(members.locations, ctx.token) or [])
    home = ft.Dropdown(label=ctx.t("members.home"), value=file.home_location_id, width=320, text_size=16,
                       options=[ft.DropdownOption(key=k, text=v) for k, v in homes.items()])

    def move(e=None) -> None:
        if ctx.run(members.move_home, ctx.token, member_id, home.value):
            ctx.ok(ctx.t("members.moved", name=name, location=homes.get(home.value, "")))
            ctx.show("members", member_id)

    def export(e=None) -> None:
        data = ctx.attempt(members.export_member, ctx.token, member_id)
        if data is None:
            return
        link = ctx.attempt(downloads.offer, json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8"),
                           "member-export.json", "application/json")
        links.controls = [ft.Row([ft.Button(ctx.t("members.download"), icon=ft.Icons.DOWNLOAD, url=link),
                                  ft.Text(link, size=12, color="#555555")])]
        ctx.ok(ctx.t("members.exported", name=name))

    def erase(e=None) -> None:
        def go() -> None:
            if ctx.run(members.erase_member, ctx.token, member_id):
                ctx.ok(ctx.t("members.erased"))
                ctx.show("members", member_id)
        confirm(ctx, ctx.t("members.erase_title", name=name), ctx.t("members.erase_text"),
                ctx.t("members.erase_confirm"), go)

    history = [[ft.Text(_day(ctx, h.at), size=16), ft.Text(ctx.raw(f"staff.kind.{h.kind}") if _known(ctx, h.kind)
                                                           else h.kind, size=16),
                ft.Text(_signed(ctx, h.points), size=16), ft.Text(_signed(ctx, h.stamps), size=16),
                ft.Text(ctx.money(h.amount_cents) if h.amount_cents else "", size=16),
                ft.Text(h.location or ctx.t("title"), size=16)] for h in file.history]
    consents = ", ".join(ctx.t(f"members.consent_{p}") + (" ✓" if granted else " ✗")
                         for p, granted in sorted(file.consents.items()))
    may_erase = admins.may(ctx.admin.role, admins.MEMBER_DATA)
    facts = [line(" · ".join(x for x in (file.email, file.phone) if x) or "–"),
             line(ctx.t("members.balance", points=ctx.num(file.points), stamps=ctx.num(file.stamps))),
             line(ctx.t("members.joined", where=file.joined_at or "–")),
             line(ctx.t("members.consents", list=consents or "–")),
             line(ctx.t("members.cards", active=sum(1 for _, s in file.cards if s == "active"), all=len(file.cards)))]
    if file.erased:
        facts.insert(0, line(ctx.t("members.is_erased"), FAIL_COLOUR, weight=ft.FontWeight.BOLD))
    actions = [] if file.erased else [
        card(heading(ctx.t("members.home_title"), 18), line(ctx.t("members.home_hint"), size=14),
             ft.Row([home, ft.Button(ctx.t("members.move"), icon=ft.Icons.HOME_WORK, on_click=move)], spacing=12)),
        card(heading(ctx.t("members.gdpr"), 18),
             ft.Row([ft.Button(ctx.t("members.export"), icon=ft.Icons.FILE_DOWNLOAD, on_click=export),
                     ft.Button(ctx.t("members.erase"), icon=ft.Icons.DELETE_FOREVER, on_click=erase,
                               style=ft.ButtonStyle(color=FAIL_COLOUR))], spacing=16),
             links, *([] if may_erase else [line(ctx.t("members.erase_hint"), QUIET_COLOUR, 14, italic=True)]))]
    more = [line(ctx.t("members.more", shown=len(file.history), all=file.entries), QUIET_COLOUR, 14)] \
        if file.entries > len(file.history) else []
    return [card(heading(name, 20), *facts), *actions,
            card(heading(ctx.t("members.history"), 18),
                 table(ctx, ["when", "what", "points", "stamps", "amount", "location"], history), *more)]


def _day(ctx: Ctx, stamp: str) -> str:
    try:
        return ctx.when(datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp())
    except ValueError:
        return stamp


def _known(ctx: Ctx, kind: str) -> bool:
    return ctx.raw(f"staff.kind.{kind}") != f"staff.kind.{kind}"


def _signed(ctx: Ctx, value: int) -> str:
    return "" if not value else (f"+{ctx.num(value)}" if value > 0 else ctx.num(value))
