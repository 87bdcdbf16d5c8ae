"""The message outbox: plan reminders from the data, send them once, count who came back.

Planning is idempotent: each message has a unique key (member + trigger + occasion), so a pass
run twice, after a restart or from cron and the station at once, plans nothing twice.
Sending: planned -> sending (committed before the send) -> sent. A message found in `sending`
after its lease is `uncertain` and becomes a staff task; it is never resent blindly.
Feedback and follow-ups are never read here: they do not feed marketing.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import peewee as pw

from loyalty import clock, ledger, recall, segments
from loyalty.adapters.channels import Channel, DeliveryError, DeliveryUncertain, Outgoing
from loyalty.contacts import normalise_phone
from loyalty.errors import Refused
from loyalty.periods import add_months
from loyalty.services.context import Actor, audit, card_key, card_keys, current_program, require_staff
from loyalty.services.followups import open_follow_up
from loyalty.services.members import consents, set_consent
from loyalty.store import LedgerEntry, Member, Treatment, db, write
from loyalty.store.fields import as_utc
from loyalty.store.models import Message
from loyalty.store.outbox import new_id
from loyalty.store.settings import GROUP_CARD_KEY, HOME_LOCATION, HQ_SECRET, device_id, get_setting
from loyalty.templates import CHECKINS, render, template_for
from loyalty.tokens import WELCOME_DAYS, same_text, welcome_token
from loyalty.visits import birthday_bonus_due

log = logging.getLogger(__name__)

# Which consent each trigger needs. Care (aftercare, recalls) and marketing are kept apart;
# the welcome carries the card the member just asked for, and the warning that points expire is
# part of the program they agreed to: both under the program consent.
PURPOSE = {"welcome": "program", "recall": "care", "aftercare": "care", "birthday": "marketing",
           "expiry": "program", "reward_ready": "marketing", "win_back": "marketing", "tier": "marketing"}
TRIGGERS = tuple(PURPOSE)
RETURN_WINDOW = timedelta(days=30)      # a visit this soon after a message counts as a return from it
LEASE = timedelta(minutes=5)            # longer than any channel timeout: `sending` older than this crashed
MAX_ATTEMPTS = 6
WELCOME_WINDOW = timedelta(days=2)      # members who joined this recently get a welcome
RETURN_KINDS = (ledger.VISIT, ledger.PURCHASE, ledger.TREATMENT)
STOP_WORDS = ("STOP", "STOPP", "ABMELDEN", "UNSUBSCRIBE", "ENDE")


@dataclass(frozen=True)
class PlanReport:
    planned: dict[str, int]      # trigger -> new messages

    @property
    def total(self) -> int:
        return sum(self.planned.values())


@dataclass(frozen=True)
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    uncertain: int = 0
    quiet: bool = False          # nothing was tried: quiet hours


@dataclass(frozen=True)
class TriggerReturn:
    trigger: str
    sent: int
    returned: int                # members with a visit, purchase or treatment within 30 days after
    rate: float | None


@dataclass(frozen=True)
class MessageOutboxState:
    queued: int                  # planned or sending, waiting for their time
    sent: int
    failed: int
    uncertain: int               # staff must check whether it went out
    skipped: int
    last_sent_at: datetime | None
    next_due_at: datetime | None


@dataclass(frozen=True)
class WelcomeDelivery:
    """Where and when a new member's card goes out: the screen that enrols tells them honestly."""
    channel: str                  # "email" or "sms"
    to: str                       # the address or number; a public screen masks it
    not_before: datetime | None   # the quiet hours hold it until then; None: within a minute or so


@dataclass(frozen=True)
class UnsubscribeResult:
    member_id: str
    purpose: str
    first_name: str
    locale: str


# --- planning -----------------------------------------------------------------------------------

def plan_messages(now: datetime | None = None, triggers: tuple[str, ...] = TRIGGERS) -> PlanReport:
    """The daily pass: every reminder due soon, for members who agreed to it. Safe to repeat."""
    now = now or clock.now()
    program = current_program()
    policy = recall.message_policy(program.messages, program.timezone)
    planners = {"welcome": _welcome, "birthday": _birthday, "expiry": _expiry, "reward_ready": _reward_ready,
                "win_back": _win_back, "tier": _tier, "recall": _recall, "aftercare": _aftercare}
    reachable = _reachable_members()
    allowed = {purpose: _consenting(purpose) & reachable for purpose in {PURPOSE[t] for t in triggers}}
    counts = {}
    for trigger in triggers:
        rows = [r for r in planners[trigger](now, program, policy) if r["member"] in allowed[PURPOSE[trigger]]]
        counts[trigger] = _insert(rows, trigger, now)
    return PlanReport(counts)


