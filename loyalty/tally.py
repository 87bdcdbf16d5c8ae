"""A location's key figures for a period, counted from its day rollups: pure, no I/O.

The station's dashboard and HQ's overview both call `measure` on the same kind of input, one
location's days (`Day`: sums of that day's activity, and the sets of members who visited, came
for the first time or joined that day), so a location's figures at HQ are the station's own by
construction. `Tally` holds counts and sums only, so a group's tally is the sum of its
locations' (`Tally.__add__`); rates are derived from the summed parts by `figures`.

Every member belongs to one location, their home (where they joined, or where head office moved
them), and everything they do counts there, wherever it happened. So no member counts twice in a
group's figures: a member of Mitte who visits Süd is one active member, Mitte's.

Days are local calendar days in the program's time zone, as ordinals (`date.toordinal()`):

- active at a day: a visit on one of the ACTIVE_DAYS days before it;
- repeat visitor: visits on two or more days of the period;
- first-time patient: first visit day in the period; came back: a visit on a later day within
  RETURN_DAYS; counted once back or once RETURN_DAYS days have passed;
- segments (for today): recency counts from the later of the last visit day and the day of joining;
  loyal members have visits on `loyal_visits` days of the last 365.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date

import numpy as np

from loyalty import kpis, segments

SUMS = ("enrolments", "visits", "paid", "revenue_cents", "redemptions", "redeemed_points", "redeemed_value_cents",
        "earned_points", "responses", "promoters", "detractors", "held_delta")
SETS = ("visitors", "firsts", "enrolled")
YEAR_DAYS = 365
EMPTY = np.zeros(0, dtype=np.int32)


# --- member sets as bytes ------------------------------------------------------------------------

def pack(members: np.ndarray) -> bytes:
    """A set of member numbers as stored: sorted, unique, 4-byte big-endian integers (as PostgreSQL's
    int4send writes them, so HQ can build a set in SQL)."""
    return np.asarray(members, dtype=">i4").tobytes()


def unpack(blob: bytes | memoryview | None) -> np.ndarray:
    return np.frombuffer(bytes(blob), dtype=">i4").astype(np.int32) if blob else EMPTY


def with_member(blob: bytes | None, n: int) -> bytes:
    return pack(np.union1d(unpack(blob), np.array([n], dtype=np.int32)))


def without_member(blob: bytes | None, n: int) -> bytes:
    return pack(np.setdiff1d(unpack(blob), np.array([n], dtype=np.int32)))


# --- input -------------------------------------------------------------------------------------

@dataclass
class Day:
    """One location's day: the sums of SUMS, and who visited, first visited and joined."""
    sums: dict[str, int] = field(default_factory=dict)
    visitors: np.ndarray = field(default_factory=lambda: EMPTY)
    firsts: np.ndarray = field(default_factory=lambda: EMPTY)
    enrolled: np.ndarray = field(default_factory=lambda: EMPTY)


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    today: date

    @property
    def lo(self) -> int:
        return self.start.toordinal()

    @property
    def hi(self) -> int:
        """The day after the period: days d with lo <= d < hi are in it."""
        return self.end.toordinal() + 1

    @property
    def days(self) -> int:
        return self.hi - self.lo

    def first_day_needed(self) -> int:
        """The oldest day whose rows `measure` reads (the activity window before the start, or the
        segments' year)."""
        return min(self.lo - kpis.ACTIVE_DAYS, self.today.toordinal() - YEAR_DAYS + 1)

    def last_day_needed(self) -> int:
        return max(self.today.toordinal(), self.hi - 1)


@dataclass
class Location:
    """What `measure` needs of one location: its days from `Period.first_day_needed()` on, sums
    over every day before the period's end, and a few facts the days cannot hold."""
    days: dict[int, Day]
    to_end: dict[str, int]          # SUMS over all days before Period.hi (members joined, revenue, liability)
    held_points: int                # positive balances at the period's end, erased members left out
    erased: np.ndarray              # member numbers of erased members (not in segments)
    live_members: int               # members not erased, for the segments
    rebooking: dict[str, tuple[int, int]]   # item code -> (treatments counted, rebooked on time)


# --- output ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class WeekPoint:
    """One bar of the weekly charts: a Monday-to-Sunday week, clipped to the period."""
    week_start: date
    week_end: date
    enrolments: int
    visits: int
    redemptions: int
    revenue_cents: int


