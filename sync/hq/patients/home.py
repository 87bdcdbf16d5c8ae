"""The app's home screen: the member's card, where they stand, their plan and their history, read
from HQ's merged rows of this member only (about ten index lookups; `bench/patient_app.py`)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from loyalty.errors import Refused
from loyalty.program import Program
from loyalty.standing import Entry, PlanUse, Standing, plan_use, standing
from loyalty.store.fields import as_utc
from loyalty.tokens import make_token
from sync.hq import rows
from sync.hq.db import CardKey, now
from sync.hq.program import program_in_force

HISTORY = 50          # entries shown, newest first
RECALL_SINCE = timedelta(days=30)


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    kind: str                  # the ledger kind; the app says it in words, never naming a treatment
    points: int
    stamps: int
    reward_code: str | None


@dataclass(frozen=True)
class Home:
    member_id: str
    first_name: str
    locale: str
    program: Program
    card_token: str | None     # None when the member has no active card (lost and not reissued)
    standing: Standing
    plan: PlanUse | None
    next_visit_due: datetime | None
    history: list[HistoryLine]
    visits: int


def program() -> Program:
    found = program_in_force()
    if found is None:
        raise Refused("app_not_set_up")
    return found


def home(member_id: str, moment: datetime | None = None) -> Home:
    moment = moment or datetime.fromtimestamp(now(), timezone.utc)
    member = rows.row("member", member_id)
    if member is None or member.get("erased_at"):
        raise Refused("member_unknown")
    current = program()
    ledger = sorted(rows.owned("ledger_entry", member_id), key=lambda r: (r["created_at"], r["id"]))
    entries = [Entry(r["id"], r["kind"], int(r.get("points") or 0), int(r.get("stamps") or 0),
                     as_utc(r["created_at"])) for r in ledger]
    cards = [c for c in rows.owned("card", member_id) if c.get("status") == "active"]
    card = max(cards, key=lambda c: c["issued_at"]) if cards else None
    token = make_token(card["id"], bytes.fromhex(CardKey.get_by_id(1).secret)) if card else None
    history = [HistoryLine(e.created_at, e.kind, e.points, e.stamps, raw.get("reward_code"))
               for e, raw in zip(reversed(entries[-HISTORY:]), reversed(ledger[-HISTORY:]))]
    return Home(member_id, member.get("first_name") or "", member.get("locale") or "de", current, token,
                standing(current, entries, moment), _plan(current, member_id, moment),
                _next_visit(member_id, moment), history, sum(1 for e in entries if e.kind == "visit"))


def _plan(current: Program, member_id: str, moment: datetime) -> PlanUse | None:
    active = [m for m in rows.owned("membership", member_id) if m.get("status") == "active"]
    if not active:
        return None
    membership = max(active, key=lambda m: m["started_at"])
    plan = current.plans.get(membership["plan_code"])
    if plan is None:
        return None
    uses = [(u["benefit_code"], as_utc(u["period_start"])) for u in rows.through("benefit_use", [membership["id"]])]
    return plan_use(plan, as_utc(membership["started_at"]), uses, moment)


def _next_visit(member_id: str, moment: datetime) -> datetime | None:
    due = [as_utc(t["recall_due"]) for t in rows.owned("treatment", member_id) if t.get("recall_due")]
    due = [d for d in due if d >= moment - RECALL_SINCE]
    return min(due) if due else None
