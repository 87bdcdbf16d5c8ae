"""Kiosk check-in: a scanned code becomes a visit stamp, or a clear reason why not."""
from __future__ import annotations

from dataclasses import dataclass, replace

from loyalty import clock, events, ledger
from loyalty.services.context import Actor, card_keys, program_in_force
from loyalty.services.flags import flag_if_busy
from loyalty.services.members import MemberStatus, add_entry, build_status, ledger_summary, member_with_extras
from loyalty.store import Card, queries, write
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
    first_visit: bool = False        # no visit before today: "Welcome", not "Welcome back"


def find_card(card_code: str) -> tuple[Card | None, str | None]:
    """The active card behind a scanned text, or why there is none. Reads only."""
    try:
        card_id = parse_token(card_code, *card_keys()).card_id
    except TokenError as exc:
        return None, exc.reason
    card = queries.card(card_id)
    if card is None:
        return None, "unknown"
    if card.status != "active":
        return None, "revoked"
    return card, None


def check_in(card_code: str, actor: Actor) -> CheckInResult:
    """A stamp, a birthday bonus when due, or the status only; a handful of queries in one transaction."""
    card, problem = find_card(card_code)
    if problem:
        return CheckInResult(status=problem)
    version, program = program_in_force()
    member_id = card.member_id
    now = clock.now()
    day_start = local_day_start(now, program.timezone)
    with write():
        member = member_with_extras(member_id, now)
        summary = ledger_summary(member_id, now, day_start)
        before = build_status(program, member, summary)
        refusal = visit_refusal(summary.last_visit, summary.visits_today, now, program.cooldown_hours,
                                program.daily_limit)
        first_visit = summary.first_visit is None or summary.first_visit >= day_start
        if refusal:
            return CheckInResult(status=ALREADY, member=before, refusal=refusal, first_visit=first_visit)
        add_entry(member_id, ledger.VISIT, actor, stamps=1, reason="check-in", config_version=version)
        bonus = 0
        if program.birthday_bonus and birthday_bonus_due(now, program.timezone, member.birthday_day,
                                                         member.birthday_month, member.birthday_set_at,
                                                         summary.last_birthday_bonus):
            bonus = program.birthday_bonus
            add_entry(member_id, ledger.BIRTHDAY, actor, points=bonus, reason="birthday bonus",
                      config_version=version)
        busy = flag_if_busy(member_id, summary.entries_today + 1 + bool(bonus),
                             program.flag_transactions_per_day, day_start)
        after = build_status(program, member, replace(summary, points=summary.points + bonus,
                                                      stamps=summary.stamps + 1),
                             flagged=before.flagged or busy)
    result = CheckInResult(status=CHECKED_IN, member=after, stamps_added=1, bonus_points=bonus,
                           card_completed=after.full_cards > before.full_cards, first_visit=first_visit)
    events.publish(events.Event("checked_in", {"member_id": member_id, "first_name": after.first_name,
                                               "last_name": after.last_name, "rewards_ready": after.rewards_ready,
                                               "device_id": actor.device_id}))
    return result

