"""The manager's figures and lists: counted from the day rollups, turned into KPIs by loyalty.tally.

The dashboard reads the rollups of migration 0015, which triggers keep as entries arrive:
location_day (a home's sums per local day), member_day (a member's days, for the sets of who
visited) and member_rollup (a member's number, home, and days of joining, first and last visit).
loyalty.tally counts the figures from them, the same code HQ's overview runs on HQ's rollups, so
a location's figures at HQ are this dashboard's. A station linked to HQ shows the figures of its
own location's members (their home: where they joined, or where head office moved them); a
station on its own shows everyone. Periods are calendar days in the program's time zone. A ledger
entry that was undone counts nowhere. Revenue is what purchases and treatments were charged minus
refunds. Erased members count in the figures (their ledger stays, anonymous) but never appear in a
list, a segment or the points liability.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from loyalty import clock, kpis, ledger, segments, tally
from loyalty.errors import Refused
from loyalty.i18n import t
from loyalty.services.context import current_program
from loyalty.store import db
from loyalty.store.fields import UtcDateTimeField, as_utc
from loyalty.store.settings import HOME_LOCATION, HQ_SECRET, device_id, get_setting
from loyalty.tally import Figure, WeekPoint

MAX_PERIOD_DAYS = 732          # two years of weekly bars is the most a chart can show legibly
RECALL_OVERDUE_DAYS = 30       # recalls missed by up to this many days still show as due
REVENUE_KINDS = (ledger.PURCHASE, ledger.TREATMENT, ledger.REFUND)

__all__ = ["Dashboard", "Figure", "ListRow", "Rebooking", "WeekPoint", "at_risk", "birthdays_this_month", "dashboard",
           "members_in_segment", "negative_balances", "recall_due", "segment_counts", "to_csv"]

_UNDONE = ("SELECT u.ref FROM ledger_entry u JOIN ledger_entry o ON o.id = u.ref AND o.member_id = u.member_id "
           "WHERE u.kind = 'undo'")


def _undone_ids() -> str:
    """Every entry that was undone, as a JSON array for json_each, or "" when there is none (the
    usual case). Probing a list for every row costs more than the rest of a query, so the queries
    carry the condition only when there is something to leave out."""
    ids = [ref for (ref,) in _rows(_UNDONE)]
    return json.dumps(ids).replace("'", "''") if ids else ""


def _skip(column: str, undone: str) -> str:
    if not undone:
        return ""
    return f" AND ({column} IS NULL OR {column} NOT IN (SELECT value FROM json_each('{undone}')))"


_TS = UtcDateTimeField()


def _ts(moment) -> str:
    return _TS.db_value(moment)


def _kinds(kinds: tuple[str, ...]) -> str:
    return ", ".join(f"'{k}'" for k in kinds)


def _rows(sql: str, params: tuple | dict = ()) -> list[tuple]:
    return list(db.execute_sql(sql, params).fetchall())


def _one(sql: str, params: tuple | dict = ()) -> tuple:
    return db.execute_sql(sql, params).fetchone()


# --- dashboard ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rebooking:
    item_code: str
    name: dict[str, str]
    recall_days: int | None
    treatments: int
    rebooked: int
    rate: float | None


@dataclass(frozen=True)
class Dashboard:
    start: date
    end: date
    timezone: str
    figures: dict[str, Figure]
    weekly: list[WeekPoint]
    cohorts: list[kpis.Cohort]
    rebooking: list[Rebooking]
    tally: tally.Tally


def dashboard(start: date, end: date) -> Dashboard:
    """Every figure for the period start..end (local calendar days, both included)."""
    period = _period(start, end)
    program = current_program()
    counted = tally.measure(period, _location(period))
    return Dashboard(start=start, end=end, timezone=program.timezone,
                     figures=tally.figures(counted, period.days, program.redeem_points, program.redeem_value_cents),
                     weekly=counted.weekly, cohorts=tally.cohorts(counted, period),
                     rebooking=rebooking_rows(program, counted.rebooking), tally=counted)


def _period(start: date, end: date) -> tally.Period:
    if not isinstance(start, date) or not isinstance(end, date) or end < start:
        raise Refused("period_invalid")
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        raise Refused("period_too_long", days=MAX_PERIOD_DAYS)
    return tally.Period(start, end, _today(current_program().timezone))


def rebooking_rows(program, counts: dict[str, tuple[int, int]]) -> list[Rebooking]:
    """Per treatment with a recall interval in the catalogue (or with counts), catalogue order first."""
    counts = dict(counts)
    out = []
    for code, item in program.catalogue.items():
        if item.recall_days is None and code not in counts:
            continue
        n, k = counts.pop(code, (0, 0))
        out.append(Rebooking(code, item.name, item.recall_days, n, k, kpis.rebooking_rate(n, k)))
    for code, (n, k) in sorted(counts.items()):   # items since removed from the catalogue
        out.append(Rebooking(code, {"en": code, "de": code}, None, n, k, kpis.rebooking_rate(n, k)))
    return out


def _homes() -> list[str]:
    """The homes this station's figures are about: its location's and its own enrolments from before it
    joined HQ; on its own, every home it holds."""
    if get_setting(HQ_SECRET) is None:
        return [home for (home,) in _rows('SELECT DISTINCT home FROM member_rollup')]
    return [home for home in (get_setting(HOME_LOCATION), f"device:{device_id()}") if home]


def _in(column: str, homes: list[str]) -> tuple[str, list[str]]:
    return f"{column} IN ({', '.join('?' for _ in homes) or 'NULL'})", homes


def _location(period: tally.Period, homes: list[str] | None = None) -> tally.Location:
    """This station's members' days from the rollups, as loyalty.tally needs them."""
    homes = _homes() if homes is None else homes
    where, params = _in("home", homes)
    hi = period.hi
    enrolled, revenue = _one(f"SELECT COALESCE(SUM(enrolments), 0), COALESCE(SUM(revenue_cents), 0) FROM location_day "
                             f"WHERE {where} AND day < ?", (*params, hi))
    erased = _erased(where, params)
    live = _one(f"SELECT COUNT(*) FROM member_rollup WHERE {where}", params)[0] - len(erased)
    return tally.Location(days=_days(where, params, period.first_day_needed(), period.last_day_needed()),
                          to_end={"enrolments": int(enrolled), "revenue_cents": int(revenue)},
                          held_points=_held_points(where, params, hi), erased=erased, live_members=live,
                          rebooking=_rebooking(where, params, period))


_DAY_SUMS = [n for n in tally.SUMS if n != "held_delta"]


def _days(where: str, params: list[str], first: int, last: int) -> dict[int, tally.Day]:
    """The homes' days first..last: sums and member sets (a station with two homes adds them up)."""
    days: dict[int, tally.Day] = {}
    for row in _rows(f"SELECT day, {', '.join(_DAY_SUMS)}, {', '.join(tally.SETS)} FROM location_day "
                     f"WHERE {where} AND day BETWEEN ? AND ?", (*params, first, last)):
        day = tally.Day(dict(zip(_DAY_SUMS, row[1:1 + len(_DAY_SUMS)])),
                        *(tally.unpack(blob) for blob in row[1 + len(_DAY_SUMS):]))
        days[row[0]] = _merged(days[row[0]], day) if row[0] in days else day
    return days


