"""The manager's figures and lists: counted in SQL, turned into KPIs by loyalty.kpis and loyalty.segments.

Counting happens in SQLite so the dashboard stays under a second with 100,000 members and a million
ledger entries; Python only sees aggregates (and one row per member for segments). Periods are
calendar days in the program's time zone. A ledger entry that was undone counts nowhere. Revenue is
what purchases and treatments were charged minus refunds. Erased members count in the figures
(their ledger stays, anonymous) but never appear in a list.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from babel import Locale
from babel.numbers import format_percent

from loyalty import clock, kpis, ledger, segments
from loyalty.errors import Refused
from loyalty.i18n import fmt_money, fmt_number, t
from loyalty.services.context import current_program
from loyalty.store import db
from loyalty.store.fields import UtcDateTimeField, as_utc

MAX_PERIOD_DAYS = 732          # two years of weekly bars is the most a chart can show legibly
RECALL_OVERDUE_DAYS = 30       # recalls missed by up to this many days still show as due
REVENUE_KINDS = (ledger.PURCHASE, ledger.TREATMENT, ledger.REFUND)
EARNING_KINDS = (ledger.SIGNUP, ledger.VISIT, ledger.PURCHASE, ledger.TREATMENT, ledger.REFERRAL,
                 ledger.BIRTHDAY, ledger.REFUND)

_UNDONE = "SELECT ref FROM ledger_entry WHERE kind = 'undo' AND ref IS NOT NULL"
_TS = UtcDateTimeField()


def _ts(moment: datetime) -> str:
    return _TS.db_value(moment)


def _kinds(kinds: tuple[str, ...]) -> str:
    return ", ".join(f"'{k}'" for k in kinds)


def _rows(sql: str, params: tuple = ()) -> list[tuple]:
    return list(db.execute_sql(sql, params).fetchall())


def _one(sql: str, params: tuple = ()) -> tuple:
    return db.execute_sql(sql, params).fetchone()


# --- dashboard ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Figure:
    """One KPI. `value` is a fraction for rates, cents for money, else a plain number; None when
    there is nothing to measure. `parts` are the counts behind it, named as in the formula text."""
    key: str
    value: float | int | None
    unit: str                      # rate | cents | count | per_week | score
    parts: dict[str, int]

    @property
    def name_key(self) -> str:
        return f"insights.figure.{self.key}.name"

    @property
    def formula_key(self) -> str:
        return f"insights.figure.{self.key}.formula"


@dataclass(frozen=True)
class WeekPoint:
    """One bar of the weekly charts: a Monday-to-Sunday week, clipped to the period."""
    week_start: date
    week_end: date
    enrolments: int
    visits: int
    visitors: int                  # members with at least one visit that week
    redemptions: int
    revenue_cents: int


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


def dashboard(start: date, end: date) -> Dashboard:
    """Every figure for the period start..end (local calendar days, both included)."""
    if not isinstance(start, date) or not isinstance(end, date) or end < start:
        raise Refused("period_invalid")
    days = (end - start).days + 1
    if days > MAX_PERIOD_DAYS:
        raise Refused("period_too_long", days=MAX_PERIOD_DAYS)
    program = current_program()
    tz = program.timezone
    lo, hi = kpis.local_midnight(start, tz), kpis.local_midnight(end + timedelta(days=1), tz)
    now = clock.now()
    active_span = timedelta(days=kpis.ACTIVE_DAYS)
    figures: list[Figure] = []

    enrolments = _one('SELECT COUNT(*) FROM member WHERE created_at >= ? AND created_at < ?',
                      (_ts(lo), _ts(hi)))[0]
    figures.append(Figure("enrolments_per_week", kpis.per_week(enrolments, days), "per_week",
                          {"enrolments": enrolments, "days": days}))

    at_start, at_end, both = _active_counts(lo - active_span, lo, hi - active_span, hi)
    figures.append(Figure("active_members", at_end, "count", {"active": at_end, "days": kpis.ACTIVE_DAYS}))

    visitors, repeat = _one(
        f"SELECT COUNT(*), COALESCE(SUM(n >= 2), 0) FROM (SELECT COUNT(*) AS n FROM ledger_entry "
        f"WHERE kind = 'visit' AND created_at >= ? AND created_at < ? AND id NOT IN ({_UNDONE}) "
        f"GROUP BY member_id)", (_ts(lo), _ts(hi)))
    figures.append(Figure("repeat_visit_rate", kpis.repeat_visit_rate(visitors, repeat), "rate",
                          {"visitors": visitors, "repeat": repeat}))

    new = at_end - both
    figures.append(Figure("retention_rate", kpis.retention_rate(at_start, at_end, new), "rate",
                          {"start": at_start, "end": at_end, "new": new}))

    first_timers, returned = _first_visit_returns(lo, hi, now)
    figures.append(Figure("first_visit_return_rate", kpis.first_visit_return_rate(first_timers, returned),
                          "rate", {"first_timers": first_timers, "returned": returned,
                                   "days": kpis.RETURN_DAYS}))

    revenue = _one(f"SELECT COALESCE(SUM(amount_cents), 0) FROM ledger_entry WHERE kind IN "
                   f"({_kinds(REVENUE_KINDS)}) AND created_at < ? AND id NOT IN ({_UNDONE})", (_ts(hi),))[0]
    members = _one("SELECT COUNT(*) FROM member WHERE created_at < ?", (_ts(hi),))[0]
    figures.append(Figure("average_lifetime_value", kpis.average_lifetime_value(revenue, members), "cents",
                          {"revenue_cents": revenue, "members": members}))

    rebooking = _rebooking(program, lo, hi, now)
    treated, rebooked = sum(r.treatments for r in rebooking), sum(r.rebooked for r in rebooking)
    figures.append(Figure("rebooking_rate", kpis.rebooking_rate(treated, rebooked), "rate",
                          {"treatments": treated, "rebooked": rebooked, "grace": kpis.REBOOK_GRACE_DAYS}))

    count, spent, value = _one(
        f"SELECT COUNT(*), COALESCE(-SUM(points), 0), COALESCE(SUM(amount_cents), 0) FROM ledger_entry "
        f"WHERE kind = 'redeem' AND created_at >= ? AND created_at < ? AND id NOT IN ({_UNDONE})",
        (_ts(lo), _ts(hi)))
    figures.append(Figure("redemptions", count, "count",
                          {"redemptions": count, "points": spent, "value_cents": value}))
    earned = _one(f"SELECT COALESCE(SUM(points), 0) FROM ledger_entry WHERE kind IN ({_kinds(EARNING_KINDS)}) "
                  f"AND created_at >= ? AND created_at < ? AND id NOT IN ({_UNDONE})", (_ts(lo), _ts(hi)))[0]
    figures.append(Figure("redemption_rate", kpis.redemption_rate(spent, earned), "rate",
                          {"redeemed": spent, "earned": earned}))

    outstanding = _one(
        "SELECT COALESCE(SUM(balance), 0) FROM (SELECT member_id, SUM(points) AS balance FROM ledger_entry "
        "WHERE created_at < ? GROUP BY member_id HAVING balance > 0) b "
        "JOIN member m ON m.id = b.member_id WHERE m.erased_at IS NULL", (_ts(hi),))[0]
    figures.append(Figure("points_liability",
                          kpis.points_liability_cents(outstanding, program.redeem_points,
                                                      program.redeem_value_cents), "cents",
                          {"points": outstanding, "redeem_points": program.redeem_points,
                           "redeem_value_cents": program.redeem_value_cents}))

    responses, promoters, detractors = _one(
        "SELECT COUNT(*), COALESCE(SUM(score >= 9), 0), COALESCE(SUM(score <= 6), 0) FROM feedback "
        "WHERE score IS NOT NULL AND at >= ? AND at < ?", (_ts(lo), _ts(hi)))
    figures.append(Figure("nps", kpis.nps_from_counts(responses, promoters, detractors), "score",
                          {"responses": responses, "promoters": promoters, "detractors": detractors}))

    last_month = min(end, kpis.local_date(now, tz)).replace(day=1)
    return Dashboard(start=start, end=end, timezone=tz, figures={f.key: f for f in figures},
                     weekly=_weekly(start, end, tz), cohorts=_cohorts(start, end, last_month, tz),
                     rebooking=rebooking)


def _active_counts(start_lo, start_hi, end_lo, end_hi) -> tuple[int, int, int]:
    """Members with a visit in each window, and in both."""
    params = (_ts(start_lo), _ts(start_hi), _ts(end_lo), _ts(end_hi))
    window = (f"SELECT DISTINCT member_id FROM ledger_entry WHERE kind = 'visit' AND created_at >= ? "
              f"AND created_at < ? AND id NOT IN ({_UNDONE})")
    at_start = _one(f"SELECT COUNT(*) FROM ({window})", params[:2])[0]
    at_end = _one(f"SELECT COUNT(*) FROM ({window})", params[2:])[0]
    both = _one(f"SELECT COUNT(*) FROM ({window} INTERSECT {window})", params)[0]
    return at_start, at_end, both


_FIRSTS = f"""
SELECT v.member_id AS member_id, MIN(v.created_at) AS first FROM ledger_entry v
WHERE v.kind = 'visit' AND v.created_at >= :lo AND v.created_at < :hi AND v.id NOT IN ({_UNDONE})
GROUP BY v.member_id
HAVING NOT EXISTS (SELECT 1 FROM ledger_entry p WHERE p.member_id = v.member_id AND p.kind = 'visit'
                   AND p.created_at < :lo AND p.id NOT IN ({_UNDONE}))
