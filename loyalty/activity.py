"""What one member adds to their home location's day rollups: pure, no I/O.

This is the definition the rollups are kept to. HQ recomputes a member's share from their records
whenever a push touches them and applies the difference to the old share (`changes`); the
station's triggers (migration 0015) keep the same sums entry by entry, and the tests compare both
with this.

A ledger entry that an undo of the same member refers to counts nowhere, except in the balance
(the undo carries its own reversing points). Revenue is what purchases and treatments were
charged minus refunds; a paid transaction is a purchase or a treatment.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from loyalty import kpis, ledger

REVENUE_KINDS = (ledger.PURCHASE, ledger.TREATMENT, ledger.REFUND)
PAID_KINDS = (ledger.PURCHASE, ledger.TREATMENT)
EARNING_KINDS = (ledger.SIGNUP, ledger.VISIT, ledger.PURCHASE, ledger.TREATMENT, ledger.REFERRAL,
                 ledger.BIRTHDAY, ledger.REFUND)


@dataclass(frozen=True)
class Entry:
    id: str
    kind: str
    points: int
    amount_cents: int
    ref: str | None
    at: datetime


@dataclass(frozen=True)
class Treatment:
    item_code: str
    performed_at: datetime
    recall_due: datetime | None
    entry: str | None


@dataclass(frozen=True)
class Records:
    """One member as the rollups need them."""
    n: int                            # the member's number in the rollups' member sets
    home: str | None                  # the location they belong to
    created_at: datetime
    erased: bool
    entries: tuple[Entry, ...] = ()
    scores: tuple[tuple[datetime, int], ...] = ()   # (when, 0-10) of feedback with a score
    treatments: tuple[Treatment, ...] = ()


RecallKey = tuple[str, int, int, bool]   # item code, day performed, last day to rebook, rebooked


@dataclass(frozen=True)
class Share:
    home: str | None
    n: int
    sums: dict[int, dict[str, int]]           # day -> SUMS that are not zero
    visit_days: frozenset[int]
    first_day: int | None
    created_day: int
    recalls: dict[RecallKey, int] = field(default_factory=dict)


def local_day(moment: datetime, zone: str) -> int:
    return moment.astimezone(ZoneInfo(zone)).date().toordinal()


def share(member: Records, zone: str) -> Share:
    """The member's contribution to their home's days."""
    undone = {e.ref for e in member.entries if e.kind == ledger.UNDO and e.ref}
    sums: dict[int, dict[str, int]] = {}

    def add(day: int, name: str, value: int) -> None:
        if value:
            row = sums.setdefault(day, {})
            row[name] = row.get(name, 0) + value

    created_day = local_day(member.created_at, zone)
    add(created_day, "enrolments", 1)
    visit_days = set()
    for e in member.entries:
        if e.id in undone:
            continue
        day = local_day(e.at, zone)
        if e.kind == ledger.VISIT:
            add(day, "visits", 1)
            visit_days.add(day)
        if e.kind in PAID_KINDS:
            add(day, "paid", 1)
        if e.kind in REVENUE_KINDS:
            add(day, "revenue_cents", e.amount_cents)
        if e.kind == ledger.REDEEM:
            add(day, "redemptions", 1)
            add(day, "redeemed_points", -e.points)
            add(day, "redeemed_value_cents", e.amount_cents)
        if e.kind in EARNING_KINDS:
            add(day, "earned_points", e.points)
    for at, score in member.scores:
        day = local_day(at, zone)
        add(day, "responses", 1)
        add(day, "promoters", int(score >= 9))
        add(day, "detractors", int(score <= 6))
    if not member.erased:
        for day, delta in held_deltas(member.entries, zone).items():
            add(day, "held_delta", delta)
    return Share(member.home, member.n, {d: row for d, row in sums.items() if any(row.values())},
                 frozenset(visit_days), min(visit_days, default=None), created_day,
                 {} if member.erased else recalls(member, undone, zone))


def held_deltas(entries: tuple[Entry, ...], zone: str) -> dict[int, int]:
    """Day -> change of the member's positive balance at the day's end: summed over the days before a
    moment it is what the member holds then (a member in debt holds nothing)."""
    per_day: dict[int, int] = {}
    for e in entries:
        day = local_day(e.at, zone)
        per_day[day] = per_day.get(day, 0) + e.points
    out, balance = {}, 0
    for day in sorted(per_day):
        before, balance = balance, balance + per_day[day]
        if max(balance, 0) != max(before, 0):
            out[day] = max(balance, 0) - max(before, 0)
    return out


def recalls(member: Records, undone: set[str], zone: str) -> dict[RecallKey, int]:
    """Treatments with a recall date, by day performed and the last day to rebook (recall date plus
    the grace days); rebooked when the same treatment followed by then."""
    live = [t for t in member.treatments if t.entry is None or t.entry not in undone]
    out: dict[RecallKey, int] = {}
    grace = timedelta(days=kpis.REBOOK_GRACE_DAYS)
    for t in live:
        if t.recall_due is None:
            continue
        rebooked = any(n.item_code == t.item_code and t.performed_at < n.performed_at <= t.recall_due + grace
                       for n in live)
        key = (t.item_code, local_day(t.performed_at, zone), local_day(t.recall_due + grace, zone), rebooked)
        out[key] = out.get(key, 0) + 1
    return out


@dataclass(frozen=True)
class Tail:
    """What entries appended to a member's history need of it: a new visit or entry on or after the
    member's last day changes only that day, so HQ applies it without reading the history."""
    n: int
    home: str | None
    erased: bool
    first_day: int | None             # first visit day
    last_visit_day: int | None
    last_day: int | None              # the latest day with any entry
    balance: int
    undos: int                        # undo entries: with any, an arriving entry may be one already undone


