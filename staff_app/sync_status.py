"""The station's sync with HQ as staff see it: a chip in the top bar, details for the manager.

Both are drawn from a `SyncState` that the app reads on a worker thread every few seconds
(`sync.status.sync_state()`), so a slow database or a hanging HQ never holds up the page; the
sync worker itself runs on its own thread and is never waited for.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import flet as ft

from loyalty import clock, i18n
from loyalty.services import current_program
from loyalty.services.context import require_manager
from staff_app.ui import FAIL_COLOUR, OK_COLOUR, Ctx, card, heading
from sync.status import SyncState

WAIT_COLOUR, QUIET_COLOUR = "#8a4b00", "#455a64"
REASON_CHARS = 60


def chip_text(ctx: Ctx, state: SyncState, now: datetime) -> tuple[str, str]:
    """The chip's words and colour: synced (green), waiting or never synced (grey), offline
    (amber, since when and how much waits), refused by HQ (red, with the reason)."""
    waiting = []
    if state.queue_length:
        waiting = [ctx.raw("sync.waiting_one") if state.queue_length == 1
                   else ctx.raw("sync.waiting_other", count=ctx.num(state.queue_length))]
    if state.last_error and not state.offline:
        reason = state.last_error if len(state.last_error) <= REASON_CHARS else state.last_error[:REASON_CHARS] + "…"
        return " · ".join([ctx.raw("sync.chip_problem", reason=reason), *waiting]), FAIL_COLOUR
    if state.last_error:
        head = (ctx.raw("sync.chip_offline", since=since(ctx, state.last_success_at, now))
                if state.last_success_at else ctx.raw("sync.chip_offline_never"))
        return " · ".join([head, *waiting]), WAIT_COLOUR
    if state.last_success_at is None:
        return " · ".join([ctx.raw("sync.chip_never"), *waiting]), QUIET_COLOUR
    synced = ctx.raw("sync.chip_synced", ago=ago(ctx, now - state.last_success_at))
    return " · ".join([synced, *waiting]), QUIET_COLOUR if waiting else OK_COLOUR


def ago(ctx: Ctx, delta: timedelta) -> str:
    return ctx.raw("sync.just_now") if delta < timedelta(minutes=1) else i18n.fmt_ago(delta, ctx.lang)


def since(ctx: Ctx, moment: datetime, now: datetime) -> str:
    """A time of day when it was today (in the location's zone), else date and time."""
    tz = current_program().timezone
    zone = ZoneInfo(tz)
    same_day = moment.astimezone(zone).date() == now.astimezone(zone).date()
    return i18n.fmt_time(moment, ctx.lang, tz) if same_day else ctx.when(moment)


class SyncChip(ft.Container):
    """Top-bar status of the sync; hidden on a station without HQ. For a manager (`offer_details`), a tap
    opens the details; for reception it is only the status."""

    def __init__(self, ctx: Ctx):
        self._text = ft.Text("", weight=ft.FontWeight.W_500, color="white")
        super().__init__(self._text, visible=False, border_radius=14,
                         padding=ft.Padding.symmetric(horizontal=12, vertical=5))
        self.ctx = ctx
        self.state: SyncState | None = None

    def offer_details(self, allowed: bool) -> None:
        self.on_click = (lambda e: self.ctx.show("sync")) if allowed else None
        self.ink = allowed

    def words(self, state: SyncState) -> tuple[str, str] | None:
        return chip_text(self.ctx, state, clock.now()) if state.hq_url else None

    def show_state(self, state: SyncState) -> None:
        self.state = state
        words = self.words(state)
        self.visible = words is not None
        if words:
            self._text.value, self.bgcolor = words

    def redraw(self) -> None:
        """After a language switch: the same state in the new language."""
        if self.state is not None:
            self.show_state(self.state)


class SyncDetails(ft.Column):
    """The manager's view: last success, last error, queue, refused and set-aside entries, HQ address,
    device id."""

    def __init__(self, ctx: Ctx, state: SyncState | None):
        super().__init__(spacing=12, expand=True, scroll=ft.ScrollMode.AUTO)
        self.ctx = ctx
        self.body = ft.Column(spacing=10)
        self.controls = [heading(ctx.raw("sync.title")), card(self.body, width=760),
                         ft.Text(ctx.raw("sync.refreshed"), italic=True, color="#555555")]
        if state is not None:
            self.show_state(state)

    def show_state(self, state: SyncState) -> None:
        ctx = self.ctx
        if not state.hq_url:
            self.body.controls = [ft.Text(ctx.raw("sync.not_configured"), size=16)]
            return
        now = clock.now()
        words, colour = chip_text(ctx, state, now)
        last = (ctx.raw("sync.last_success", when=f"{ctx.when(state.last_success_at)} "
                                                 f"({ago(ctx, now - state.last_success_at)})")
                if state.last_success_at else ctx.raw("sync.never"))
        queue = (ctx.raw("sync.queue", count=ctx.num(state.queue_length)) if state.queue_length
                 else ctx.raw("sync.queue_empty"))
        lines = [ft.Container(ft.Text(words, size=17, weight=ft.FontWeight.BOLD, color="white"), bgcolor=colour,
                              border_radius=10, padding=ft.Padding.symmetric(horizontal=12, vertical=6)),
                 line(last), line(queue)]
        if state.rejected:
            lines.append(line(ctx.raw("sync.rejected", count=ctx.num(state.rejected)), FAIL_COLOUR))
        if state.set_aside:
            lines += set_aside_lines(ctx, state)
        if state.offline:
            lines.append(line(ctx.raw("sync.offline"), WAIT_COLOUR))
        if not state.last_error:
            lines.append(line(ctx.raw("sync.last_error_none")))
        elif state.offline:   # the line above says it in words; the raw reason is for whoever fixes the network
            lines.append(ft.Text(ctx.raw("sync.error", message=state.last_error), color="#666666"))
        else:
            lines.append(line(ctx.raw("sync.error", message=state.last_error), FAIL_COLOUR))
        lines.append(line(ctx.raw("sync.program", version=state.program_version) if state.program_version
                          else ctx.raw("sync.program_own")))
        lines += [line(f"{ctx.raw('sync.hq_url')}: {state.hq_url}"),
                  line(f"{ctx.raw('sync.device')}: {state.device_id or '–'}")]
        self.body.controls = lines


def set_aside_lines(ctx: Ctx, state: SyncState) -> list[ft.Control]:
    """How many entries from other locations could not be applied here, and the newest few: what,
    from which device, when, why in plain words, and the reason's code for the administrator."""
    count = state.set_aside
    lines: list[ft.Control] = [line(ctx.raw("sync.set_aside_one") if count == 1
                                    else ctx.raw("sync.set_aside_other", count=ctx.num(count)), WAIT_COLOUR)]
    for entry in state.set_aside_latest:
        lines.append(ft.Text(ctx.raw("sync.set_aside_item", what=_known(ctx, "sync.record", entry.table),
                                     device=entry.device_id[-6:], when=ctx.when(entry.at),
                                     why=_known(ctx, "sync.why", entry.reason.split(":")[0]), code=entry.reason),
                             size=16, color="#222222"))
    if count > len(state.set_aside_latest):
        lines.append(line(ctx.raw("sync.set_aside_more", count=ctx.num(count - len(state.set_aside_latest)))))
    return lines


def _known(ctx: Ctx, group: str, code: str) -> str:
    """The words for a code, or the group's general words for a code this version does not know."""
    return i18n.catalogue(ctx.lang).get(f"{group}.{code}") or ctx.raw(f"{group}.other")


def line(text: str, colour: str = "#222222") -> ft.Text:
    return ft.Text(text, size=16, color=colour)


def build(ctx: Ctx, state: SyncState | None = None) -> ft.Control:
    if not ctx.run(require_manager, ctx.actor):
        return ft.Column([heading(ctx.raw("sync.title")), ft.Text(ctx.status.value, color=FAIL_COLOUR, size=16)])
    return SyncDetails(ctx, state)
