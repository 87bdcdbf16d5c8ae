"""Kiosk check-in: stamps, cool-down, daily limit, rollover, birthday bonus, busy flag, bad codes."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from loyalty import ledger
from loyalty.services import award_purchase, check_in, find_card, redeem, reissue_card
from loyalty.services.checkin import ALREADY, CHECKED_IN
from loyalty.store import Flag, LedgerEntry, Member
from loyalty.tokens import make_token, new_card_id

from core_helpers import join, row_counts


def test_check_in_stamps_once_then_shows_status_only(station, clock):
    anna = join(station.device, "Anna")
    first = check_in(anna.card_token, station.device)
    assert first.status == CHECKED_IN and first.stamps_added == 1
    assert first.member.first_name == "Anna" and first.member.stamps_on_card == 1 and first.member.points == 50
    clock.advance(hours=11, minutes=59)
    again = check_in(anna.card_token, station.device)
    assert (again.status, again.refusal, again.stamps_added) == (ALREADY, "cooldown", 0)
    assert again.member.stamps_on_card == 1
    assert LedgerEntry.select().where(LedgerEntry.kind == ledger.VISIT).count() == 1


def test_daily_limit_after_the_cooldown_and_a_new_day(station, clock):
    """09:00 UTC is 10:00 in Berlin; 12 h later it is still the same local day."""
    anna = join(station.device, "Anna")
    check_in(anna.card_token, station.device)
    clock.advance(hours=12)
    assert check_in(anna.card_token, station.device).refusal == "daily_limit"
    clock.advance(hours=2)     # 00:00 in Berlin
    assert check_in(anna.card_token, station.device).status == CHECKED_IN


def test_shop_allows_two_visits_a_day_four_hours_apart(shop_station, clock):
    tom = join(shop_station.device, "Tom")
    assert check_in(tom.card_token, shop_station.device).status == CHECKED_IN
    clock.advance(hours=3)
    assert check_in(tom.card_token, shop_station.device).refusal == "cooldown"
    clock.advance(hours=1)
    assert check_in(tom.card_token, shop_station.device).status == CHECKED_IN
    clock.advance(hours=4)
    assert check_in(tom.card_token, shop_station.device).refusal == "daily_limit"


def test_stamp_card_rolls_over_and_the_full_card_is_a_reward(station, clock):
    anna = join(station.device, "Anna")
    results = []
    for _ in range(11):
        results.append(check_in(anna.card_token, station.device))
        clock.advance(days=1)
    assert [r.card_completed for r in results].index(True) == 9
    last = results[-1].member
    assert (last.stamps_on_card, last.full_cards) == (1, 1)
    assert "priority-booking" in last.rewards_ready
    spent = redeem(anna.member_id, "priority-booking", station.receptionist)
    assert spent.stamps == 10
    after = check_in(anna.card_token, station.device).member
    assert (after.stamps_on_card, after.full_cards) == (2, 0)
    assert "priority-booking" not in after.rewards_ready


def test_birthday_bonus_once_a_year_not_for_a_fresh_birthday(station, clock):
    anna = join(station.device, "Anna", birthday_day=20, birthday_month=3)   # entered on 2 March
    assert check_in(anna.card_token, station.device).bonus_points == 0     # entered today
    clock.advance(days=28)                                                 # 30 March, 28 days later
    assert check_in(anna.card_token, station.device).bonus_points == 0
    clock.current = datetime(2027, 3, 5, 9, tzinfo=timezone.utc)
    first = check_in(anna.card_token, station.device)
    assert first.bonus_points == 50 and first.member.points == 100
    clock.advance(days=1)
    assert check_in(anna.card_token, station.device).bonus_points == 0
    clock.current = datetime(2028, 3, 1, 9, tzinfo=timezone.utc)
    assert check_in(anna.card_token, station.device).bonus_points == 50
    assert LedgerEntry.select().where(LedgerEntry.kind == ledger.BIRTHDAY).count() == 2


def test_busy_member_is_flagged_once_for_the_manager(station, clock):
    anna = join(station.device, "Anna")
    for _ in range(7):                      # signup + 7 purchases = 8 entries: not yet unusual
        award_purchase(anna.member_id, 1000, station.receptionist, item_code="sunscreen")
    assert not Flag.select().exists()
    for _ in range(3):
        award_purchase(anna.member_id, 1000, station.receptionist, item_code="sunscreen")
    (flag,) = Flag.select()
    assert flag.kind == "many_transactions" and flag.member_id == anna.member_id and "9" in flag.detail
    assert check_in(anna.card_token, station.device).member.flagged


@pytest.mark.parametrize("text, status", [
    ("https://www.example.org/speisekarte", "foreign"),
    ("WIFI:S:Praxis;T:WPA;P:geheim;;", "foreign"),
    ("LY1:ABCDEFGHIJKLMNOP:ABC", "malformed"),
])
def test_foreign_and_malformed_codes_write_nothing(station, clock, text, status):
    join(station.device, "Anna")
    before = row_counts()
    result = check_in(text, station.device)
    assert (result.status, result.member, result.stamps_added) == (status, None, 0)
    assert row_counts() == before


def test_truncated_tampered_unknown_and_revoked_cards_write_nothing(station, clock):
    anna = join(station.device, "Anna")
    old = anna.card_token
    new = reissue_card(anna.member_id, station.receptionist)
    other_key = make_token(new_card_id(), bytes(32))
    unknown = make_token(new_card_id(), bytes.fromhex(_card_key()))
    tampered = new[:-2] + ("AA" if new[-2:] != "AA" else "BB")
    before = row_counts()
    for text, status in ((new[:-3], "malformed"), (tampered, "tampered"), (other_key, "tampered"),
                         (unknown, "unknown"), (old, "revoked")):
        assert check_in(text, station.device).status == status, text
        assert find_card(text) == (None, status)
    assert row_counts() == before
    assert check_in(new, station.device).status == CHECKED_IN
    assert Member.select().count() == 1


def _card_key() -> str:
    from loyalty.store.settings import get_setting
    return get_setting("card_key")
