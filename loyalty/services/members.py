"""Members: enrolment, status, search, GDPR export and erasure."""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import peewee as pw

from loyalty import clock, ledger
from loyalty.contacts import clean_name, fold, normalise_email, normalise_phone
from loyalty.errors import Refused
from loyalty.member_search import best_hits
from loyalty.services.context import Actor, audit, card_key, card_keys, current_program, require_manager, require_staff
from loyalty.standing import rewards_ready
from loyalty.store import Card, ConsentEvent, LedgerEntry, Member, checkpoint, personal, queries, write
from loyalty.store.outbox import new_id, record
from loyalty.store.registry import (  # noqa: F401  (EXPORTED: the export's sections, for views)
    CENTS,
    EXPORTED,
    MEMBER_FIELDS,
    POINTS,
)
from loyalty.store.settings import HOME_LOCATION, get_setting
from loyalty.tokens import TokenError, make_token, parse_token
from loyalty.visits import stamp_card

CONSENT_PURPOSES = ("program", "marketing", "care")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MemberStatus:
    member_id: str
    first_name: str
    last_name: str | None
    points: int
    stamps_on_card: int
    stamps_per_card: int
    full_cards: int
    tier: str
    tier_name: dict[str, str]
    next_tier_name: dict[str, str] | None
    points_to_next_tier: int | None
    rewards_ready: list[str]
    next_visit_due: datetime | None   # the earliest recall; views never name the treatment
    plan: str | None
    perks: list[str]                  # reward codes the tier and the plan come with, for staff to honour
    flagged: bool
    erased: bool
    locale: str


@dataclass(frozen=True)
class EnrollResult:
    member_id: str
    created: bool            # False: the e-mail or phone belonged to an existing member
    card_token: str | None   # None when an existing member was found (their card stays valid)
    bonus_points: int
    status: MemberStatus


@dataclass(frozen=True)
class MemberSummary:
    member_id: str
    first_name: str
    last_name: str | None
    email: str | None
    phone: str | None
    points: int


def enroll(first_name: str, actor: Actor, *, email: str | None = None, phone: str | None = None,
           last_name: str | None = None, consent_program: bool = False, consent_marketing: bool = False,
           consent_care: bool = False, age_confirmed: bool = False, birthday_day: int | None = None,
           birthday_month: int | None = None, referrer_token: str | None = None, locale: str = "de",
           source: str = "kiosk", signup_bonus: bool = True) -> EnrollResult:
    program = current_program()
    first_name, last_name = clean_name(first_name), clean_name(last_name) or None
    if not first_name:
        raise Refused("first_name_required")
    if len(first_name) > 60 or (last_name and len(last_name) > 60):
        raise Refused("name_too_long")
    email = normalise_email(email) if email and email.strip() else None
    phone = normalise_phone(phone) if phone and phone.strip() else None
    if not email and not phone:
        raise Refused("contact_required")
    if not consent_program:
        raise Refused("consent_required")
    if program.minimum_age and not age_confirmed:
        raise Refused("age_required", age=program.minimum_age)
    if (birthday_day is None) != (birthday_month is None) or (
        birthday_day and not _valid_birthday(birthday_day, birthday_month)
    ):
        raise Refused("invalid_birthday")
    now = clock.now()
    with write():
        existing = find_by_contact(email, phone)
        if existing:
            return EnrollResult(existing.id, False, None, 0, member_status(existing.id))
        referrer = _referrer(referrer_token) if referrer_token else None
        member = record(Member(
            id=new_id(), first_name=first_name, last_name=last_name,
            name_key=fold(f"{first_name} {last_name or ''}"), last_key=fold(last_name) if last_name else None,
            email=email, phone=phone, phone_key=phone[1:] if phone else None,
            birthday_day=birthday_day, birthday_month=birthday_month,
            birthday_set_at=now if birthday_day else None, locale=locale,
            referred_by=referrer.id if referrer else None, created_at=now, created_device=actor.device_id,
            home_location=get_setting(HOME_LOCATION)))
        for purpose, granted in (("program", True), ("marketing", consent_marketing), ("care", consent_care)):
            if granted:
                record(ConsentEvent(id=new_id(), member=member.id, purpose=purpose, granted=True, at=now,
                                    device_id=actor.device_id, staff_id=actor.staff_id, source=source))
        token = issue_card(member.id)
        bonus = 0
        if program.signup_bonus and signup_bonus:
            bonus += program.signup_bonus
            add_entry(member.id, ledger.SIGNUP, actor, points=program.signup_bonus, reason="signup bonus")
        if referrer and program.referral_bonus:
            bonus += program.referral_bonus
            add_entry(
                member.id, ledger.REFERRAL, actor, points=program.referral_bonus, reason="referred", ref=referrer.id
            )
            add_entry(
                referrer.id, ledger.REFERRAL, actor, points=program.referral_bonus, reason="referral", ref=member.id
            )
        if actor.is_staff:
            audit(actor, "enroll", member.id)
    return EnrollResult(member.id, True, token, bonus, member_status(member.id))


