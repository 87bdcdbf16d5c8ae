"""The group's key figures in the console: per location and in total, for a chosen period, with CSV.

Counted by `loyalty.tally` from HQ's day rollups (`sync.hq.rollups`), the same code a station's
dashboard runs on its own rollups, so a location's column is what its station shows. The total is
the sum of the locations' counts, every rate derived from the summed parts; since every member
belongs to one location (their home), no member is counted twice. The points liability is each
location's points at its own program's redemption value, summed in euros.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache

from loyalty import kpis, segments, tally
from loyalty.errors import Refused
from loyalty.figure_words import figure_text
from loyalty.i18n import t
from loyalty.program import DEFAULT_PROGRAM, Program, parse_program
from sync.hq import rollups
from sync.hq.admins import OVERVIEW, authorise
from sync.hq.db import Location
from sync.hq.programs import config_for

MAX_PERIOD_DAYS = 732           # as the station's dashboard
UNPLACED = ""                   # members HQ cannot place (enrolled by a station it does not know)


@dataclass(frozen=True)
class Column:
    """One location (or the group) in the overview."""
    location_id: str | None         # None: the group's total
    name: str | None                # None: the group / members HQ cannot place
    tally: tally.Tally
    figures: dict[str, tally.Figure]


@dataclass(frozen=True)
class Overview:
    start: date
    end: date
    today: date
    timezone: str
    locations: list[Column]
    total: Column
    cohorts: list[kpis.Cohort]


def overview(token: str, start: date, end: date) -> Overview:
    """Every location's figures and the group's for start..end (local calendar days, both included)."""
    authorise(token, OVERVIEW)
    if not isinstance(start, date) or not isinstance(end, date) or end < start:
        raise Refused("period_invalid")
    days = (end - start).days + 1
    if days > MAX_PERIOD_DAYS:
        raise Refused("period_too_long", days=MAX_PERIOD_DAYS)
    measured = rollups.measure(start, end)
    names = {loc.id: loc.name for loc in Location.select()}
    columns = []
    for location_id, name in sorted(names.items(), key=lambda item: item[1].casefold()):
        counted = measured.tallies.get(location_id) or tally.measure(measured.period, _empty())
        program = _program(location_id)
        columns.append(Column(location_id, name, counted,
                              tally.figures(counted, days, program.redeem_points, program.redeem_value_cents)))
    unplaced = measured.tallies.get(UNPLACED)
    if unplaced is not None and unplaced.members_to_end:
        program = _program(None)
        columns.append(Column(UNPLACED, None, unplaced,
                              tally.figures(unplaced, days, program.redeem_points, program.redeem_value_cents)))
    total = sum((c.tally for c in columns[1:]), columns[0].tally) if columns else tally.Tally()
    program = _program(None)
    figures = tally.figures(total, days, program.redeem_points, program.redeem_value_cents)
    liability = figures["points_liability"]
    figures["points_liability"] = replace(liability, value=sum(c.figures["points_liability"].value for c in columns),
                                          parts={**liability.parts, "points": total.held_points})
    return Overview(start, end, measured.period.today, measured.zone, columns,
                    Column(None, None, total, figures), tally.cohorts(total, measured.period))


def _empty() -> tally.Location:
    return tally.Location(days={}, to_end={}, held_points=0, erased=tally.EMPTY, live_members=0, rebooking={})


def _program(location_id: str | None) -> Program:
    """The program in force at a location (None: the group's newest), for its redemption value."""
    config = config_for(location_id) if location_id else rollups.group_config()
    if config is None:
        return _parsed(DEFAULT_PROGRAM.read_text(encoding="utf-8"))
    return _parsed(config.toml)


@lru_cache(maxsize=32)
def _parsed(text: str) -> Program:
    return parse_program(text)


# --- CSV ---------------------------------------------------------------------------------------

def overview_csv(token: str, start: date, end: date, lang: str = "de") -> str:
    """The overview as CSV for Excel (UTF-8 with byte-order mark, CRLF, RFC 4180 quoting): a row per
    location and one for the group; each figure as shown, then the counts behind it, then segments."""
    board = overview(token, start, end)
    first = board.total.figures
    parts = [(key, name) for key, figure in first.items() for name in figure.parts
             if name not in ("days", "grace", "redeem_points", "redeem_value_cents")]
    header = [t("console.overview.csv.location", lang), t("console.overview.csv.period", lang)]
    header += [t(first[key].name_key, lang) for key in first]
    header += [f"{t(first[key].name_key, lang)}: {t(f'console.overview.part.{name}', lang)}" for key, name in parts]
    header += [t(f"insights.segment.{s}.name", lang) for s in segments.SEGMENTS]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    period = f"{board.start.isoformat()} – {board.end.isoformat()}"
    for column in [*board.locations, board.total]:
        label = column.name if column.name is not None else t(
            "console.overview.total" if column.location_id is None else "console.overview.unplaced", lang)
        row = [_defused(label), period] + [figure_text(f, lang) for f in column.figures.values()]
        row += [str(column.figures[key].parts[name]) for key, name in parts]
        row += [str(column.tally.segments.get(s, 0)) for s in segments.SEGMENTS]
        writer.writerow(row)
    return "\ufeff" + buffer.getvalue()


def _defused(text: str) -> str:
    """A location's name that a spreadsheet would run as a formula gets a leading apostrophe."""
    return "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text