_COLUMNS = ("id", "key", "member_id", "trigger", "step", "purpose", "params", "due_at", "expires_at", "status",
            "attempts", "created_at")
_INSERT = (f'INSERT OR IGNORE INTO "message" ({", ".join(_COLUMNS)}) '
           f'VALUES ({", ".join("?" for _ in _COLUMNS)})')


def _insert(rows: list[dict], trigger: str, now: datetime) -> int:
    """INSERT OR IGNORE on the unique key: a message planned before is left as it is."""
    keys = [r["key"] for r in rows]
    known = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        known.update(k for (k,) in db.execute_sql(
            f'SELECT "key" FROM "message" WHERE "key" IN ({", ".join("?" for _ in chunk)})', chunk))
    rows = [r for r in rows if r["key"] not in known]
    if not rows:
        return 0
    ts = Message.due_at.db_value
    values = [(new_id(), r["key"], r["member"], trigger, r.get("step"), PURPOSE[trigger],
               json.dumps(r.get("params", {})), ts(r["due_at"]), ts(r["expires_at"]), "planned", 0, ts(now))
              for r in rows]
    with write():
        connection = db.connection()
        before = connection.total_changes
        connection.executemany(_INSERT, values)
        return connection.total_changes - before


def _reachable_members() -> set[str]:
    """Members with a contact that this station sends for.

    In a group every station holds every member, so each member has one sender: the station of
    the location they joined at (one station per location), or for a member who joined before
    their station was linked to HQ, that station. A station on its own sends for everyone.
    """
    sql = 'SELECT id FROM member WHERE erased_at IS NULL AND (email IS NOT NULL OR phone IS NOT NULL)'
    if get_setting(HQ_SECRET) is None:
        return {m for (m,) in db.execute_sql(sql)}
    sql += ' AND (home_location = ? OR (home_location IS NULL AND created_device = ?))'
    return {m for (m,) in db.execute_sql(sql, (get_setting(HOME_LOCATION), device_id()))}


def _consenting(purpose: str) -> set[str]:
    """Members whose latest consent event for the purpose grants it (on a tie, withdrawal wins)."""
    state: dict[str, int] = {}
    for member_id, granted in db.execute_sql(
            'SELECT member_id, granted FROM consent_event WHERE purpose = ? ORDER BY at, granted DESC', (purpose,)):
        state[member_id] = granted
    return {m for m, granted in state.items() if granted}


def _local_day(now: datetime, tz: str) -> date:
    return now.astimezone(ZoneInfo(tz)).date()


def _welcome(now, program, policy):
    for member_id, created in Member.select(Member.id, Member.created_at).where(
            Member.created_at >= now - WELCOME_WINDOW).tuples():
        yield {"member": member_id, "key": f"welcome:{member_id}", "due_at": created,
               "expires_at": created + timedelta(days=7)}


def _birthday(now, program, policy):
    """Wishes on the birthday; the gift of points is promised only when a visit will give it
    (loyalty.visits.birthday_bonus_due on the day: not for a birthday entered in the last 30 days,
    once a year), so the message never promises what the check-in then refuses."""
    today = _local_day(now, policy.timezone)
    months = {today.month, (today + timedelta(days=1)).month}
    query = Member.select(Member.id, Member.birthday_day, Member.birthday_month, Member.birthday_set_at).where(
        Member.birthday_month.in_(list(months)) & Member.birthday_day.is_null(False))
    rows = list(query.tuples())
    last_bonus = dict(LedgerEntry.select(LedgerEntry.member, pw.fn.MAX(LedgerEntry.created_at))
                      .where(LedgerEntry.member.in_([r[0] for r in rows]) & (LedgerEntry.kind == ledger.BIRTHDAY))
                      .group_by(LedgerEntry.member).tuples()) if rows else {}
    for member_id, day, month, set_at in rows:
        for year in {today.year, (today + timedelta(days=1)).year}:
            birthday = recall.birthday_on(year, day, month)
            if 0 <= (birthday - today).days <= 1:
                due = recall.local_at(birthday, policy.send_time, policy.timezone)
                gift = bool(program.birthday_bonus) and birthday_bonus_due(
                    due, policy.timezone, day, month, as_utc(set_at), as_utc(last_bonus.get(member_id)))
                yield {"member": member_id, "key": f"birthday:{member_id}:{year}", "due_at": due,
                       "step": "gift" if gift else None,
                       "params": {"points": program.birthday_bonus} if gift else {},
                       "expires_at": recall.local_at(birthday + timedelta(days=1), datetime.min.time(),
                                                     policy.timezone)}