def _merged(a: tally.Day, b: tally.Day) -> tally.Day:
    return tally.Day({n: a.sums.get(n, 0) + b.sums.get(n, 0) for n in {**a.sums, **b.sums}},
                     np.union1d(a.visitors, b.visitors), np.union1d(a.firsts, b.firsts),
                     np.union1d(a.enrolled, b.enrolled))


def _erased(where: str, params: list[str]) -> np.ndarray:
    return np.array([n for (n,) in _rows(f"SELECT n FROM member_rollup WHERE {where} AND erased ORDER BY n", params)],
                    dtype=np.int32)


def _held_points(where: str, params: list[str], hi: int) -> int:
    """Positive balances at the end of day hi - 1: each member's balance now less their points of
    later days (none, for a period that ends today); erased members hold nothing."""
    if not _one("SELECT EXISTS (SELECT 1 FROM member_day WHERE day >= ?)", (hi,))[0]:
        return int(_one(f"SELECT COALESCE(SUM(balance), 0) FROM member_rollup WHERE {where} AND NOT erased "
                        f"AND balance > 0", params)[0])
    return int(_one(f"""
        SELECT COALESCE(SUM(MAX(r.balance - COALESCE((SELECT SUM(d.points) FROM member_day d
                                                       WHERE d.n = r.n AND d.day >= ?), 0), 0)), 0)
        FROM member_rollup r WHERE r.{where} AND NOT r.erased""", (hi, *params))[0])