def _valid_birthday(day: int, month: int) -> bool:
    if not (isinstance(day, int) and isinstance(month, int) and 1 <= day <= 31 and 1 <= month <= 12):
        return False      # datetime() raises OverflowError, not ValueError, for a day of 10^20
    try:
        datetime(2000, month, day)   # a leap year, so 29 February is allowed
        return True
    except (TypeError, ValueError):
        return False


def find_by_contact(email: str | None, phone: str | None) -> Member | None:
    query = Member.select().where(Member.erased_at.is_null())
    if email and phone:
        query = query.where((Member.email == email) | (Member.phone == phone))
    elif email:
        query = query.where(Member.email == email)
    else:
        query = query.where(Member.phone == phone)
    return query.order_by(Member.created_at).first()


def _referrer(token: str) -> Member:
    try:
        card_id = parse_token(token, *card_keys()).card_id
    except TokenError:
        raise Refused("referral_invalid") from None
    card = Card.get_or_none((Card.id == card_id) & (Card.status == "active"))
    if card is None:
        raise Refused("referral_invalid")
    return card.member


def issue_card(member_id: str) -> str:
    from loyalty.tokens import new_card_id
    card = record(Card(id=new_card_id(), member=member_id, status="active", issued_at=clock.now()))
    return make_token(card.id, card_key())


def add_entry(member_id: str, kind: str, actor: Actor, *, points: int = 0, stamps: int = 0,
              amount_cents: int = 0, item_code: str | None = None, reward_code: str | None = None,
              ref: str | None = None, reason: str = "", entry_id: str | None = None,
              at: datetime | None = None, config_version: int | None = None) -> LedgerEntry:
    from loyalty.services.context import program_version
    if not (POINTS[0] <= points <= POINTS[1] and POINTS[0] <= stamps <= POINTS[1]):
        raise Refused("points_too_many", limit=POINTS[1])
    if not CENTS[0] <= amount_cents <= CENTS[1]:
        raise Refused("amount_too_large", limit_cents=CENTS[1])
    return record(LedgerEntry(
        id=entry_id or new_id(), member=member_id, kind=kind, points=points, stamps=stamps,
        amount_cents=amount_cents, item_code=item_code, reward_code=reward_code, ref=ref,
        device_id=actor.device_id, staff_id=actor.staff_id, reason=reason, created_at=at or clock.now(),
        config_version=program_version() if config_version is None else config_version))


def get_member(member_id: str) -> Member:
    member = Member.get_or_none(Member.id == member_id)
    if member is None:
        raise Refused("member_unknown")
    return member


def active_member(member_id: str) -> Member:
    """A member who may still earn, spend and be changed: an erased member is unknown here."""
    member = get_member(member_id)
    if member.erased_at is not None:
        raise Refused("member_unknown")
    return member


def balances(member_id: str) -> tuple[int, int]:
    row = (LedgerEntry.select(pw.fn.COALESCE(pw.fn.SUM(LedgerEntry.points), 0),
                              pw.fn.COALESCE(pw.fn.SUM(LedgerEntry.stamps), 0))
           .where(LedgerEntry.member == member_id).tuples().get())
    return int(row[0]), int(row[1])


def tier_points(member_id: str, now: datetime | None = None) -> int:
    since = (now or clock.now()) - timedelta(days=365)
    return int(LedgerEntry.select(pw.fn.COALESCE(pw.fn.SUM(LedgerEntry.points), 0))
               .where((LedgerEntry.member == member_id) & (LedgerEntry.kind.in_(ledger.TIER_KINDS))
                      & (LedgerEntry.created_at >= since)).scalar())


