"""Points and rewards: award, tiers, compliance, redeem, refund, adjust, undo, expiry, treatments."""
from __future__ import annotations

from datetime import timedelta

import pytest

from loyalty import ledger
from loyalty.services import (
    adjust,
    audit_log,
    award_purchase,
    expire_points,
    member_status,
    record_treatment,
    redeem,
    refund,
    reward_options,
    undo,
)
from loyalty.services.members import balances
from loyalty.store import Flag, LedgerEntry, Treatment

from core_helpers import join, refused, row_counts


@pytest.fixture
def anna(station, clock):
    return join(station.device, "Anna").member_id


def test_award_one_point_per_full_euro_with_staff_and_device(station, anna):
    result = award_purchase(anna, 4990, station.receptionist, item_code="serum")
    assert (result.points, result.balance) == (49, 99)
    entry = LedgerEntry.get_by_id(result.entry_id)
    assert (entry.kind, entry.amount_cents, entry.item_code) == (ledger.PURCHASE, 4990, "serum")
    assert (entry.staff_id, entry.device_id) == (station.receptionist.staff_id, station.receptionist.device_id)
    assert entry.reason and entry.config_version == 1
    assert audit_log(station.manager, action="award")[0].member_id == anna


def test_award_refusals_write_nothing(station, anna):
    before = row_counts()
    with refused("staff_only"):
        award_purchase(anna, 1000, station.device, item_code="sunscreen")
    for amount in (0, -100):
        with refused("amount_invalid"):
            award_purchase(anna, amount, station.receptionist, item_code="sunscreen")
    for amount in (10**9, 10**30):
        with refused("amount_too_large") as info:
            award_purchase(anna, amount, station.receptionist, item_code="sunscreen")
        assert "100.000,00" in info.value.message("de")
    with refused("item_unknown"):
        award_purchase(anna, 1000, station.receptionist, item_code="caviar")
    with refused("member_unknown"):
        award_purchase("no-such-member", 1000, station.receptionist, item_code="sunscreen")
    assert row_counts() == before


@pytest.mark.parametrize("item, category", [("botox", "physician_service"), ("cooling-mask", "medical_device")])
def test_de_clinic_gives_no_points_on_medical_items(station, anna, item, category):
    before = row_counts()
    with refused("no_points_for_category") as info:
        award_purchase(anna, 35000, station.receptionist, item_code=item)
    assert "GOÄ" in info.value.message("de") and "GOÄ" in info.value.message("en")
    with refused("award_needs_item"):           # an amount alone is not taken for retail
        award_purchase(anna, 35000, station.receptionist, category="medicine")
    assert row_counts() == before


def test_tier_multiplier_over_a_rolling_twelve_months(station, anna, clock):
    award_purchase(anna, 100000, station.receptionist, item_code="sunscreen")      # 1000 points: silver
    status = member_status(anna)
    assert status.tier == "silver" and status.next_tier_name["de"] == "Gold"
    assert status.points_to_next_tier == 2000
    assert award_purchase(anna, 10000, station.receptionist, item_code="sunscreen").points == 125          # x1.25
    clock.advance(days=366)
    assert member_status(anna).tier == "member"                                     # 1000 fell out of the window
    assert award_purchase(anna, 10000, station.receptionist, item_code="sunscreen").points == 100


def test_refund_of_a_purchase_older_than_the_tier_window(station, anna, clock):
    purchase = award_purchase(anna, 100, station.receptionist, item_code="sunscreen")
    clock.advance(days=400)
    refund(purchase.entry_id, station.receptionist)
    assert member_status(anna).tier == "member"


def test_treatment_records_the_recall_and_earns_only_where_allowed(station, anna, clock):
    botox = record_treatment(anna, "botox", station.receptionist)
    assert botox.points == 0 and botox.note == "no_points_for_category"
    assert botox.recall_due == clock.current + timedelta(weeks=10)
    facial = record_treatment(anna, "facial", station.receptionist)
    assert facial.points == 89 and facial.note is None
    custom = record_treatment(anna, "microneedling", station.receptionist, recall_days=21)
    assert custom.recall_due == clock.current + timedelta(days=21)
    assert Treatment.select().count() == 3
    assert member_status(anna).next_visit_due == clock.current + timedelta(days=21)
    with refused("recall_invalid"):
        record_treatment(anna, "botox", station.receptionist, recall_days=0)
    with refused("item_unknown"):
        record_treatment(anna, "massage", station.receptionist)


def test_treatment_in_the_shop_earns_points(shop_station, clock):
    tom = join(shop_station.device, "Tom").member_id
    item = next(code for code, i in __import__("loyalty.services", fromlist=["x"]).current_program().catalogue.items())
    assert record_treatment(tom, item, shop_station.receptionist, price_cents=1000).points == 10