def _expiry(now, program, policy):
    """Points that expire within 30 days: one warning per member and month of expiry."""
    if not program.expiry_months:
        return
    ts = LedgerEntry.created_at.db_value
    soon = ts(add_months(now + recall.EXPIRY_WARNING, -program.expiry_months))
    already = ts(add_months(now, -program.expiry_months))
    rows = db.execute_sql(
        'SELECT id, member_id, points, created_at FROM ledger_entry WHERE member_id IN '
        '(SELECT member_id FROM ledger_entry WHERE points > 0 AND created_at >= ? AND created_at < ?)',
        (already, soon))
    by_member = defaultdict(list)
    for entry_id, member_id, points, created in rows:   # times stay ISO text: text order is time order
        by_member[member_id].append(_Entry(entry_id, points, created))
    for member_id, entries in by_member.items():
        lots = [lot for lot in ledger.open_lots(entries) if already <= lot.earned_at < soon]
        if not lots:
            continue
        first = datetime.fromisoformat(min(lot.earned_at for lot in lots))
        expires = add_months(first, program.expiry_months)
        month = _local_day(expires, policy.timezone).strftime("%Y-%m")
        yield {"member": member_id, "key": f"expiry:{member_id}:{month}",
               "due_at": _send_time_today(now, policy), "expires_at": expires,
               "params": {"points": sum(lot.remaining for lot in lots),
                          "date": _local_day(expires, policy.timezone).isoformat()}}


@dataclass(frozen=True)
class _Entry:
    """Just what ledger.open_lots reads, without building model rows for thousands of entries."""
    id: str
    points: int
    created_at: str


def _reward_ready(now, program, policy):
    point_costs = [r.cost_points for r in program.rewards.values() if r.cost_points]
    stamp_costs = [r.cost_stamps for r in program.rewards.values() if r.cost_stamps]
    cheapest_points = min(point_costs) if point_costs else None
    cheapest_stamps = min(stamp_costs) if stamp_costs else None
    if not cheapest_points and not cheapest_stamps:
        return
    redeemed = dict(db.execute_sql("SELECT member_id, COUNT(*) FROM ledger_entry WHERE kind = ? GROUP BY member_id",
                                   (ledger.REDEEM,)))
    due, expires = _send_time_today(now, policy), now + timedelta(days=14)
    for (member_id,) in db.execute_sql(
            "SELECT member_id FROM ledger_entry GROUP BY member_id HAVING SUM(points) >= ? OR SUM(stamps) >= ?",
            (cheapest_points or 2 ** 62, cheapest_stamps or 2 ** 62)):
        yield {"member": member_id, "key": f"reward_ready:{member_id}:{redeemed.get(member_id, 0)}",
               "due_at": due, "expires_at": expires}


def _win_back(now, program, policy):
    """The at-risk segment (loyalty.segments: 60-90 days without a visit); once per absence."""
    tz = policy.timezone
    today = _local_day(now, tz)
    ts = LedgerEntry.created_at.db_value
    due, expires = _send_time_today(now, policy), now + timedelta(days=14)
    window = (ts(now - timedelta(days=segments.DEFAULT.lost_days + 2)),
              ts(now - timedelta(days=segments.DEFAULT.at_risk_days - 2)))   # a coarse cut in SQL first
    rows = db.execute_sql(
        "SELECT m.id, m.created_at, v.last, v.visits FROM member m LEFT JOIN "
        "(SELECT member_id, MAX(created_at) AS last, SUM(created_at >= ?) AS visits FROM ledger_entry "
        " WHERE kind = ? GROUP BY member_id) v ON v.member_id = m.id "
        "WHERE m.erased_at IS NULL AND COALESCE(v.last, m.created_at) BETWEEN ? AND ?",
        (ts(now - timedelta(days=365)), ledger.VISIT, *window))
    for member_id, created, last, count in rows:
        enrolled = _local_day(datetime.fromisoformat(created), tz)
        seen = _local_day(datetime.fromisoformat(last), tz) if last else enrolled
        if segments.segment((today - enrolled).days, (today - seen).days, int(count or 0)) == segments.AT_RISK:
            yield {"member": member_id, "key": f"win_back:{member_id}:{seen.isoformat()}",
                   "due_at": due, "expires_at": expires}


