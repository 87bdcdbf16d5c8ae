"""Overview: the group's key figures for a chosen period, one column per location and one for the group,
the segments, weekly charts and the figures by location as bars; CSV for the spreadsheet.

A location's column is what that station's own dashboard shows for the same period; tap a value for
its formula with its own counts. Every member counts at their home location, wherever they visit.
"""
from __future__ import annotations

import math
from datetime import date, timedelta

import flet as ft
import flet_charts as fch

from console.ui import ACCENT, FAIL_COLOUR, QUIET_COLOUR, Ctx, card, field, heading, line
from loyalty import figure_words, segments
from loyalty.i18n import fmt_date, fmt_day
from sync.hq import downloads, overview
from sync.hq.rollups import today_in, zone

PRESETS = (("weeks_4", 28), ("weeks_12", 84), ("months_12", 365))
BAR_FIGURES = ("active_members", "repeat_visit_rate", "retention_rate", "average_lifetime_value")
MAX_WEEK_LABELS = 6
COLOURS = ("#243b6b", "#e07a1f", "#5c7f0f", "#8e24aa", "#00838f", "#c62828", "#6d4c41", "#3949ab", "#7cb342",
           "#f9a825")


def build(ctx: Ctx) -> ft.Control:
    today = ctx.attempt(lambda: today_in(zone())) or date.today()
    start = field(ctx.t("overview.start"), value=(today - timedelta(days=83)).isoformat(), width=170)
    end = field(ctx.t("overview.end"), value=today.isoformat(), width=170)
    body = ft.Column(spacing=12)
    explanation = line("", size=16)
    links = ft.Row(spacing=12)

    def chosen() -> tuple[date, date] | None:
        try:
            return date.fromisoformat((start.value or "").strip()), date.fromisoformat((end.value or "").strip())
        except ValueError:
            ctx.fail(ctx.t("overview.date_unreadable"))
            return None

    def load(e=None, announce: bool = True) -> None:
        picked = chosen()
        if picked is None:
            return
        board = ctx.attempt(overview.overview, ctx.token, *picked)
        if board is None:
            return
        links.controls = []
        explanation.value = ctx.t("overview.tap_hint")
        body.controls = [
            line(ctx.t("overview.about", start=fmt_date(board.start, ctx.lang), end=fmt_date(board.end, ctx.lang),
                       zone=board.timezone), QUIET_COLOUR, 15),
            line(ctx.t("overview.rule"), QUIET_COLOUR, 15),
            card(heading(ctx.t("overview.figures"), 18), _wide(figures_table(ctx, board, explanation)), explanation),
            card(heading(ctx.t("overview.segments"), 18), _wide(segments_table(ctx, board))),
            location_bars(ctx, board),
            weekly_charts(ctx, board),
        ]
        if announce:   # not over the welcome when the screen first opens
            ctx.ok(ctx.t("overview.loaded", start=fmt_date(board.start, ctx.lang), end=fmt_date(board.end, ctx.lang)))

    def preset(days: int) -> None:
        start.value, end.value = (today - timedelta(days=days - 1)).isoformat(), today.isoformat()
        load()

    def export(e=None) -> None:
        picked = chosen()
        if picked is None:
            return
        text = ctx.attempt(overview.overview_csv, ctx.token, *picked, ctx.lang)
        if text is None:
            return
        name = f"{ctx.t('overview.file')}-{picked[0].isoformat()}-{picked[1].isoformat()}.csv"
        link = ctx.attempt(downloads.offer, text.encode("utf-8"), name, "text/csv; charset=utf-8")
        if link:
            links.controls = [ft.Button(ctx.t("overview.download"), icon=ft.Icons.DOWNLOAD, url=link),
                              line(ctx.t("overview.download_hint"), QUIET_COLOUR, 14),
                              ft.Text(link, size=12, color=QUIET_COLOUR)]
            ctx.ok(ctx.t("overview.csv_ready"))

    load(announce=False)
    return ft.Column([
        ft.Container(   # room above the fields for their floating labels
            ft.Row([heading(ctx.t("nav.overview")), start, end,
                    ft.Button(ctx.t("overview.show"), icon=ft.Icons.REFRESH, on_click=load,
                              style=ft.ButtonStyle(bgcolor=ACCENT, color="white")),
                    *[ft.TextButton(ctx.t(f"overview.{key}"), on_click=lambda e, d=days: preset(d))
                      for key, days in PRESETS],
                    ft.OutlinedButton(ctx.t("overview.export"), icon=ft.Icons.TABLE_VIEW, on_click=export)],
                   wrap=True, spacing=12, run_spacing=12),
            padding=ft.Padding.only(top=10)),
        links,
        body,
    ], spacing=12, scroll=ft.ScrollMode.AUTO, expand=True)


