"""When to remind and when to stay quiet: pure schedule rules for recalls, aftercare and messages.

No I/O: the message service asks these functions, the tests check them with plain datetimes.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# Aftercare touch points after a treatment (clinic playbook): step -> day after the treatment.
AFTERCARE_STEPS = ("care_tips", "how_are_you", "result_check", "next_session")
DEFAULT_AFTERCARE = {"care_tips": 1, "how_are_you": 3, "result_check": 14, "next_session": 56}
RECALL_LEAD = timedelta(days=7)       # the recall reminder goes out a week before the date, to book
RECALL_GAP = timedelta(days=7)        # an aftercare step this close to the recall is left to the recall
AT_RISK_DAYS = (60, 90)               # "we miss you": last visit 60-90 days ago
EXPIRY_WARNING = timedelta(days=30)   # points about to expire: warn 30 days before

# The optional [messages] section of the program TOML, with its defaults.
MESSAGE_RULES = {"marketing_max": int, "marketing_days": int, "quiet_start": str, "quiet_end": str,
                 "send_time": str}
_DEFAULT_RULES = {"marketing_max": 2, "marketing_days": 30, "quiet_start": "20:00", "quiet_end": "08:00",
                  "send_time": "10:00"}


@dataclass(frozen=True)
class MessagePolicy:
    """How often and when messages may go out. quiet_start == quiet_end means no quiet hours."""
    timezone: str
    marketing_max: int       # at most this many marketing messages ...
    marketing_days: int      # ... per member in this many days
    quiet_start: time
    quiet_end: time
    send_time: time          # the local time of day for planned reminders (birthday, recall ...)


def message_policy(rules: dict, timezone: str) -> MessagePolicy:
    merged = {**_DEFAULT_RULES, **rules}
    return MessagePolicy(timezone, merged["marketing_max"], merged["marketing_days"],
                         time.fromisoformat(merged["quiet_start"]), time.fromisoformat(merged["quiet_end"]),
                         time.fromisoformat(merged["send_time"]))


def is_quiet(now: datetime, policy: MessagePolicy) -> bool:
    """Inside the quiet hours in the program's time zone (a window may span midnight)."""
    start, end = policy.quiet_start, policy.quiet_end
    if start == end:
        return False
    local = now.astimezone(ZoneInfo(policy.timezone)).time()
    if start < end:
        return start <= local < end
    return local >= start or local < end


def quiet_until(now: datetime, policy: MessagePolicy) -> datetime:
    """The end of the quiet hours that contain `now` (now itself when it is not quiet)."""
    if not is_quiet(now, policy):
        return now
    zone = ZoneInfo(policy.timezone)
    local = now.astimezone(zone)
    end = datetime.combine(local.date(), policy.quiet_end, zone)
    if end <= local:
        end = datetime.combine(local.date() + timedelta(days=1), policy.quiet_end, zone)
    return end.astimezone(ZoneInfo("UTC"))


def local_at(day: date, at: time, tz: str) -> datetime:
    """A local wall-clock time on a day, as aware UTC."""
    return datetime.combine(day, at, ZoneInfo(tz)).astimezone(ZoneInfo("UTC"))


def aftercare_schedule(performed_at: datetime, steps: dict[str, int] | None,
                       recall_due: datetime | None) -> list[tuple[str, datetime]]:
    """Touch points after a treatment, in time order. A step on or after a week before the recall
    is dropped: the recall reminder says the same, and one message is enough."""
    plan = DEFAULT_AFTERCARE if steps is None else steps
    out = []
    for step, day in plan.items():
        at = performed_at + timedelta(days=day)
        if recall_due is not None and at >= recall_due - RECALL_GAP:
            continue
        out.append((step, at))
    return sorted(out, key=lambda pair: pair[1])


def recall_reminder_at(recall_due: datetime) -> datetime:
    return recall_due - RECALL_LEAD


def birthday_on(year: int, day: int, month: int) -> date:
    """This year's birthday; 29 February is celebrated on 28 February in other years."""
    try:
        return date(year, month, day)
    except ValueError:
        return date(year, 2, 28)


def at_risk(last_visit: datetime | None, now: datetime) -> bool:
    if last_visit is None:
        return False
    days = (now - last_visit).days
    return AT_RISK_DAYS[0] <= days <= AT_RISK_DAYS[1]


def marketing_allowed(sent: list[datetime], now: datetime, policy: MessagePolicy) -> bool:
    """At most `marketing_max` marketing messages in the last `marketing_days` days."""
    since = now - timedelta(days=policy.marketing_days)
    return sum(1 for at in sent if at > since) < policy.marketing_max


def backoff(attempts: int) -> timedelta:
    """After a failed attempt: 5 min, 10, 20, 40 ... at most 6 hours."""
    return min(timedelta(minutes=5) * (2 ** max(attempts - 1, 0)), timedelta(hours=6))