def _tier(now, program, policy):
    """A tier above the first reached within the last week (points earned in 12 months)."""
    if len(program.tiers) < 2:
        return
    week, year_span = timedelta(days=7), timedelta(days=365)
    kinds = LedgerEntry.kind.in_(ledger.TIER_KINDS)
    movers = (LedgerEntry.select(LedgerEntry.member).where(kinds & (LedgerEntry.created_at >= now - week)))
    at = LedgerEntry.created_at
    current = pw.fn.SUM(pw.Case(None, [((at >= now - year_span) & (at <= now), LedgerEntry.points)], 0))
    before = pw.fn.SUM(pw.Case(None, [((at >= now - week - year_span) & (at <= now - week), LedgerEntry.points)], 0))
    query = (LedgerEntry.select(LedgerEntry.member, current, before)
             .where(kinds & (at >= now - week - year_span) & LedgerEntry.member.in_(movers))
             .group_by(LedgerEntry.member).tuples())
    year = _local_day(now, policy.timezone).year
    for member_id, in_year, a_week_ago in query:
        tier = program.tier_for(int(in_year or 0))
        if tier.threshold > program.tier_for(int(a_week_ago or 0)).threshold:
            yield {"member": member_id, "key": f"tier:{member_id}:{tier.code}:{year}",
                   "due_at": _send_time_today(now, policy), "expires_at": now + timedelta(days=14),
                   "params": {"tier": tier.code}}


def _recall(now, program, policy):
    """A week before the recall date, unless the member already had the same treatment again."""
    later = Treatment.alias()
    rebooked = (later.select().where((later.member == Treatment.member) & (later.item_code == Treatment.item_code)
                                     & (later.performed_at > Treatment.performed_at)))
    query = (Treatment.select(Treatment.id, Treatment.member, Treatment.recall_due)
             .where(Treatment.recall_due.is_null(False)
                    & (Treatment.recall_due <= now + recall.RECALL_LEAD + timedelta(days=1))
                    & (Treatment.recall_due >= now - timedelta(days=7)) & ~pw.fn.EXISTS(rebooked)).tuples())
    for treatment_id, member_id, due in query:
        remind = recall.recall_reminder_at(due)
        day = _local_day(max(remind, now), policy.timezone)
        yield {"member": member_id, "key": f"recall:{treatment_id}",
               "due_at": recall.local_at(day, policy.send_time, policy.timezone),
               "expires_at": due + timedelta(days=7),
               "params": {"date": _local_day(due, policy.timezone).isoformat()}}


def _aftercare(now, program, policy):
    """Touch points after each recent treatment, on the day they fall (program time zone)."""
    longest = max([max((i.aftercare or recall.DEFAULT_AFTERCARE).values(), default=0)
                   for i in program.catalogue.values()] or [0])
    rows = db.execute_sql(
        "SELECT id, member_id, item_code, performed_at, recall_due FROM treatment WHERE performed_at >= ?",
        (Treatment.performed_at.db_value(now - timedelta(days=longest + 2)),),
    )
    for treatment_id, member_id, item_code, performed, recall_due in rows:
        performed = datetime.fromisoformat(performed)
        recall_due = datetime.fromisoformat(recall_due) if recall_due else None
        item = program.catalogue.get(item_code)
        steps = item.aftercare if item else {}
        for step, at in recall.aftercare_schedule(performed, steps, recall_due):
            day = _local_day(at, policy.timezone)
            due = recall.local_at(day, policy.send_time, policy.timezone)
            if now - timedelta(days=1) <= due <= now + timedelta(days=1):
                yield {"member": member_id, "key": f"aftercare:{treatment_id}:{step}", "step": step,
                       "due_at": due, "expires_at": due + timedelta(days=2)}