def test_redeem_checks_the_balance_and_writes_nothing_when_short(station, anna):
    before = row_counts()
    with refused("not_enough_points") as info:
        redeem(anna, "long-consult", station.receptionist)
    assert info.value.params == {"have": 50, "need": 300}
    with refused("not_enough_stamps"):
        redeem(anna, "priority-booking", station.receptionist)
    with refused("reward_unknown"):
        redeem(anna, "spa-weekend", station.receptionist)
    with refused("staff_only"):
        redeem(anna, "donation", station.device)
    with refused("not_enough_points"):
        redeem(anna, "donation", station.receptionist)
    assert row_counts() == before


def test_redeem_spends_points_and_shows_the_options(station, anna):
    award_purchase(anna, 40000, station.receptionist, item_code="sunscreen")        # 400 + 50 = 450
    options = {o.code: o for o in reward_options(anna)}
    assert options["long-consult"].affordable and not options["priority-booking"].affordable
    assert options["credit-cosmetics"].affordable and options["credit-cosmetics"].partial
    result = redeem(anna, "long-consult", station.receptionist)
    assert (result.points, result.balance) == (300, 150)
    assert balances(anna) == (150, 0)
    entry = LedgerEntry.get_by_id(result.entry_id)
    assert (entry.kind, entry.points, entry.reward_code) == (ledger.REDEEM, -300, "long-consult")


def test_partial_redemption_at_the_program_rate(station, anna):
    award_purchase(anna, 25000, station.receptionist, item_code="sunscreen")        # 300 points
    result = redeem(anna, "credit-cosmetics", station.receptionist, points=200, item_code="serum")
    assert (result.points, result.value_cents, result.balance) == (200, 2000, 100)
    with refused("partial_not_allowed"):
        redeem(anna, "long-consult", station.receptionist, points=50)
    with refused("not_enough_points"):
        redeem(anna, "credit-cosmetics", station.receptionist, points=101)
    with refused("amount_invalid"):
        redeem(anna, "credit-cosmetics", station.receptionist, points=0)
    with refused("points_too_many"):                           # its refusal text once overflowed Babel
        redeem(anna, "credit-cosmetics", station.receptionist, points=10**30)


@pytest.mark.parametrize("reward, item, code", [
    ("credit-cosmetics", "botox", "forbidden_physician_service"),
    ("credit-cosmetics", "filler", "forbidden_physician_service"),
    ("credit-cosmetics", "cooling-mask", "forbidden_medical_device"),
    ("serum-free", "botox", "forbidden_physician_service"),
    ("lounge", "facial", "reward_not_for_items"),
])
def test_de_clinic_refuses_rewards_on_medical_items_with_a_reason(station, anna, reward, item, code):
    award_purchase(anna, 100000, station.receptionist, item_code="sunscreen")
    before = row_counts()
    with refused(code) as info:
        redeem(anna, reward, station.receptionist, item_code=item)
    text = info.value.message("de")
    assert len(text) > 30 and "{" not in text
    assert row_counts() == before


def test_shipped_de_clinic_rewards_can_all_be_redeemed(station, anna, clock):
    award_purchase(anna, 300000, station.receptionist, item_code="sunscreen")
    for _ in range(10):
        from loyalty.services import card_token, check_in
        check_in(card_token(anna), station.device)
        clock.advance(days=1)
    from loyalty.services import current_program
    for code in current_program().rewards:
        result = redeem(anna, code, station.receptionist)
        assert result.reward_code == code


def test_refund_takes_back_proportionally_never_more_than_earned(station, anna):
    purchase = award_purchase(anna, 10000, station.receptionist, item_code="sunscreen")            # 100 points
    part = refund(purchase.entry_id, station.receptionist, amount_cents=2550)
    assert (part.points, part.balance) == (-25, 125)
    rest = refund(purchase.entry_id, station.receptionist)
    assert (rest.points, rest.balance) == (-75, 50)
    with refused("refund_done"):
        refund(purchase.entry_id, station.receptionist)
    refunds = LedgerEntry.select().where(LedgerEntry.kind == ledger.REFUND)
    assert sum(e.points for e in refunds) == -100 and sum(e.amount_cents for e in refunds) == -10000


def test_refund_refusals(station, anna):
    purchase = award_purchase(anna, 10000, station.receptionist, item_code="sunscreen")
    signup = LedgerEntry.get((LedgerEntry.member == anna) & (LedgerEntry.kind == ledger.SIGNUP))
    before = row_counts()
    with refused("refund_not_purchase"):
        refund(signup.id, station.receptionist)
    with refused("refund_too_much"):
        refund(purchase.entry_id, station.receptionist, amount_cents=10001)
    with refused("refund_too_much"):
        refund(purchase.entry_id, station.receptionist, amount_cents=0)
    with refused("staff_only"):
        refund(purchase.entry_id, station.device)
    assert row_counts() == before