@dataclass
class Tally:
    """Counts and sums for one location (or, added, for several): every figure's parts."""
    enrolments: int = 0
    active_start: int = 0
    active_end: int = 0
    both: int = 0
    visitors: int = 0
    repeat: int = 0
    first_timers: int = 0
    returned: int = 0
    members_to_end: int = 0
    revenue_to_end: int = 0
    revenue: int = 0
    paid: int = 0
    redemptions: int = 0
    redeemed_points: int = 0
    redeemed_value_cents: int = 0
    earned_points: int = 0
    held_points: int = 0
    responses: int = 0
    promoters: int = 0
    detractors: int = 0
    segments: dict[str, int] = field(default_factory=lambda: dict.fromkeys(segments.SEGMENTS, 0))
    cohort_sizes: dict[date, int] = field(default_factory=dict)
    cohort_active: dict[tuple[date, int], int] = field(default_factory=dict)
    weekly: list[WeekPoint] = field(default_factory=list)
    rebooking: dict[str, tuple[int, int]] = field(default_factory=dict)

    def __add__(self, other: "Tally") -> "Tally":
        out = Tally()
        for f in fields(Tally):
            a, b = getattr(self, f.name), getattr(other, f.name)
            if isinstance(a, int):
                setattr(out, f.name, a + b)
        out.segments = _add_counts(self.segments, other.segments)
        out.cohort_sizes = _add_counts(self.cohort_sizes, other.cohort_sizes)
        out.cohort_active = _add_counts(self.cohort_active, other.cohort_active)
        out.rebooking = {k: tuple(x + y for x, y in zip(self.rebooking.get(k, (0, 0)), other.rebooking.get(k, (0, 0))))
                         for k in {**self.rebooking, **other.rebooking}}
        if not self.weekly or not other.weekly:
            out.weekly = list(self.weekly or other.weekly)
        else:
            out.weekly = [WeekPoint(a.week_start, a.week_end, a.enrolments + b.enrolments, a.visits + b.visits,
                                    a.redemptions + b.redemptions, a.revenue_cents + b.revenue_cents)
                          for a, b in zip(self.weekly, other.weekly)]
        return out


def _add_counts(a: dict, b: dict) -> dict:
    return {k: a.get(k, 0) + b.get(k, 0) for k in {**a, **b}}


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


FIGURES = ("enrolments_per_week", "active_members", "repeat_visit_rate", "retention_rate", "first_visit_return_rate",
           "average_value", "average_lifetime_value", "rebooking_rate", "redemptions", "redemption_rate",
           "points_liability", "nps")


def figures(t: Tally, days: int, redeem_points: int, redeem_value_cents: int) -> dict[str, Figure]:
    """Every figure of a tally, each rate from its summed numerator and denominator."""
    new = t.active_end - t.both
    treated = sum(n for n, _ in t.rebooking.values())
    rebooked = sum(k for _, k in t.rebooking.values())
    out = [
        Figure("enrolments_per_week", kpis.per_week(t.enrolments, days), "per_week",
               {"enrolments": t.enrolments, "days": days}),
        Figure("active_members", t.active_end, "count", {"active": t.active_end, "days": kpis.ACTIVE_DAYS}),
        Figure("repeat_visit_rate", kpis.repeat_visit_rate(t.visitors, t.repeat), "rate",
               {"visitors": t.visitors, "repeat": t.repeat}),
        Figure("retention_rate", kpis.retention_rate(t.active_start, t.active_end, new), "rate",
               {"start": t.active_start, "end": t.active_end, "new": new}),
        Figure("first_visit_return_rate", kpis.first_visit_return_rate(t.first_timers, t.returned), "rate",
               {"first_timers": t.first_timers, "returned": t.returned, "days": kpis.RETURN_DAYS}),
        Figure("average_value", kpis.average_value(t.revenue, t.paid), "cents",
               {"revenue_cents": t.revenue, "paid": t.paid}),
        Figure("average_lifetime_value", kpis.average_lifetime_value(t.revenue_to_end, t.members_to_end), "cents",
               {"revenue_cents": t.revenue_to_end, "members": t.members_to_end}),
        Figure("rebooking_rate", kpis.rebooking_rate(treated, rebooked), "rate",
               {"treatments": treated, "rebooked": rebooked, "grace": kpis.REBOOK_GRACE_DAYS}),
        Figure("redemptions", t.redemptions, "count",
               {"redemptions": t.redemptions, "points": t.redeemed_points, "value_cents": t.redeemed_value_cents}),
        Figure("redemption_rate", kpis.redemption_rate(t.redeemed_points, t.earned_points), "rate",
               {"redeemed": t.redeemed_points, "earned": t.earned_points}),
        Figure("points_liability", kpis.points_liability_cents(t.held_points, redeem_points, redeem_value_cents),
               "cents", {"points": t.held_points, "redeem_points": redeem_points,
                         "redeem_value_cents": redeem_value_cents}),
        Figure("nps", kpis.nps_from_counts(t.responses, t.promoters, t.detractors), "score",
               {"responses": t.responses, "promoters": t.promoters, "detractors": t.detractors}),
    ]
    return {f.key: f for f in out}