def _send_time_today(now: datetime, policy: recall.MessagePolicy) -> datetime:
    return recall.local_at(_local_day(now, policy.timezone), policy.send_time, policy.timezone)


def welcome_delivery(member_id: str, channels: tuple[str, ...], now: datetime | None = None) -> WelcomeDelivery | None:
    """How the welcome with the card will reach this member, as `_send_one` will pick it, or None
    when no configured channel reaches them. The scheduler plans it within a pass (a minute)."""
    now = now or clock.now()
    member = Member.get_or_none(Member.id == member_id)
    if member is None or member.erased_at is not None:
        return None
    if member.email and "email" in channels:
        channel, to = "email", member.email
    elif member.phone and "sms" in channels:
        channel, to = "sms", member.phone
    else:
        return None
    program = current_program()
    policy = recall.message_policy(program.messages, program.timezone)
    return WelcomeDelivery(channel, to, recall.quiet_until(now, policy) if recall.is_quiet(now, policy) else None)


# --- sending ------------------------------------------------------------------------------------

def send_due(channels: dict[str, Channel], base_url: str, now: datetime | None = None,
             limit: int = 500, app_url: str | None = None) -> SendReport:
    """Send what is due, one message at a time, each claimed in its own committed transaction.

    `app_url`: the group's patients' app at HQ; a welcome e-mail then carries a personal sign-in link.
    """
    now = now or clock.now()
    uncertain = recover_stale(now)
    program = current_program()
    policy = recall.message_policy(program.messages, program.timezone)
    if recall.is_quiet(now, policy):
        return SendReport(uncertain=uncertain, quiet=True)
    counts = defaultdict(int)
    due = list(Message.select().where((Message.status == "planned") & (Message.due_at <= now))
               .order_by(Message.due_at).limit(limit))
    for message in due:
        counts[_send_one(message, channels, base_url, program, policy, now, app_url)] += 1
    return SendReport(sent=counts["sent"], retried=counts["retried"], failed=counts["failed"],
                      skipped=counts["skipped"], uncertain=uncertain + counts["uncertain"])


def _send_one(message: Message, channels, base_url, program, policy, now, app_url=None) -> str:
    member = Member.get_or_none(Member.id == message.member_id)
    reason = _skip_reason(message, member, channels, policy, now)
    if reason:
        _finish(message.id, "skipped", error=reason)
        return "skipped"
    reachable = [c for c, contact in (("email", member.email), ("sms", member.phone)) if contact and c in channels]
    channel_name = member.channel if member.channel in reachable else reachable[0]   # the app's choice first
    try:
        outgoing = _compose(message, member, channel_name, base_url, program, app_url, now)
    except Exception as exc:   # a template or card problem: nothing was sent, staff see why
        log.exception("cannot compose message %s", message.id)
        _finish(message.id, "failed", error=f"compose: {exc}")
        return "failed"
    with write():
        claimed = (Message.update(status="sending", claimed_at=now, channel=channel_name,
                                  attempts=Message.attempts + 1)
                   .where((Message.id == message.id) & (Message.status == "planned")).execute())
    if not claimed:
        return "raced"
    attempts = message.attempts + 1
    try:
        ref = channels[channel_name].send(outgoing)
    except DeliveryUncertain as exc:
        mark_uncertain(message.id, str(exc))
        return "uncertain"
    except DeliveryError as exc:
        if exc.permanent or attempts >= MAX_ATTEMPTS:
            _finish(message.id, "failed", error=str(exc))
            return "failed"
        with write():
            Message.update(status="planned", due_at=now + recall.backoff(attempts), last_error=str(exc)[:500]) \
                .where((Message.id == message.id) & (Message.status == "sending")).execute()
        return "retried"
    except Exception as exc:   # the channel broke in an unknown way: it may have sent
        log.exception("channel %s failed on message %s", channel_name, message.id)
        mark_uncertain(message.id, f"{type(exc).__name__}: {exc}")
        return "uncertain"
    _finish(message.id, "sent", sent_at=now, ref=ref)
    return "sent"