def tail(member: Records, zone: str) -> Tail:
    visits = share(member, zone).visit_days
    return Tail(member.n, member.home, member.erased, min(visits, default=None), max(visits, default=None),
                max((local_day(e.at, zone) for e in member.entries), default=None),
                sum(e.points for e in member.entries), sum(1 for e in member.entries if e.kind == ledger.UNDO))


def extends(before: Tail, entries: list[Entry], zone: str) -> bool:
    """Whether these new entries only add to the end of the member's history (see Tail)."""
    if before.erased or before.undos:
        return False
    for e in entries:
        day = local_day(e.at, zone)
        if e.kind == ledger.UNDO or (before.last_day is not None and day < before.last_day):
            return False
    return True


def append(before: Tail, entries: list[Entry], scores: list[tuple[datetime, int]], zone: str, out: "Changes") -> Tail:
    """What new entries and ratings at the end of a member's history add, into `out`; the new tail."""
    first, last_visit, last, balance = before.first_day, before.last_visit_day, before.last_day, before.balance
    for e in sorted(entries, key=lambda e: e.at):
        day = local_day(e.at, zone)
        row = {"visits": int(e.kind == ledger.VISIT), "paid": int(e.kind in PAID_KINDS),
               "revenue_cents": e.amount_cents if e.kind in REVENUE_KINDS else 0,
               "redemptions": int(e.kind == ledger.REDEEM),
               "redeemed_points": -e.points if e.kind == ledger.REDEEM else 0,
               "redeemed_value_cents": e.amount_cents if e.kind == ledger.REDEEM else 0,
               "earned_points": e.points if e.kind in EARNING_KINDS else 0,
               "held_delta": max(balance + e.points, 0) - max(balance, 0)}
        out.add_sums(before.home, day, row, 1)
        balance += e.points
        last = day if last is None else max(last, day)
        if e.kind == ledger.VISIT:
            if last_visit is None or day > last_visit:
                out.move(before.home, day, "visitors", before.n, into=True)
                last_visit = day
            if first is None:
                out.move(before.home, day, "firsts", before.n, into=True)
                first = day
    for at, score in scores:
        out.add_sums(before.home, local_day(at, zone),
                     {"responses": 1, "promoters": int(score >= 9), "detractors": int(score <= 6)}, 1)
    return Tail(before.n, before.home, before.erased, first, last_visit, last, balance, before.undos)


@dataclass
class Changes:
    """What to add to the location rollups: sums per (home, day), members in and out of the day
    sets per (home, day, set), recall counts per (home, recall key)."""
    sums: dict[tuple[str | None, int], dict[str, int]] = field(default_factory=dict)
    sets: dict[tuple[str | None, int, str], tuple[set[int], set[int]]] = field(default_factory=dict)
    recalls: dict[tuple[str | None, RecallKey], int] = field(default_factory=dict)

    def add_sums(self, home: str | None, day: int, row: dict[str, int], sign: int) -> None:
        target = self.sums.setdefault((home, day), {})
        for name, value in row.items():
            target[name] = target.get(name, 0) + sign * value

    def move(self, home: str | None, day: int, kind: str, n: int, into: bool) -> None:
        """Member n joins (into) or leaves the set; a leave and a join of one member cancel out."""
        added, removed = self.sets.setdefault((home, day, kind), (set(), set()))
        undo, do = (removed, added) if into else (added, removed)
        if n in undo:
            undo.discard(n)
        else:
            do.add(n)

    def tidy(self) -> "Changes":
        self.sums = {k: row for k, row in self.sums.items() if any(row.values())}
        self.sets = {k: v for k, v in self.sets.items() if v[0] or v[1]}
        self.recalls = {k: v for k, v in self.recalls.items() if v}
        return self


def changes(pairs: list[tuple[Share | None, Share | None]]) -> Changes:
    """The difference between old and new shares (None: no share), over many members."""
    out = Changes()
    for old, new in pairs:
        if old == new:
            continue
        for share_, sign in ((old, -1), (new, 1)):
            if share_ is None:
                continue
            for day, row in share_.sums.items():
                out.add_sums(share_.home, day, row, sign)
            for key, count in share_.recalls.items():
                out.recalls[(share_.home, key)] = out.recalls.get((share_.home, key), 0) + sign * count
            for kind, days in (("visitors", share_.visit_days),
                               ("firsts", () if share_.first_day is None else (share_.first_day,)),
                               ("enrolled", (share_.created_day,))):
                for day in days:
                    out.move(share_.home, day, kind, share_.n, into=sign > 0)
    return out.tidy()