def cohorts(t: Tally, period: Period) -> list[kpis.Cohort]:
    return kpis.cohort_retention(t.cohort_sizes, t.cohort_active, min(period.end, period.today).replace(day=1))


# --- counting ----------------------------------------------------------------------------------

class _Days:
    """Set arithmetic over a location's days as boolean masks indexed by member number: counting a
    member's days is np.bincount, a union a mask, an intersection `&` (linear, no sorting)."""

    def __init__(self, days: dict[int, Day], erased: np.ndarray = EMPTY):
        self.days = days
        self.size = 1 + max([int(a.max()) for day in days.values() for a in (day.visitors, day.firsts, day.enrolled)
                             if len(a)] + [int(erased.max()) if len(erased) else 0])

    def members(self, kind: str, lo: int, hi: int) -> np.ndarray:
        """Every member in the `kind` sets of days lo <= d < hi, with repeats (one per day)."""
        parts = [getattr(day, kind) for d, day in self.days.items() if lo <= d < hi and len(getattr(day, kind))]
        return np.concatenate(parts) if parts else EMPTY

    def counts(self, kind: str, lo: int, hi: int) -> np.ndarray:
        """Member number -> on how many of the days lo <= d < hi they are in the `kind` set."""
        return np.bincount(self.members(kind, lo, hi), minlength=self.size)

    def mask(self, kind: str, lo: int, hi: int) -> np.ndarray:
        return self.counts(kind, lo, hi) > 0

    def of(self, members: np.ndarray) -> np.ndarray:
        mask = np.zeros(self.size, dtype=bool)
        mask[members] = True
        return mask

    def total(self, name: str, lo: int, hi: int) -> int:
        return sum(day.sums.get(name, 0) for d, day in self.days.items() if lo <= d < hi)


def measure(period: Period, place: Location, thresholds: segments.Thresholds = segments.DEFAULT) -> Tally:
    """One location's tally for the period."""
    lo, hi, today = period.lo, period.hi, period.today.toordinal()
    days = _Days(place.days, place.erased)
    t = Tally()
    for name in ("enrolments", "revenue_cents", "paid", "redemptions", "redeemed_points", "redeemed_value_cents",
                 "earned_points", "responses", "promoters", "detractors"):
        setattr(t, "revenue" if name == "revenue_cents" else name, days.total(name, lo, hi))
    t.members_to_end = place.to_end.get("enrolments", 0)
    t.revenue_to_end = place.to_end.get("revenue_cents", 0)
    t.held_points = place.held_points
    t.rebooking = dict(place.rebooking)

    at_start = days.mask("visitors", lo - kpis.ACTIVE_DAYS, lo)
    at_end = days.mask("visitors", hi - kpis.ACTIVE_DAYS, hi)
    t.active_start, t.active_end = int(at_start.sum()), int(at_end.sum())
    t.both = int((at_start & at_end).sum())
    visit_days = days.counts("visitors", lo, hi)
    t.visitors, t.repeat = int((visit_days > 0).sum()), int((visit_days >= 2).sum())

    first = np.full(days.size, -1, dtype=np.int64)      # member -> first visit day, for first visits in the period
    for d, day in place.days.items():
        if lo <= d < hi and len(day.firsts):
            first[day.firsts] = d
    back = _returned(place.days, first, today)
    t.returned = int(back.sum())
    t.first_timers = int((back | ((first >= 0) & (today - first >= kpis.RETURN_DAYS))).sum())
    t.cohort_sizes, t.cohort_active = _cohorts(period, days, first)
    t.weekly = _weekly(period, days)
    t.segments = {name: len(members) for name, members in
                  segment_members(place.days, period.today, place.erased, thresholds).items()}
    t.segments[segments.LOST] = place.live_members - sum(t.segments.values())
    return t