def _skip_reason(message: Message, member: Member | None, channels, policy, now) -> str | None:
    if member is None or member.erased_at is not None:
        return "member_gone"
    if message.expires_at < now:
        return "expired"
    if not consents(member.id).get(message.purpose, False):
        return "no_consent"
    if not ((member.email and "email" in channels) or (member.phone and "sms" in channels)):
        return "no_channel"
    if message.trigger == "recall" and _rebooked(message):
        return "rebooked"
    if message.purpose == "marketing":
        sent = [at for (at,) in Message.select(Message.sent_at).where(
            (Message.member == member.id) & (Message.purpose == "marketing") & (Message.status == "sent")
            & (Message.sent_at > now - timedelta(days=policy.marketing_days))).tuples()]
        if not recall.marketing_allowed(sent, now, policy):
            return "marketing_cap"
    return None


def _rebooked(message: Message) -> bool:
    treatment = Treatment.get_or_none(Treatment.id == message.key.split(":", 1)[1])
    return treatment is not None and Treatment.select().where(
        (Treatment.member == treatment.member_id) & (Treatment.item_code == treatment.item_code)
        & (Treatment.performed_at > treatment.performed_at)).exists()


def _compose(message: Message, member: Member, channel: str, base_url: str, program, app_url: str | None = None,
             now: datetime | None = None) -> Outgoing:
    from loyalty.services.cards import card_token, qr_png
    params = json.loads(message.params or "{}")
    lang = member.locale if member.locale in ("de", "en") else "de"
    tier = _tier_name(program, params.get("tier"), lang)
    code, images, cid, app_link = "", (), None, None
    if message.trigger == "welcome":
        code = card_token(member.id)
        cid = f"card-{message.id}"
        images = ((cid, qr_png(code, box_size=8)),)
        group_key = get_setting(GROUP_CARD_KEY)
        if app_url and group_key:
            expires = int((now or clock.now()).timestamp()) + WELCOME_DAYS * 24 * 3600
            app_link = f"{app_url}welcome/{welcome_token(member.id, expires, bytes.fromhex(group_key))}"
    elif template_for(message.trigger, message.step) in CHECKINS and app_url:
        app_link = app_url
    url = (f"{base_url}/unsubscribe/{unsubscribe_token(member.id, message.purpose)}"
           if message.purpose != "program" else None)
    rendered = render(template_for(message.trigger, message.step), lang, first_name=member.first_name or "",
                      program=program.name, points=params.get("points"),
                      on=date.fromisoformat(params["date"]) if params.get("date") else None, tier=tier,
                      code=code, unsubscribe_url=url, image_cid=cid, app_url=app_link)
    to = member.email if channel == "email" else member.phone
    return Outgoing(message.id, to, rendered.subject, rendered.text, rendered.html, rendered.sms, images, url)


def _tier_name(program, code: str | None, lang: str) -> str:
    tier = next((t for t in program.tiers if t.code == code), None)
    return tier.name.get(lang, tier.code) if tier else ""


def _finish(message_id: str, status: str, *, error: str | None = None, sent_at: datetime | None = None,
            ref: str | None = None) -> None:
    with write():
        Message.update(status=status, last_error=error[:500] if error else None, sent_at=sent_at,
                       provider_ref=ref).where(Message.id == message_id).execute()


def mark_uncertain(message_id: str, reason: str) -> None:
    """It may have gone out: a staff task, never a blind resend."""
    with write():
        message = Message.get_by_id(message_id)
        if message.status not in ("sending", "planned"):
            return
        Message.update(status="uncertain", last_error=reason[:500]).where(Message.id == message_id).execute()
        open_follow_up(message.member_id, "uncertain_message",
                       {"message_id": message_id, "trigger": message.trigger, "channel": message.channel,
                        "claimed_at": message.claimed_at, "reason": reason[:500]})


def recover_stale(now: datetime | None = None) -> int:
    """Messages left in `sending` by a crash (older than the lease) become uncertain."""
    now = now or clock.now()
    stale = [m for (m,) in Message.select(Message.id).where(
        (Message.status == "sending") & (Message.claimed_at < now - LEASE)).tuples()]
    for message_id in stale:
        mark_uncertain(message_id, "the station stopped between sending and recording")
    return len(stale)


