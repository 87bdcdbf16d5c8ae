"""Pure schedule rules (loyalty.recall), program keys for aftercare and message rules, recall overrides."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from loyalty.errors import Refused
from loyalty.program import DEFAULT_PROGRAM, ProgramError, parse_program
from loyalty.recall import (
    aftercare_schedule,
    backoff,
    birthday_on,
    is_quiet,
    marketing_allowed,
    message_policy,
    quiet_until,
    recall_reminder_at,
)
from loyalty.services import record_treatment
from loyalty.services.recalls import set_recall_override

UTC = timezone.utc
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_default_aftercare_is_day_1_3_14_and_week_8():
    steps = aftercare_schedule(T0, None, T0 + timedelta(days=243))
    assert [(s, (at - T0).days) for s, at in steps] == [
        ("care_tips", 1), ("how_are_you", 3), ("result_check", 14), ("next_session", 56)]


def test_aftercare_step_near_the_recall_is_left_to_the_recall():
    steps = aftercare_schedule(T0, None, T0 + timedelta(days=28))   # microneedling: recall after 4 weeks
    assert [s for s, _ in steps] == ["care_tips", "how_are_you", "result_check"]


def test_aftercare_per_treatment_and_switched_off():
    assert [s for s, _ in aftercare_schedule(T0, {"how_are_you": 2}, None)] == ["how_are_you"]
    assert aftercare_schedule(T0, {}, None) == []


def test_recall_reminder_a_week_before():
    assert recall_reminder_at(T0) == T0 - timedelta(days=7)


def test_quiet_hours_span_midnight_in_the_program_time_zone():
    policy = message_policy({}, "Europe/Berlin")          # 20:00 - 08:00 Berlin
    assert is_quiet(datetime(2026, 3, 2, 19, 30, tzinfo=UTC), policy)      # 20:30 Berlin
    assert is_quiet(datetime(2026, 3, 2, 6, 59, tzinfo=UTC), policy)       # 07:59 Berlin
    assert not is_quiet(datetime(2026, 3, 2, 7, 0, tzinfo=UTC), policy)    # 08:00 Berlin
    assert not is_quiet(datetime(2026, 7, 2, 17, 59, tzinfo=UTC), policy)  # 19:59 Berlin summer time
    assert quiet_until(datetime(2026, 3, 2, 21, 0, tzinfo=UTC), policy) == datetime(2026, 3, 3, 7, 0, tzinfo=UTC)
    assert quiet_until(datetime(2026, 3, 2, 3, 0, tzinfo=UTC), policy) == datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
    off = message_policy({"quiet_start": "00:00", "quiet_end": "00:00"}, "Europe/Berlin")
    assert not is_quiet(datetime(2026, 3, 2, 2, 0, tzinfo=UTC), off)


def test_marketing_cap_counts_the_window_only():
    policy = message_policy({"marketing_max": 2, "marketing_days": 30}, "Europe/Berlin")
    assert marketing_allowed([T0 - timedelta(days=40), T0 - timedelta(days=31)], T0, policy)
    assert marketing_allowed([T0 - timedelta(days=3)], T0, policy)
    assert not marketing_allowed([T0 - timedelta(days=3), T0 - timedelta(days=20)], T0, policy)


def test_birthday_29_february():
    assert birthday_on(2027, 29, 2).isoformat() == "2027-02-28"
    assert birthday_on(2028, 29, 2).isoformat() == "2028-02-29"


def test_backoff_doubles_up_to_six_hours():
    assert [backoff(n).total_seconds() / 60 for n in (1, 2, 3)] == [5, 10, 20]
    assert backoff(20) == timedelta(hours=6)


def _program(extra: str = "", item_extra: str = "") -> str:
    text = DEFAULT_PROGRAM.read_text(encoding="utf-8")
    text = text.replace('recall_days = 70               # 10 weeks', 'recall_days = 70\n' + item_extra)
    return text + "\n" + extra


def test_program_takes_aftercare_per_item_and_message_rules():
    program = parse_program(_program('[messages]\nmarketing_max = 1\nquiet_start = "21:00"',
                                     'aftercare = { care_tips = 1, how_are_you = 4 }'))
    assert program.catalogue["botox"].aftercare == {"care_tips": 1, "how_are_you": 4}
    assert program.catalogue["filler"].aftercare is None
    policy = message_policy(program.messages, program.timezone)
    assert policy.marketing_max == 1 and policy.quiet_start.hour == 21 and policy.quiet_end.hour == 8


@pytest.mark.parametrize("extra, item_extra, key", [
    ("", "aftercare = { massage = 1 }", "catalogue[0].aftercare"),
    ("", "aftercare = { care_tips = 0 }", "catalogue[0].aftercare"),
    ('[messages]\nquiet_start = "25:00"', "", "messages.quiet_start"),
    ('[messages]\nmarketing_max = "two"', "", "messages.marketing_max"),
])
def test_program_refuses_bad_aftercare_and_rules(extra, item_extra, key):
    with pytest.raises(ProgramError) as error:
        parse_program(_program(extra, item_extra))
    assert key in [p.key for p in error.value.problems]


def test_member_recall_override_sets_the_next_recall(station, clock, enrol):
    member, _ = enrol()
    set_recall_override(member, "botox", 90, station.receptionist)
    first = record_treatment(member, "botox", station.receptionist)
    assert first.recall_due - clock.current == timedelta(days=90)
    set_recall_override(member, "botox", None, station.receptionist)
    second = record_treatment(member, "botox", station.receptionist)
    assert second.recall_due - clock.current == timedelta(days=70)
    with pytest.raises(Refused):
        set_recall_override(member, "botox", 0, station.receptionist)
    with pytest.raises(Refused):
        set_recall_override(member, "botox", 30, station.device)