def _wide(control: ft.Control) -> ft.Control:
    """A table wider than the screen scrolls sideways instead of squeezing its columns."""
    return ft.Row([control], scroll=ft.ScrollMode.AUTO)


def column_name(ctx: Ctx, column: overview.Column) -> str:
    if column.location_id is None:
        return ctx.t("overview.total")
    return column.name if column.name is not None else ctx.t("overview.unplaced")


def figures_table(ctx: Ctx, board: overview.Overview, explanation: ft.Text) -> ft.DataTable:
    """A row per figure, a column per location and the group; tap a value for its formula."""
    def tap(column: overview.Column, key: str) -> None:
        figure = column.figures[key]
        explanation.value = (f"{ctx.raw(figure.name_key)} · {column_name(ctx, column)}: "
                             f"{figure_words.explain(figure, ctx.lang)}")
        explanation.update()

    return _grid(ctx, board, ctx.t("overview.figure"),
                 [(ctx.raw(board.total.figures[key].name_key), None,
                   lambda c, k=key: figure_words.figure_text(c.figures[k], ctx.lang),
                   lambda c, k=key: tap(c, k)) for key in board.total.figures])


def segments_table(ctx: Ctx, board: overview.Overview) -> ft.DataTable:
    return _grid(ctx, board, ctx.t("overview.segment"),
                 [(ctx.raw(f"insights.segment.{s}.name"), ctx.raw(f"insights.segment.{s}.help"),
                   lambda c, s=s: ctx.num(c.tally.segments.get(s, 0)), None) for s in segments.SEGMENTS])


def _grid(ctx: Ctx, board: overview.Overview, first: str, rows: list[tuple]) -> ft.DataTable:
    """Rows of (name, help, value of a column, tap on a column's value) by location and for the group;
    each value says what it is to a screen reader ("Aktive Mitglieder · Praxis Mitte: 412")."""
    columns = [*board.locations, board.total]
    table_rows = []
    for name, help_text, value, on_tap in rows:
        cells = [ft.DataCell(ft.Text(name, size=16, weight=ft.FontWeight.W_500, tooltip=help_text))]
        for column in columns:
            text = value(column)
            cells.append(ft.DataCell(
                ft.Text(text, size=16, semantics_label=f"{name} · {column_name(ctx, column)}: {text}",
                        weight=ft.FontWeight.BOLD if column.location_id is None else None),
                on_tap=(lambda e, c=column, tap=on_tap: tap(c)) if on_tap else None))
        table_rows.append(ft.DataRow(cells=cells))
    return ft.DataTable(
        columns=[ft.DataColumn(ft.Text(first, size=16, weight=ft.FontWeight.BOLD))]
        + [ft.DataColumn(ft.Text(column_name(ctx, c), size=16, weight=ft.FontWeight.BOLD), numeric=True)
           for c in columns],
        rows=table_rows, data_row_min_height=44, column_spacing=28)