def test_refund_after_spending_flags_the_negative_balance(station, anna):
    purchase = award_purchase(anna, 30000, station.receptionist, item_code="sunscreen")            # 300 + 50
    redeem(anna, "long-consult", station.receptionist)
    result = refund(purchase.entry_id, station.receptionist)
    assert result.balance == -250
    assert Flag.get(Flag.member == anna).kind == "negative_balance"
    assert member_status(anna).flagged


def test_adjust_is_manager_only_with_a_reason(station, anna):
    before = row_counts()
    with refused("manager_only"):
        adjust(anna, 100, "goodwill", station.receptionist)
    with refused("reason_required"):
        adjust(anna, 100, "  ", station.manager)
    with refused("adjust_zero"):
        adjust(anna, 0, "nothing", station.manager)
    for points, stamps in ((10**30, 0), (-(10**8), 0), (0, 2**63)):      # beyond one entry, or SQLite's integers
        with refused("points_too_many"):
            adjust(anna, points, "typo", station.manager, stamps=stamps)
    assert row_counts() == before
    result = adjust(anna, 100, "goodwill after a long wait", station.manager)
    assert result.balance == 150
    entry = LedgerEntry.get_by_id(result.entry_id)
    assert (entry.kind, entry.reason, entry.staff_id) == (ledger.ADJUST, "goodwill after a long wait",
                                                          station.manager.staff_id)
    row = audit_log(station.manager, action="adjust")[0]
    assert row.staff_name == "Maria Manager" and row.detail["reason"] == "goodwill after a long wait"


def test_undo_own_action_within_a_minute(station, anna, clock):
    purchase = award_purchase(anna, 10000, station.receptionist, item_code="sunscreen")
    with refused("undo_not_allowed"):
        undo(purchase.entry_id, station.manager)                  # not the manager's action
    clock.advance(seconds=59)
    reversal = undo(purchase.entry_id, station.receptionist)
    assert (reversal.points, reversal.balance) == (-100, 50)
    with refused("undo_done"):
        undo(purchase.entry_id, station.receptionist)
    late = award_purchase(anna, 10000, station.receptionist, item_code="sunscreen")
    clock.advance(seconds=61)
    with refused("undo_too_late"):
        undo(late.entry_id, station.receptionist)
    with refused("undo_not_allowed"):
        undo(reversal.entry_id, station.receptionist)


def test_undo_of_a_refunded_purchase_and_refund_of_an_undone_one_are_refused(station, anna, clock):
    """Either way the purchase's points would be taken back twice."""
    first = award_purchase(anna, 10000, station.receptionist, item_code="sunscreen")
    refund(first.entry_id, station.receptionist, amount_cents=5000)
    with refused("undo_not_allowed"):
        undo(first.entry_id, station.receptionist)
    second = award_purchase(anna, 10000, station.receptionist, item_code="sunscreen")
    undo(second.entry_id, station.receptionist)
    with refused("refund_done"):
        refund(second.entry_id, station.receptionist)
    assert balances(anna)[0] == 50 + 100 - 50


def test_undo_of_a_spent_purchase_flags_the_negative_balance(station, anna, clock):
    purchase = award_purchase(anna, 30000, station.receptionist, item_code="sunscreen")
    redeem(anna, "long-consult", station.receptionist)
    assert undo(purchase.entry_id, station.receptionist).balance == -250
    assert Flag.get(Flag.member == anna).kind == "negative_balance"


def test_undo_redeem_gives_the_points_back(station, anna, clock):
    award_purchase(anna, 30000, station.receptionist, item_code="sunscreen")
    spent = redeem(anna, "long-consult", station.receptionist)
    assert undo(spent.entry_id, station.receptionist).balance == 350


def test_expiry_takes_the_oldest_unspent_points_exactly_once(station, anna, clock):
    award_purchase(anna, 20000, station.receptionist, item_code="sunscreen")         # t0: 50 signup + 200
    clock.advance(days=400)
    award_purchase(anna, 10000, station.receptionist, item_code="sunscreen")         # t0+400d: 100
    redeem(anna, "lounge", station.receptionist)              # 150 from the oldest lots: signup 50, purchase 100
    clock.current = clock.current - timedelta(days=400) + timedelta(days=365 * 2 + 10)   # t0 + 24 months + a bit
    report = expire_points(station.device)
    assert (report.members, report.points) == (1, 100)        # what is left of the t0 purchase
    assert balances(anna)[0] == 100
    assert expire_points(station.device).points == 0          # a second run expires nothing more
    (entry,) = LedgerEntry.select().where(LedgerEntry.kind == ledger.EXPIRE)
    assert entry.points == -100 and entry.reason


def test_shop_has_no_compliance_limits(shop_station, clock):
    tom = join(shop_station.device, "Tom").member_id
    assert award_purchase(tom, 5000, shop_station.receptionist, category="physician_service").points == 50
