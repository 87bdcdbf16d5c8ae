"""The manager's KPI dashboard: figures for a chosen period, weekly charts; tap a figure for its formula."""
from __future__ import annotations

import math
from datetime import date, timedelta

import flet as ft
import flet_charts as fch

from loyalty import clock, figure_words, kpis, segments
from loyalty.services import current_program, insights
from loyalty.services.context import require_manager
from staff_app.ui import ACCENT, TEXT_SIZE, Ctx, card, heading, text_field

PRESETS = (("weeks_4", 28), ("weeks_12", 84), ("weeks_52", 364))


def build(ctx: Ctx) -> ft.Control:
    if not ctx.run(require_manager, ctx.actor):
        return ft.Column([heading(ctx.t("nav.dashboard")), ft.Text(ctx.status.value, color="#b71c1c", size=16)])
    today = kpis.local_date(clock.now(), current_program().timezone)
    start = text_field(ctx, label=ctx.t("dash.start"), value=(today - timedelta(days=83)).isoformat(), width=220)
    end = text_field(ctx, label=ctx.t("dash.end"), value=today.isoformat(), width=220)
    explanation = ft.Text("", selectable=False)
    body = ft.Column(spacing=12)

    def load(e=None) -> None:
        ctx.touch()
        try:
            lo, hi = date.fromisoformat((start.value or "").strip()), date.fromisoformat((end.value or "").strip())
        except ValueError:
            ctx.fail(ctx.t("dash.date_unreadable"))
            return
        board = ctx.attempt(insights.dashboard, lo, hi)
        if board is None:
            return
        explanation.value = ctx.t("dash.tap_hint")
        body.controls = [figures_grid(ctx, board, explanation), explanation, segments_line(ctx, board),
                         charts(ctx, board)]
        ctx.ok(ctx.t("dash.loaded", start=ctx.date(lo), end=ctx.date(hi)))

    def preset(days: int) -> None:
        start.value, end.value = (today - timedelta(days=days - 1)).isoformat(), today.isoformat()
        load()

    load()
    return ft.Column([
        ft.Container(   # room above the fields for their floating labels, which the scroll view would clip
            ft.Row([heading(ctx.t("nav.dashboard")), start, end,
                    ft.Button(ctx.t("dash.show"), icon=ft.Icons.REFRESH, on_click=load),
                    *[ft.TextButton(ctx.t(f"dash.{key}"), on_click=lambda e, d=days: preset(d))
                      for key, days in PRESETS]],
                   wrap=True, spacing=12, run_spacing=12),
            padding=ft.Padding.only(top=10)),
        body,
    ], spacing=12, scroll=ft.ScrollMode.AUTO, expand=True)


def figures_grid(ctx: Ctx, board, explanation: ft.Text) -> ft.Control:
    def tap(figure) -> None:
        ctx.touch()
        explanation.value = f"{ctx.raw(figure.name_key)}: {figure_words.explain(figure, ctx.lang)}"

    tiles = [ft.Container(
        ft.Column([ft.Text(ctx.raw(f.name_key), color="#333333"),
                   ft.Text(figure_words.figure_text(f, ctx.lang), size=26, weight=ft.FontWeight.BOLD, color=ACCENT)],
                  spacing=4),
        width=262, height=96, padding=12, border_radius=10, bgcolor="#e8eff1", ink=True,
        tooltip=ctx.t("dash.explain", name=ctx.raw(f.name_key)), on_click=lambda e, f=f: tap(f))
        for f in board.figures.values()]
    return ft.Row(tiles, wrap=True, spacing=10, run_spacing=10)


def segments_line(ctx: Ctx, board) -> ft.Control:
    """Today's segments of this location's members in one line, each with what it means as a tooltip."""
    return ft.Row([ft.Text(ctx.t("dash.segments"), weight=ft.FontWeight.BOLD)]
                  + [ft.Text(f"{ctx.raw(f'insights.segment.{name}.name')}: {ctx.num(board.tally.segments[name])}",
                             tooltip=ctx.raw(f"insights.segment.{name}.help"))
                     for name in segments.SEGMENTS], wrap=True, spacing=16)


MAX_WEEK_LABELS = 5   # "14. Sep." at 16 px fits five times under a chart a third of a 1280-pixel screen wide


def charts(ctx: Ctx, board) -> ft.Control:
    """Three weekly bar charts side by side: at most five week labels under each (every k-th week),
    whole numbers up the side, bars that get thinner as the period gets longer."""
    weeks = board.weekly
    step = max(1, math.ceil(len(weeks) / MAX_WEEK_LABELS))
    labels = [fch.ChartAxisLabel(value=i, label=ft.Text(ctx.day(w.week_start), size=TEXT_SIZE))
              for i, w in enumerate(weeks) if i % step == 0]
    rod_width = max(3, min(14, 220 // max(1, len(weeks))))

    def bars(title: str, values: list[int], colour: str) -> ft.Control:
        top = max(values + [1])
        tick = max(1, math.ceil(top / 4))
        chart = fch.BarChart(
            groups=[fch.BarChartGroup(x=i, rods=[fch.BarChartRod(to_y=v, width=rod_width, color=colour,
                                                                  tooltip=ctx.num(v), border_radius=2)])
                    for i, v in enumerate(values)],
            bottom_axis=fch.ChartAxis(labels=labels, label_size=32),
            left_axis=fch.ChartAxis(label_size=56, title_size=0,
                                    labels=[fch.ChartAxisLabel(value=y, label=ft.Text(ctx.num(y), size=TEXT_SIZE))
                                            for y in range(0, top + tick, tick)]),
            max_y=math.ceil(top / tick) * tick, interactive=True, height=220, expand=True)
        return card(ft.Text(title, size=16, weight=ft.FontWeight.BOLD), chart, expand=1)

    return ft.Row([
        bars(ctx.t("dash.chart_enrolments"), [w.enrolments for w in weeks], ACCENT),
        bars(ctx.t("dash.chart_visits"), [w.visits for w in weeks], "#e07a1f"),
        bars(ctx.t("dash.chart_redemptions"), [w.redemptions for w in weeks], "#5c7f0f"),
    ], spacing=12, vertical_alignment=ft.CrossAxisAlignment.START)
