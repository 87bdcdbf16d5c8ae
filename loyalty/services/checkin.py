"""Kiosk check-in: a scanned code becomes a visit stamp, or a clear reason why not."""
from __future__ import annotations

from dataclasses import dataclass

import peewee as pw

from loyalty import clock, events, ledger
from loyalty.services.context import Actor, audit, card_key, current_program, new_id, record
from loyalty.services.members import MemberStatus, add_entry, member_status
from loyalty.store import Card, Flag, LedgerEntry, Member, db
from loyalty.store.fields import as_utc
from loyalty.tokens import TokenError, parse_token
from loyalty.visits import birthday_bonus_due, local_day_start, visit_refusal

# Statuses a view renders. Only CHECKED_IN writes anything.
CHECKED_IN = "checked_in"
ALREADY = "already_checked_in"       # within the cool-down or over the daily limit: status only
NOT_OURS = ("foreign", "malformed", "tampered", "unknown", "revoked")


@dataclass(frozen=True)
class CheckInResult:
    status: str
    member: MemberStatus | None = None
    stamps_added: int = 0
    bonus_points: int = 0
    card_completed: bool = False
    refusal: str | None = None       # cooldown | daily_limit when status is ALREADY


def find_card(card_code: str) -> tuple[Card | None, str | None]:
    """The active card behind a scanned text, or why there is none. Reads only."""
    try:
        card_id = parse_token(card_code, card_key()).card_id
    except TokenError as exc:
        return None, exc.reason
    card = Card.get_or_none(Card.id == card_id)
    if card is None:
        return None, "unknown"
    if card.status != "active":
        return None, "revoked"
    return card, None


def check_in(card_code: str, actor: Actor) -> CheckInResult:
    card, problem = find_card(card_code)
    if problem:
        return CheckInResult(status=problem)
    program = current_program()
    member_id = card.member_id
    now = clock.now()
    with db.atomic(lock_type="IMMEDIATE"):
        last_visit = (LedgerEntry.select(pw.fn.MAX(LedgerEntry.created_at))
                      .where((LedgerEntry.member == member_id) & (LedgerEntry.kind == ledger.VISIT)).scalar())
        last_visit = as_utc(last_visit)
        day_start = local_day_start(now, program.timezone)
        visits_today = (LedgerEntry.select().where(
            (LedgerEntry.member == member_id) & (LedgerEntry.kind == ledger.VISIT)
            & (LedgerEntry.created_at >= day_start)).count())
        refusal = visit_refusal(last_visit, visits_today, now, program.cooldown_hours, program.daily_limit)
        if refusal:
            return CheckInResult(status=ALREADY, member=member_status(member_id), refusal=refusal)
        before = member_status(member_id)
        add_entry(member_id, ledger.VISIT, actor, stamps=1, reason="check-in")
        bonus = _birthday_bonus(member_id, actor, program, now)
        flag_busy_member(member_id, program.flag_transactions_per_day)
    after = member_status(member_id)
    result = CheckInResult(status=CHECKED_IN, member=after, stamps_added=1, bonus_points=bonus,
                           card_completed=after.full_cards > before.full_cards)
    events.publish(events.Event("checked_in", {"member_id": member_id, "first_name": after.first_name,
                                               "last_name": after.last_name, "rewards_ready": after.rewards_ready,
                                               "device_id": actor.device_id}))
    return result


def _birthday_bonus(member_id: str, actor: Actor, program, now) -> int:
    if not program.birthday_bonus:
        return 0
    member = Member.get_by_id(member_id)
    last = (LedgerEntry.select(pw.fn.MAX(LedgerEntry.created_at))
            .where((LedgerEntry.member == member_id) & (LedgerEntry.kind == ledger.BIRTHDAY)).scalar())
    last = as_utc(last)
    if not birthday_bonus_due(now, program.timezone, member.birthday_day, member.birthday_month,
                              member.birthday_set_at, last):
        return 0
    add_entry(member_id, ledger.BIRTHDAY, actor, points=program.birthday_bonus, reason="birthday bonus")
    return program.birthday_bonus


def flag_busy_member(member_id: str, limit: int) -> None:
    """Unusually many ledger entries today: flag once a day for the manager (possible misuse)."""
    program = current_program()
    day_start = local_day_start(clock.now(), program.timezone)
    today = LedgerEntry.select().where((LedgerEntry.member == member_id)
                                       & (LedgerEntry.created_at >= day_start)).count()
    if today <= limit:
        return
    already = Flag.select().where((Flag.member == member_id) & (Flag.kind == "many_transactions")
                                  & (Flag.at >= day_start)).exists()
    if not already:
        record(Flag(id=new_id(), member=member_id, kind="many_transactions",
                    detail=f"{today} transactions today", at=clock.now()))