def _rebooking(where: str, params: list[str], period: tally.Period) -> dict[str, tuple[int, int]]:
    """Per item: treatments with a recall date performed in the period, counted once rebooked or once
    the last day to rebook (recall date plus the grace days) has passed, and those rebooked on time."""
    rows = _rows(f"SELECT item_code, SUM(rebooked OR close_day < ?), SUM(rebooked) FROM treatment_recall "
                 f"WHERE {where} AND day >= ? AND day < ? GROUP BY item_code",
                 (period.today.toordinal(), *params, period.lo, period.hi))
    return {code: (int(n), int(k)) for code, n, k in rows}


# --- lists -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ListRow:
    """One member in a manager's list; only the fields the list is about are set."""
    member_id: str
    first_name: str
    last_name: str | None
    email: str | None
    phone: str | None
    when: date | None = None        # recall due, last visit, birthday this year, flagged on (local date)
    days: int | None = None         # until the recall (negative: overdue), or since the last visit
    item_code: str | None = None    # the treatment to recall (staff only; never in a patient message)
    points: int | None = None       # current balance
    segment: str | None = None
    rfm: str | None = None          # recency-frequency-monetary scores, "5-4-3"


_MEMBER_COLS = "m.id, m.first_name, m.last_name, m.email, m.phone"


def _today(tz: str) -> date:
    return kpis.local_date(clock.now(), tz)


def recall_due(within_days: int = 14) -> list[ListRow]:
    """Members whose latest treatment of a kind is due for its recall within `within_days` days
    (or is up to RECALL_OVERDUE_DAYS overdue) and who have not had that treatment again since."""
    if not isinstance(within_days, int) or not 0 <= within_days <= 365:
        raise Refused("days_invalid", most=365)
    tz = current_program().timezone
    today = _today(tz)
    lo = kpis.local_midnight(today - timedelta(days=RECALL_OVERDUE_DAYS), tz)
    hi = kpis.local_midnight(today + timedelta(days=within_days + 1), tz)
    undone = _undone_ids()
    rows = _rows(f"""
        SELECT {_MEMBER_COLS}, t.item_code, t.recall_due FROM treatment t JOIN member m ON m.id = t.member_id
        WHERE t.recall_due >= ? AND t.recall_due < ? AND m.erased_at IS NULL
          {_skip("t.entry", undone)}
          AND NOT EXISTS (SELECT 1 FROM treatment l WHERE l.member_id = t.member_id
                          AND l.item_code = t.item_code AND l.performed_at > t.performed_at
                          {_skip("l.entry", undone)})
        ORDER BY t.recall_due, m.name_key""", (_ts(lo), _ts(hi)))
    out = []
    for mid, first, last, email, phone, item, due in rows:
        day = kpis.local_date(as_utc(due), tz)
        out.append(ListRow(mid, first or "", last, email, phone, when=day, days=(day - today).days, item_code=item))
    return out


def birthdays_this_month() -> list[ListRow]:
    """Members whose birthday falls in the current month (program time zone), by day."""
    tz = current_program().timezone
    today = _today(tz)
    rows = _rows(f"SELECT {_MEMBER_COLS}, m.birthday_day FROM member m WHERE m.birthday_month = ? "
                 f"AND m.birthday_day IS NOT NULL AND m.erased_at IS NULL ORDER BY m.birthday_day, m.name_key",
                 (today.month,))
    out = []
    for mid, first, last, email, phone, day in rows:
        try:
            when = date(today.year, today.month, day)
        except ValueError:    # 29 February in a common year is celebrated on the 28th
            when = date(today.year, today.month, day - 1)
        out.append(ListRow(mid, first or "", last, email, phone, when=when))
    return out


def negative_balances() -> list[ListRow]:
    """Open negative-balance flags (from refunds or two offline redemptions met at sync), with the
    member's balance now; oldest flag first."""
    tz = current_program().timezone
    rows = _rows(f"""
        SELECT {_MEMBER_COLS}, MIN(f.at), (SELECT COALESCE(SUM(points), 0) FROM ledger_entry e
                                           WHERE e.member_id = m.id)
        FROM flag f JOIN member m ON m.id = f.member_id
        WHERE f.kind = 'negative_balance' AND f.resolved_at IS NULL AND m.erased_at IS NULL
        GROUP BY m.id ORDER BY MIN(f.at)""")
    return [ListRow(mid, first or "", last, email, phone, when=kpis.local_date(as_utc(at), tz), points=int(balance))
            for mid, first, last, email, phone, at, balance in rows]


def at_risk() -> list[ListRow]:
    """Members in the at-risk segment: 60 to 90 days without a visit; longest absent first."""
    return members_in_segment(segments.AT_RISK)