@dataclass(frozen=True)
class LedgerSummary:
    """One pass over a member's ledger: what status and check-in rules need."""
    points: int
    stamps: int
    tier_points: int                   # earned in the rolling 12 months
    last_visit: datetime | None
    visits_today: int
    entries_today: int
    last_birthday_bonus: datetime | None
    first_visit: datetime | None


def ledger_summary(member_id: str, now: datetime, day_start: datetime) -> LedgerSummary:
    """One indexed pass instead of one query per figure: a check-in must stay under a few milliseconds."""
    return LedgerSummary(*queries.ledger_summary(member_id, ledger.TIER_KINDS, now - timedelta(days=365),
                                                 day_start, ledger.VISIT, ledger.BIRTHDAY))


def member_with_extras(member_id: str, now: datetime) -> Member:
    """The member row plus next recall (x_due), active plan (x_plan) and open flags (x_flags)."""
    member = queries.member_with_extras(member_id, now - timedelta(days=30))
    if member is None:
        raise Refused("member_unknown")
    return member


def build_status(program, member: Member, summary: LedgerSummary, *, flagged: bool | None = None) -> MemberStatus:
    """A member's status from rows already read; pure, so check-in can show the state after its write."""
    points, stamps, earned = summary.points, summary.stamps, summary.tier_points
    tier = program.tier_for(earned)
    upcoming = program.next_tier(earned)
    card = stamp_card(stamps, program.stamps_per_card)
    ready = rewards_ready(program, points, stamps)
    return MemberStatus(
        member_id=member.id, first_name=member.first_name or "", last_name=member.last_name,
        points=points, stamps_on_card=card.on_card, stamps_per_card=card.per_card,
        full_cards=card.full_cards, tier=tier.code, tier_name=tier.name,
        next_tier_name=upcoming.name if upcoming else None,
        points_to_next_tier=(upcoming.threshold - earned) if upcoming else None,
        rewards_ready=ready, next_visit_due=member.x_due, plan=member.x_plan,
        perks=perks_of(program, tier, member.x_plan),
        flagged=bool(member.x_flags) if flagged is None else flagged,
        erased=member.erased_at is not None, locale=member.locale)


def perks_of(program, tier, plan_code: str | None) -> list[str]:
    """The tier's perks, then the plan's, each once (a program that no longer has the plan: none)."""
    plan = program.plans.get(plan_code) if plan_code else None
    return list(dict.fromkeys([*tier.perks, *(plan.perks if plan else ())]))


def member_status(member_id: str) -> MemberStatus:
    from loyalty.visits import local_day_start
    program = current_program()
    now = clock.now()
    member = member_with_extras(member_id, now)
    return build_status(program, member, ledger_summary(member_id, now, local_day_start(now, program.timezone)))


def search(query: str, limit: int = 20) -> list[MemberSummary]:
    """Prefix search as you type: name (first, last or both), e-mail or phone (`loyalty.member_search`'s
    rules, which HQ's console uses too), each range an indexed scan that stops after `limit` rows."""
    rows = best_hits(query, limit, queries.members_by_prefix)
    if not rows:
        return []
    sums = queries.points_of([r.id for r in rows])
    return [MemberSummary(r.id, r.first_name or "", r.last_name, r.email, r.phone, sums.get(r.id, 0)) for r in rows]


def set_consent(member_id: str, purpose: str, granted: bool, actor: Actor, source: str = "staff") -> None:
    if purpose not in CONSENT_PURPOSES:
        raise Refused("consent_unknown", purpose=purpose)
    with write():
        active_member(member_id)
        record(ConsentEvent(id=new_id(), member=member_id, purpose=purpose, granted=granted, at=clock.now(),
                            device_id=actor.device_id, staff_id=actor.staff_id, source=source))
        if actor.is_staff:
            audit(actor, "consent", member_id, purpose=purpose, granted=granted)


def consents(member_id: str) -> dict[str, bool]:
    """The consent in force per purpose: the latest event wins; on a tie, withdrawal wins."""
    state = {p: False for p in CONSENT_PURPOSES}
    events = ConsentEvent.select().where(ConsentEvent.member == member_id).order_by(
        ConsentEvent.at, ConsentEvent.granted.desc())
    for event in events:
        state[event.purpose] = event.granted
    return state