"""


def _first_visit_returns(lo: datetime, hi: datetime, now: datetime) -> tuple[int, int]:
    """First-time patients of the period whose return window has closed (or who came back), and
    how many of them visited again within it."""
    row = _one(f"""
        WITH firsts AS ({_FIRSTS}),
        seconds AS (SELECT f.first, (SELECT MIN(w.created_at) FROM ledger_entry w
                                     WHERE w.member_id = f.member_id AND w.kind = 'visit'
                                     AND w.created_at > f.first AND w.id NOT IN ({_UNDONE})) AS second
                    FROM firsts f),
        judged AS (SELECT second IS NOT NULL
                          AND julianday(second) - julianday(first) <= :days AS came_back, first FROM seconds)
        SELECT COALESCE(SUM(came_back OR julianday(:now) - julianday(first) >= :days), 0),
               COALESCE(SUM(came_back), 0) FROM judged""",
               {"lo": _ts(lo), "hi": _ts(hi), "now": _ts(now), "days": kpis.RETURN_DAYS})
    return int(row[0]), int(row[1])


def _values(buckets: list[tuple[str, datetime, datetime]]) -> tuple[str, list[str]]:
    """A VALUES list for a CTE of (label, lo, hi) buckets, with its parameters."""
    sql = ", ".join("(?, ?, ?)" for _ in buckets)
    params = [p for label, lo, hi in buckets for p in (label, _ts(lo), _ts(hi))]
    return sql, params


def _weekly(start: date, end: date, tz: str) -> list[WeekPoint]:
    weeks = kpis.week_buckets(start, end)
    buckets = [(a.isoformat(), kpis.local_midnight(a, tz), kpis.local_midnight(b + timedelta(days=1), tz))
               for a, b in weeks]
    values, params = _values(buckets)
    cte = f"WITH weeks(label, lo, hi) AS (VALUES {values})"
    enrolments = dict(_rows(f"{cte} SELECT w.label, COUNT(m.id) FROM weeks w JOIN member m "
                            f"ON m.created_at >= w.lo AND m.created_at < w.hi GROUP BY w.label", params))
    visits = {label: (n, d) for label, n, d in _rows(
        f"{cte} SELECT w.label, COUNT(*), COUNT(DISTINCT e.member_id) FROM weeks w JOIN ledger_entry e "
        f"ON e.kind = 'visit' AND e.created_at >= w.lo AND e.created_at < w.hi "
        f"WHERE e.id NOT IN ({_UNDONE}) GROUP BY w.label", params)}
    redemptions = dict(_rows(
        f"{cte} SELECT w.label, COUNT(*) FROM weeks w JOIN ledger_entry e ON e.kind = 'redeem' "
        f"AND e.created_at >= w.lo AND e.created_at < w.hi WHERE e.id NOT IN ({_UNDONE}) GROUP BY w.label",
        params))
    revenue = dict(_rows(
        f"{cte} SELECT w.label, SUM(e.amount_cents) FROM weeks w JOIN ledger_entry e "
        f"ON e.kind IN ({_kinds(REVENUE_KINDS)}) AND e.created_at >= w.lo AND e.created_at < w.hi "
        f"WHERE e.id NOT IN ({_UNDONE}) GROUP BY w.label", params))
    out = []
    for a, b in weeks:
        label = a.isoformat()
        n, d = visits.get(label, (0, 0))
        out.append(WeekPoint(a, b, enrolments.get(label, 0), n, d, redemptions.get(label, 0),
                             int(revenue.get(label) or 0)))
    return out


def _cohorts(start: date, end: date, last_month: date, tz: str) -> list[kpis.Cohort]:
    """First-time patients of the period by month of their first visit, and the months they came back in."""
    months = kpis.month_buckets(start, max(end, last_month))
    buckets = [(m.isoformat(), kpis.local_midnight(m, tz), kpis.local_midnight(kpis.add_months(m, 1), tz))
               for m in months]
    values, params = _values(buckets)
    lo, hi = kpis.local_midnight(start, tz), kpis.local_midnight(end + timedelta(days=1), tz)
    cte = (f"WITH months(label, lo, hi) AS (VALUES {values}), "
           f"firsts AS ({_FIRSTS.replace(':lo', '?').replace(':hi', '?')}), "
           f"cohort AS (SELECT f.member_id, m.label FROM firsts f JOIN months m ON f.first >= m.lo AND f.first < m.hi)")
    first_params = params + [_ts(lo), _ts(hi), _ts(lo)]
    sizes = {date.fromisoformat(label): n for label, n in _rows(
        f"{cte} SELECT label, COUNT(*) FROM cohort GROUP BY label", tuple(first_params))}
    later = _rows(
        f"{cte} SELECT c.label, m.label, COUNT(DISTINCT c.member_id) FROM cohort c "
        f"JOIN ledger_entry w ON w.member_id = c.member_id AND w.kind = 'visit' AND w.id NOT IN ({_UNDONE}) "
        f"JOIN months m ON w.created_at >= m.lo AND w.created_at < m.hi AND m.label > c.label "
        f"GROUP BY c.label, m.label", tuple(first_params))
    active = {}
    for cohort, month, n in later:
        first = date.fromisoformat(cohort)
        active[(first, kpis.months_between(first, date.fromisoformat(month)))] = n
    return kpis.cohort_retention(sizes, active, last_month)


def _rebooking(program, lo: datetime, hi: datetime, now: datetime) -> list[Rebooking]:
    """Per treatment with a recall interval: treatments of the period that could have been rebooked
    by now, and those followed by the same treatment by the recall date plus the grace days."""
    rows = _rows(f"""
        WITH done AS (
          SELECT t.item_code,
                 EXISTS (SELECT 1 FROM treatment n WHERE n.member_id = t.member_id AND n.item_code = t.item_code
                         AND n.performed_at > t.performed_at
                         AND julianday(n.performed_at) <= julianday(t.recall_due) + :grace
                         AND (n.entry IS NULL OR n.entry NOT IN ({_UNDONE}))) AS rebooked,
                 julianday(t.recall_due) + :grace <= julianday(:now) AS closed
          FROM treatment t
          WHERE t.performed_at >= :lo AND t.performed_at < :hi AND t.recall_due IS NOT NULL
            AND (t.entry IS NULL OR t.entry NOT IN ({_UNDONE})))
        SELECT item_code, COALESCE(SUM(rebooked OR closed), 0), COALESCE(SUM(rebooked), 0)
        FROM done GROUP BY item_code""",
        {"lo": _ts(lo), "hi": _ts(hi), "now": _ts(now), "grace": kpis.REBOOK_GRACE_DAYS})
    counts = {code: (int(n), int(k)) for code, n, k in rows}
    out = []
    for code, item in program.catalogue.items():
        if item.recall_days is None and code not in counts:
            continue
        n, k = counts.pop(code, (0, 0))
        out.append(Rebooking(code, item.name, item.recall_days, n, k, kpis.rebooking_rate(n, k)))
    for code, (n, k) in sorted(counts.items()):   # items since removed from the catalogue
        out.append(Rebooking(code, {"en": code, "de": code}, None, n, k, kpis.rebooking_rate(n, k)))
    return out


# --- texts for figures -------------------------------------------------------------------------

def figure_text(figure: Figure, lang: str) -> str:
    """The figure's value as a manager reads it: "42 %", "123,40 €", "3,5", "–" for nothing to measure."""
    value = figure.value
    if value is None:
        return "–"
    if figure.unit == "rate":
        pattern = Locale.parse(_locale(lang)).percent_formats[None].pattern.replace("#,##0", "#,##0.0", 1)
        return format_percent(value, pattern, locale=_locale(lang))
    if figure.unit == "cents":
        return fmt_money(int(value), lang)
    if figure.unit in ("per_week", "score"):
        return fmt_number(round(value, 1), lang)
    return fmt_number(value, lang)