def location_bars(ctx: Ctx, board: overview.Overview) -> ft.Control:
    """A few figures side by side by location: where is the group strong, where weak."""
    if not board.locations:
        return line(ctx.t("overview.no_locations"), FAIL_COLOUR)
    charts = []
    for key in BAR_FIGURES:
        figure = board.total.figures[key]
        values = [c.figures[key].value or 0 for c in board.locations]
        scale = 100 if figure.unit == "rate" else (0.01 if figure.unit == "cents" else 1)
        shown = [round(v * scale, 1) for v in values]
        top = max(shown + [1])
        chart = fch.BarChart(
            groups=[fch.BarChartGroup(x=i, rods=[fch.BarChartRod(
                to_y=v, width=18, color=COLOURS[i % len(COLOURS)], border_radius=2,
                tooltip=f"{c.name or ctx.t('overview.unplaced')}: "
                        f"{figure_words.figure_text(c.figures[key], ctx.lang)}")])
                for i, (v, c) in enumerate(zip(shown, board.locations))],
            bottom_axis=fch.ChartAxis(label_size=28, labels=[
                fch.ChartAxisLabel(value=i, label=ft.Text(_short(c.name or ctx.t("overview.unplaced")), size=12))
                for i, c in enumerate(board.locations)]),
            left_axis=_side(ctx, top), max_y=math.ceil(top / _tick(top)) * _tick(top), interactive=True, height=200,
            expand=True)
        unit = {"rate": " (%)", "cents": " (€)"}.get(figure.unit, "")
        charts.append(card(ft.Text(ctx.raw(figure.name_key) + unit, size=16, weight=ft.FontWeight.BOLD), chart,
                           expand=1))
    return ft.Column([heading(ctx.t("overview.by_location"), 18),
                      ft.Row(charts[:2], spacing=12), ft.Row(charts[2:], spacing=12)], spacing=12)


def _tick(top: float) -> int:
    return max(1, math.ceil(top / 4))


def _side(ctx: Ctx, top: float) -> fch.ChartAxis:
    """Whole numbers up the side, about four steps to the top."""
    tick = _tick(top)
    return fch.ChartAxis(label_size=44, labels=[fch.ChartAxisLabel(value=y, label=ft.Text(ctx.num(y), size=11))
                                                for y in range(0, int(top) + tick, tick)])


def _short(name: str) -> str:
    return name if len(name) <= 14 else name[:13] + "…"


def weekly_charts(ctx: Ctx, board: overview.Overview) -> ft.Control:
    """The group's weeks: enrolments, visits and redemptions, at most six week labels under each."""
    weeks = board.total.tally.weekly
    step = max(1, math.ceil(len(weeks) / MAX_WEEK_LABELS))
    labels = [fch.ChartAxisLabel(value=i, label=ft.Text(fmt_day(w.week_start, ctx.lang), size=11))
              for i, w in enumerate(weeks) if i % step == 0]
    rod = max(3, min(14, 220 // max(1, len(weeks))))

    def bars(title: str, values: list[int], colour: str) -> ft.Control:
        top = max(values + [1])
        chart = fch.BarChart(
            groups=[fch.BarChartGroup(x=i, rods=[fch.BarChartRod(to_y=v, width=rod, color=colour, tooltip=ctx.num(v),
                                                                  border_radius=2)]) for i, v in enumerate(values)],
            bottom_axis=fch.ChartAxis(labels=labels, label_size=28),
            left_axis=_side(ctx, top), max_y=math.ceil(top / _tick(top)) * _tick(top), interactive=True, height=200,
            expand=True)
        return card(ft.Text(title, size=16, weight=ft.FontWeight.BOLD), chart, expand=1)

    return ft.Column([heading(ctx.t("overview.weekly"), 18), ft.Row([
        bars(ctx.raw("insights.series.enrolments"), [w.enrolments for w in weeks], ACCENT),
        bars(ctx.raw("insights.series.visits"), [w.visits for w in weeks], "#e07a1f"),
        bars(ctx.raw("insights.series.redemptions"), [w.redemptions for w in weeks], "#5c7f0f"),
    ], spacing=12, vertical_alignment=ft.CrossAxisAlignment.START)], spacing=12)