def update_profile(member_id: str, actor: Actor, **fields) -> MemberStatus:
    """Staff edits: names, contact, birthday, note, language. Validated like enrolment."""
    require_staff(actor)
    allowed = {"first_name", "last_name", "email", "phone", "birthday_day", "birthday_month", "note", "locale"}
    unknown = set(fields) - allowed
    if unknown:
        raise Refused("field_unknown", field=", ".join(sorted(unknown)))
    with write():
        member = active_member(member_id)
        if "email" in fields:
            fields["email"] = normalise_email(fields["email"]) if fields["email"] else None
        if "phone" in fields:
            fields["phone"] = normalise_phone(fields["phone"]) if fields["phone"] else None
            member.phone_key = fields["phone"][1:] if fields["phone"] else None
        for key in ("first_name", "last_name"):
            if key in fields:
                fields[key] = clean_name(fields[key]) or None
        if "first_name" in fields and not fields["first_name"]:
            raise Refused("first_name_required")
        if any(len(fields.get(key) or "") > 60 for key in ("first_name", "last_name")):
            raise Refused("name_too_long")
        if "birthday_day" in fields or "birthday_month" in fields:
            day, month = (
                fields.get("birthday_day", member.birthday_day),
                fields.get("birthday_month", member.birthday_month),
            )
            if (day is None) != (month is None) or (day and not _valid_birthday(day, month)):
                raise Refused("invalid_birthday")
            member.birthday_set_at = clock.now() if day else None
        for key, value in fields.items():
            setattr(member, key, value)
        if not member.email and not member.phone:
            raise Refused("contact_required")
        member.name_key = fold(f"{member.first_name} {member.last_name or ''}")
        member.last_key = fold(member.last_name) if member.last_name else None
        record(member, insert=False)
        audit(actor, "profile", member_id, fields=sorted(fields))
    return member_status(member_id)


def export_member(member_id: str, actor: Actor) -> dict:
    """Everything we hold about one member (GDPR Art. 15), as JSON-ready data: the registry's sections."""
    require_staff(actor)
    get_member(member_id)
    data: dict = personal.export_rows(member_id)
    data["member"] = data["member"][0]
    data["status"] = asdict(member_status(member_id))
    data["status"]["next_visit_due"] = data["status"]["next_visit_due"] and data["status"]["next_visit_due"].isoformat()
    with write():
        audit(actor, "export", member_id)
    return data


def erase_member(member_id: str, actor: Actor) -> None:
    """GDPR erasure: personal and health data gone, ledger amounts kept under an anonymous id.

    Committed, the WAL is checkpointed and emptied, so the erased values are gone from the files
    on disk too (deleted content is zeroed: `secure_delete`), not only from the tables.

    What goes and what stays is each record type's rule in `loyalty.store.registry`. One event
    travels: the member's erasure, which HQ and every other station apply to their own copies
    (`forget_member`), so nothing of the person is left anywhere after sync; the cards are
    revoked, so the old code stops everywhere.
    """
    require_manager(actor)
    with write():
        erase_in_transaction(member_id, actor)
    empty_wal_after_erasure(member_id)


def erase_in_transaction(member_id: str, actor: Actor) -> None:
    """The erasure's writes, in the caller's transaction (a manager confirming a patient's request
    closes it in the same one); `empty_wal_after_erasure` follows the commit."""
    member = get_member(member_id)
    if member.erased_at:
        raise Refused("already_erased")
    now = clock.now()
    for name in MEMBER_FIELDS:
        setattr(member, name, None)
    member.erased_at = now
    record(member, insert=False, op="erase")
    for card in Card.select().where((Card.member == member_id) & (Card.status == "active")):
        card.status, card.revoked_at, card.revoked_reason = "revoked", now, "erased"
        record(card, insert=False)
    forget_member(member_id)
    audit(actor, "erase", member_id)


def empty_wal_after_erasure(member_id: str) -> None:
    """After the erasure's commit: no earlier version of the erased rows stays in the WAL."""
    if not checkpoint():
        log.warning("erasure of %s: a reader kept the WAL from being emptied; SQLite reuses it later", member_id)


def forget_member(member_id: str) -> None:
    """Scrub an erased member's records on this station, queued events included; writes no events.

    Runs in the caller's transaction, for an erasure made here or pulled from HQ.
    """
    personal.forget(member_id)