def _members(thresholds: segments.Thresholds) -> tuple[dict[str, np.ndarray], list[tuple[int, str, int, int]], date]:
    """This station's members not erased by segment (numbers), and per member (number, id, recency
    days, visit days in the last 365), for today."""
    today = _today(current_program().timezone)
    t = today.toordinal()
    where, params = _in("home", _homes())
    days = _days(where, params, t - tally.YEAR_DAYS + 1, t)
    people = [(n, mid, t - max(last or created, created)) for n, mid, created, last in _rows(
        f"SELECT n, member_id, created_day, last_day FROM member_rollup WHERE {where} AND NOT erased", params)]
    groups = tally.segment_members(days, today, _erased(where, params), thresholds)
    placed = np.concatenate(list(groups.values()))
    groups[segments.LOST] = np.setdiff1d(np.array([n for n, _, _ in people], dtype=np.int32), placed)
    frequency = tally.visit_days_in_year(days, today)
    return groups, [(n, mid, max(recency, 0), frequency.get(n, 0)) for n, mid, recency in people], today


def segment_counts(thresholds: segments.Thresholds = segments.DEFAULT) -> dict[str, int]:
    """Members not erased per segment, every segment present (zero included)."""
    groups, _, _ = _members(thresholds)
    return {name: len(groups[name]) for name in segments.SEGMENTS}


def members_in_segment(name: str, thresholds: segments.Thresholds = segments.DEFAULT,
                       limit: int | None = None) -> list[ListRow]:
    """The members of one segment with their RFM scores (ranked among all members not erased:
    recency, visit days and revenue in the last 365 days), longest absent first. Names and contacts
    are read for the segment's members only."""
    if name not in segments.SEGMENTS:
        raise Refused("segment_unknown", segment=name)
    groups, facts, today = _members(thresholds)
    where, params = _in("home", _homes())
    revenue = dict(_rows(f"SELECT n, SUM(revenue_cents) FROM member_day WHERE {where} AND day > ? GROUP BY n",
                         (*params, today.toordinal() - tally.YEAR_DAYS)))
    scores = segments.rfm_scores([f[2] for f in facts], [f[3] for f in facts], [revenue.get(f[0]) or 0 for f in facts])
    wanted = set(groups[name].tolist())
    chosen = [(mid, recency, score) for (n, mid, recency, _), score in zip(facts, scores) if n in wanted]
    contacts = {row[0]: row[1:] for row in _rows(
        "SELECT id, first_name, last_name, email, phone FROM member WHERE id IN (SELECT value FROM json_each(?))",
        (json.dumps([mid for mid, _, _ in chosen]),))}
    rows = []
    for mid, recency, score in chosen:
        first, last, email, phone = contacts[mid]
        rows.append(ListRow(mid, first or "", last, email, phone, when=today - timedelta(days=recency),
                            days=recency, segment=name, rfm=str(score)))
    rows.sort(key=lambda r: (-r.days, r.last_name or "", r.first_name))
    return rows[:limit]


# --- CSV ---------------------------------------------------------------------------------------

_CSV_COLUMNS = ("first_name", "last_name", "email", "phone", "when", "days", "item_code", "points", "segment", "rfm")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def to_csv(rows: list[ListRow], lang: str = "de") -> str:
    """A list as CSV for Excel: UTF-8 with a byte-order mark (so German Excel reads umlauts), comma
    separated and quoted per RFC 4180, CRLF line ends, a header in `lang`; only the columns the
    list uses. Text a spreadsheet would run as a formula gets a leading apostrophe."""
    columns = [c for c in _CSV_COLUMNS if c in ("first_name", "last_name", "email", "phone")
               or any(getattr(r, c) is not None for r in rows)]
    program = current_program() if "item_code" in columns else None
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([t(f"insights.csv.{c}", lang) for c in columns])
    for row in rows:
        writer.writerow([_cell(row, c, lang, program) for c in columns])
    return "\ufeff" + buffer.getvalue()


def _cell(row: ListRow, column: str, lang: str, program) -> str:
    """Numbers as numbers; every text, whatever column it comes from, defused (OWASP CSV injection):
    an item code synced from another station or a catalogue name can start with '=' as well as a name."""
    value = getattr(row, column)
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    if column == "when":
        text = value.isoformat()
    elif column == "item_code":
        item = program.catalogue.get(value)
        text = item.name.get(lang, value) if item else value
    elif column == "segment":
        text = t(f"insights.segment.{value}.name", lang)
    else:
        text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text
