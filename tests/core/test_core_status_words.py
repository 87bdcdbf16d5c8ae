"""What a member's status tells the screens: perks of tier and plan, a first visit, the next recall
(a treatment had again replaces its old recall), and which ready rewards a public screen may name."""
from __future__ import annotations

from datetime import timedelta

from loyalty.program import ASSETS, parse_program
from loyalty.services import adjust, check_in, join_plan, member_status, record_treatment, store_program
from loyalty.services.checkin import ALREADY, CHECKED_IN

from core_helpers import join

CLINIC = (ASSETS / "programs" / "clinic-de.toml").read_text(encoding="utf-8")


def test_perks_come_from_the_tier_and_the_plan_once_each(station, clock):
    anna = join(station.device, "Anna").member_id
    assert member_status(anna).perks == []
    adjust(anna, 1000, "opening balance from the paper cards", station.manager)
    from loyalty.services import award_purchase
    award_purchase(anna, 300000, station.receptionist, item_code="sunscreen")   # 3,000 in 12 months: gold
    assert member_status(anna).tier == "gold"
    assert member_status(anna).perks == ["priority-booking", "lounge"]
    ben = join(station.device, "Ben").member_id
    join_plan(ben, "premium", station.receptionist)
    assert member_status(ben).perks == ["priority-booking"]
    clock.advance(days=366)
    assert member_status(anna).perks == []                                        # the tier fell back


def test_the_first_visit_is_a_first_visit_all_day(station, clock):
    anna = join(station.device, "Anna")
    first = check_in(anna.card_token, station.device)
    assert (first.status, first.first_visit) == (CHECKED_IN, True)
    clock.advance(minutes=3)
    again = check_in(anna.card_token, station.device)
    assert (again.status, again.first_visit) == (ALREADY, True)                  # still the day they joined
    clock.advance(days=1)
    later = check_in(anna.card_token, station.device)
    assert (later.status, later.first_visit) == (CHECKED_IN, False)


def test_a_treatment_had_again_replaces_its_old_recall(station, clock):
    anna = join(station.device, "Anna")
    record_treatment(anna.member_id, "botox", station.receptionist)               # recall in 70 days
    assert member_status(anna.member_id).next_visit_due == clock.current + timedelta(days=70)
    clock.advance(days=72)
    assert member_status(anna.member_id).next_visit_due == clock.current - timedelta(days=2)   # due: shown
    record_treatment(anna.member_id, "botox", station.receptionist)               # had it again today
    result = check_in(anna.card_token, station.device)
    assert result.member.next_visit_due == clock.current + timedelta(days=70)


def test_rewards_marked_public_may_be_named_on_the_kiosk():
    program = parse_program(CLINIC)
    assert {code for code, r in program.rewards.items() if r.public} == {"priority-booking", "lounge", "donation"}
    assert not program.rewards["serum-free"].public


def test_a_public_mark_must_be_true_or_false(station):
    from loyalty.program import ProgramError
    text = CLINIC.replace('item = "serum"\n', 'item = "serum"\npublic = "yes"\n')
    try:
        parse_program(text, source="test.toml")
    except ProgramError as exc:
        assert any(p.key == "rewards[3].public" and p.code == "wrong_type" for p in exc.problems)
    else:
        raise AssertionError("a text for public was accepted")
    store_program(CLINIC.replace('item = "serum"\n', 'item = "serum"\npublic = true\n'))
    from loyalty.services import current_program
    assert current_program().rewards["serum-free"].public