def _returned(days: dict[int, Day], first: np.ndarray, today: int) -> np.ndarray:
    """Mask of the first-time patients with a visit on a later day within RETURN_DAYS of their first."""
    back = np.zeros(len(first), dtype=bool)
    counted = first >= 0
    if not counted.any():
        return back
    lo, hi = int(first[counted].min()) + 1, min(int(first.max()) + kpis.RETURN_DAYS, today) + 1
    for d, day in days.items():
        if lo <= d < hi and len(day.visitors):
            gap = d - first[day.visitors]
            back[day.visitors[(first[day.visitors] >= 0) & (gap > 0) & (gap <= kpis.RETURN_DAYS)]] = True
    return back


def _cohorts(period: Period, days: _Days, first: np.ndarray) -> tuple[dict[date, int], dict[tuple[date, int], int]]:
    """Members by month of first visit (first visits in the period), and how many of each month's
    first-timers visited in each later month of the period."""
    months = kpis.month_buckets(period.start, period.end)
    bounds = [m.toordinal() for m in months] + [kpis.add_months(months[-1], 1).toordinal()]
    sizes, active = {}, {}
    cohorts = {i: np.flatnonzero((first >= bounds[i]) & (first < bounds[i + 1])) for i in range(len(months))}
    cohorts = {i: members for i, members in cohorts.items() if len(members)}
    later = {j: days.mask("visitors", bounds[j], bounds[j + 1]) for j in range(1, len(months))} if cohorts else {}
    for i, cohort in cohorts.items():
        sizes[months[i]] = len(cohort)
        for j in range(i + 1, len(months)):
            seen = int(later[j][cohort].sum())
            if seen:
                active[(months[i], j - i)] = seen
    return sizes, active


def _weekly(period: Period, days: _Days) -> list[WeekPoint]:
    out = []
    for a, b in kpis.week_buckets(period.start, period.end):
        lo, hi = a.toordinal(), b.toordinal() + 1
        out.append(WeekPoint(a, b, days.total("enrolments", lo, hi), days.total("visits", lo, hi),
                             days.total("redemptions", lo, hi), days.total("revenue_cents", lo, hi)))
    return out


def segment_members(days: dict[int, Day], today: date, erased: np.ndarray,
                    thresholds: segments.Thresholds = segments.DEFAULT) -> dict[str, np.ndarray]:
    """Members of every segment but `lost` (the rest of the members not erased), for today.

    recent: a visit or the joining in the last at_risk_days days; seen: ... in the last lost_days
    (+1) days; new: joined in the last new_days days; loyal: recent, not new, and visits on
    loyal_visits days of the last 365."""
    t = today.toordinal()
    d = _Days(days, erased)
    kept = ~d.of(erased)

    def touched(since: int) -> np.ndarray:
        return (d.mask("visitors", since, t + 1) | d.mask("enrolled", since, t + 1)) & kept

    recent = touched(t - thresholds.at_risk_days + 1)
    seen = touched(t - thresholds.lost_days)
    new = d.mask("enrolled", t - thresholds.new_days, t + 1) & recent
    frequent = d.counts("visitors", t - YEAR_DAYS + 1, t + 1) >= thresholds.loyal_visits
    loyal = recent & ~new & frequent
    return {segments.NEW: np.flatnonzero(new), segments.LOYAL: np.flatnonzero(loyal),
            segments.REGULAR: np.flatnonzero(recent & ~new & ~loyal), segments.AT_RISK: np.flatnonzero(seen & ~recent)}


def visit_days_in_year(days: dict[int, Day], today: date) -> dict[int, int]:
    """Member number -> days with a visit in the 365 days up to today (the loyal rule's count)."""
    t = today.toordinal()
    counts = _Days(days).counts("visitors", t - YEAR_DAYS + 1, t + 1)
    members = np.flatnonzero(counts)
    return dict(zip(members.tolist(), counts[members].tolist()))