def explain(figure: Figure, lang: str) -> str:
    """The formula in words with this figure's own counts filled in (shown when a figure is tapped)."""
    params = {name: fmt_money(v, lang) if name.endswith("_cents") else fmt_number(v, lang)
              for name, v in figure.parts.items()}
    return t(figure.formula_key, lang, **params)


def _locale(lang: str) -> str:
    return {"de": "de_DE", "en": "en_GB"}.get(lang, "en_GB")


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
    rows = _rows(f"""
        SELECT {_MEMBER_COLS}, t.item_code, t.recall_due FROM treatment t JOIN member m ON m.id = t.member_id
        WHERE t.recall_due >= ? AND t.recall_due < ? AND m.erased_at IS NULL
          AND (t.entry IS NULL OR t.entry NOT IN ({_UNDONE}))
          AND NOT EXISTS (SELECT 1 FROM treatment l WHERE l.member_id = t.member_id
                          AND l.item_code = t.item_code AND l.performed_at > t.performed_at
                          AND (l.entry IS NULL OR l.entry NOT IN ({_UNDONE})))
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


@dataclass(frozen=True)
class _Facts:
    member_id: str
    first_name: str
    last_name: str | None
    email: str | None
    phone: str | None
    last_seen: date           # last visit, or enrolment when there was none (local date)
    recency: int
    enrolled_days: int
    visits_year: int
    revenue_year: int


def _member_facts(thresholds: segments.Thresholds) -> list[_Facts]:
    """One row per member not erased: what segments and RFM scores are computed from."""
    tz = current_program().timezone
    now = clock.now()
    today = kpis.local_date(now, tz)
    year_ago = _ts(now - timedelta(days=365))
    per_member = {mid: (last, visits, revenue) for mid, last, visits, revenue in _rows(f"""
        SELECT member_id, MAX(CASE WHEN kind = 'visit' THEN created_at END),
               SUM(kind = 'visit' AND created_at >= :year),
               SUM(CASE WHEN kind != 'visit' AND created_at >= :year THEN amount_cents ELSE 0 END)
        FROM ledger_entry WHERE kind IN ('visit', {_kinds(REVENUE_KINDS)}) AND id NOT IN ({_UNDONE})
        GROUP BY member_id""", {"year": year_ago})}
    out = []
    for mid, first, last, email, phone, created in _rows(
            f"SELECT {_MEMBER_COLS}, m.created_at FROM member m WHERE m.erased_at IS NULL"):
        last_visit, visits, revenue = per_member.get(mid, (None, 0, 0))
        enrolled = kpis.local_date(as_utc(created), tz)
        seen = kpis.local_date(as_utc(last_visit), tz) if last_visit else enrolled
        out.append(_Facts(mid, first or "", last, email, phone, seen, (today - seen).days,
                          (today - enrolled).days, int(visits or 0), int(revenue or 0)))
    return out


def segment_counts(thresholds: segments.Thresholds = segments.DEFAULT) -> dict[str, int]:
    """Members not erased per segment, every segment present (zero included)."""
    counts = {name: 0 for name in segments.SEGMENTS}
    for f in _member_facts(thresholds):
        counts[segments.segment(f.enrolled_days, f.recency, f.visits_year, thresholds)] += 1
    return counts


def members_in_segment(name: str, thresholds: segments.Thresholds = segments.DEFAULT,
                       limit: int | None = None) -> list[ListRow]:
    """The members of one segment with their RFM scores (ranked among all members), longest absent first."""
    if name not in segments.SEGMENTS:
        raise Refused("segment_unknown", segment=name)
    facts = _member_facts(thresholds)
    scores = segments.rfm_scores([f.recency for f in facts], [f.visits_year for f in facts],
                                 [f.revenue_year for f in facts])
    rows = [ListRow(f.member_id, f.first_name, f.last_name, f.email, f.phone, when=f.last_seen, days=f.recency,
                    segment=name, rfm=str(score))
            for f, score in zip(facts, scores)
            if segments.segment(f.enrolled_days, f.recency, f.visits_year, thresholds) == name]
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
    value = getattr(row, column)
    if value is None:
        return ""
    if column == "when":
        return value.isoformat()
    if column == "item_code":
        item = program.catalogue.get(value)
        return item.name.get(lang, value) if item else value
    if column == "segment":
        return t(f"insights.segment.{value}.name", lang)
    if isinstance(value, int):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text