def resolve_uncertain(message_id: str, delivered: bool, actor: Actor) -> None:
    """Staff checked (mail log, asked the patient): mark it sent, or plan it again on purpose."""
    require_staff(actor)
    with write():
        message = Message.get_or_none(Message.id == message_id)
        if message is None or message.status != "uncertain":
            raise Refused("message_not_uncertain")
        now = clock.now()
        if delivered:
            Message.update(status="sent", sent_at=message.claimed_at or now).where(Message.id == message_id).execute()
        else:
            Message.update(status="planned", due_at=now, expires_at=max(message.expires_at, now + timedelta(days=1))) \
                .where(Message.id == message_id).execute()
        audit(actor, "message_checked", message.member_id, message=message_id, delivered=delivered)


# --- unsubscribe --------------------------------------------------------------------------------

def unsubscribe_token(member_id: str, purpose: str) -> str:
    return f"{member_id}.{purpose}.{_signature(member_id, purpose)}"


def _signature(member_id: str, purpose: str, key: bytes | None = None) -> str:
    return hmac.new(key or card_key(), f"unsubscribe:{member_id}:{purpose}".encode(), hashlib.sha256).hexdigest()[:32]


def check_unsubscribe(token: str) -> UnsubscribeResult | None:
    """The member and purpose behind a link, or None for a link that is not ours. Reads only."""
    parts = token.split(".")
    if len(parts) != 3 or parts[1] not in ("care", "marketing"):
        return None
    member_id, purpose, signature = parts
    if not any(same_text(signature, _signature(member_id, purpose, key)) for key in card_keys()):
        return None
    member = Member.get_or_none(Member.id == member_id)
    if member is None or member.erased_at is not None:
        return None
    return UnsubscribeResult(member_id, purpose, member.first_name or "", member.locale)


def unsubscribe(token: str) -> UnsubscribeResult | None:
    """Withdraw the consent the link was for (recorded with source "unsubscribe")."""
    found = check_unsubscribe(token)
    if found is not None:
        set_consent(found.member_id, found.purpose, False, Actor(device_id()), source="unsubscribe")
    return found


def sms_reply(phone: str, text: str) -> bool:
    """An SMS answer from a member: STOP withdraws care and marketing messages. True if it did."""
    if (text or "").strip().upper().rstrip(".!") not in STOP_WORDS:
        return False
    try:
        phone = normalise_phone(phone)
    except Refused:
        return False
    members = list(Member.select(Member.id).where((Member.phone == phone) & Member.erased_at.is_null()))
    actor = Actor(device_id())
    for member in members:
        for purpose in ("care", "marketing"):
            set_consent(member.id, purpose, False, actor, source="unsubscribe")
    return bool(members)


# --- for the staff app --------------------------------------------------------------------------

def return_rates(start: datetime, end: datetime) -> list[TriggerReturn]:
    """Per trigger: messages sent in [start, end), and how many members came back within 30 days."""
    returned_entry = LedgerEntry.select().where(
        (LedgerEntry.member == Message.member) & LedgerEntry.kind.in_(RETURN_KINDS)
        & (LedgerEntry.created_at > Message.sent_at)
        & (LedgerEntry.created_at <= pw.fn.strftime("%Y-%m-%dT%H:%M:%f000Z", Message.sent_at, "+30 days")))
    rows = (Message.select(Message.trigger, pw.fn.COUNT(Message.id),
                           pw.fn.SUM(pw.Case(None, [(pw.fn.EXISTS(returned_entry), 1)], 0)))
            .where((Message.status == "sent") & (Message.sent_at >= start) & (Message.sent_at < end))
            .group_by(Message.trigger).tuples())
    found = {trigger: (int(sent), int(back or 0)) for trigger, sent, back in rows}
    return [TriggerReturn(t, found[t][0], found[t][1], found[t][1] / found[t][0] if found[t][0] else None)
            for t in TRIGGERS if t in found]


def outbox_state() -> MessageOutboxState:
    counts = dict(Message.select(Message.status, pw.fn.COUNT(Message.id)).group_by(Message.status).tuples())
    last = Message.select(pw.fn.MAX(Message.sent_at)).where(Message.status == "sent").scalar()
    upcoming = Message.select(pw.fn.MIN(Message.due_at)).where(Message.status == "planned").scalar()
    return MessageOutboxState(queued=counts.get("planned", 0) + counts.get("sending", 0),
                              sent=counts.get("sent", 0), failed=counts.get("failed", 0),
                              uncertain=counts.get("uncertain", 0), skipped=counts.get("skipped", 0),
                              last_sent_at=as_utc(last), next_due_at=as_utc(upcoming))
