"""What the desk may offer under the compliance profile, and refusal texts with figures in the locale."""
from __future__ import annotations

from datetime import date

import pytest

from loyalty.errors import Refused
from loyalty.services import award_purchase, current_program, earning_items, redeem, reward_options

from core_helpers import join, row_counts


def test_de_clinic_purchases_offer_only_cosmetic_and_retail_items(station):
    assert earning_items() == ["facial", "serum", "sunscreen"]
    anna = join(station.device).member_id
    for code in current_program().catalogue:
        if code in earning_items():
            award_purchase(anna, 1000, station.receptionist, item_code=code)
        else:
            with pytest.raises(Refused) as info:
                award_purchase(anna, 1000, station.receptionist, item_code=code)
            assert info.value.code == "no_points_for_category"


def test_a_shop_earns_on_every_item(shop_station):
    assert earning_items() == list(current_program().catalogue)


def test_reward_items_are_exactly_those_redeem_accepts(station):
    anna = join(station.device).member_id
    award_purchase(anna, 500000, station.receptionist, item_code="sunscreen")
    options = {o.code: o for o in reward_options(anna)}
    assert options["credit-cosmetics"].items == ("facial", "serum", "sunscreen")
    assert options["lounge"].items == () and options["serum-free"].items == ()   # a perk; a fixed item
    for code in current_program().catalogue:
        if code in options["credit-cosmetics"].items:
            assert redeem(anna, "credit-cosmetics", station.receptionist, points=10, item_code=code).points == 10
        else:
            before = row_counts()
            with pytest.raises(Refused) as info:
                redeem(anna, "credit-cosmetics", station.receptionist, points=10, item_code=code)
            assert info.value.code.startswith("forbidden_") and row_counts() == before
            assert "stattdessen" in info.value.message("de") and "instead" in info.value.message("en")


@pytest.mark.parametrize("refusal, german, english", [
    (Refused("not_enough_points", have=1242, need=5000), "hat 1.242, nötig sind 5.000", "has 1,242, this needs 5,000"),
    (Refused("refund_too_much", left_cents=123450), "noch 1.234,50\xa0€ erstattet", "At most €1,234.50 of"),
    (Refused("benefit_used_up", renews=date(2026, 5, 1)), "am 1. Mai 2026", "on 1 May 2026"),
    (Refused("no_points_for_category", category="medicine", profile="de-clinic"), "Keine Punkte für Arzneimittel",
     "No points for Medicine"),
])
def test_refusal_figures_are_formatted_in_the_locale(refusal, german, english):
    assert german in refusal.message("de")
    assert english in refusal.message("en")


def test_an_undone_refund_leaves_the_purchase_refundable_again(station):
    from loyalty.services import refund, undo
    from loyalty.services.desk import member_history
    anna = join(station.device).member_id
    purchase = award_purchase(anna, 3000, station.receptionist, item_code="sunscreen")
    part = refund(purchase.entry_id, station.receptionist, amount_cents=1000)
    undo(part.entry_id, station.receptionist)
    [row] = [h for h in member_history(anna) if h.entry_id == purchase.entry_id]
    assert row.refundable and row.refundable_cents == 3000
    whole = refund(purchase.entry_id, station.receptionist)
    assert (whole.points, whole.balance) == (-30, 50)
    undone = undo(whole.entry_id, station.receptionist)
    assert undone.balance == 80
    assert undo(purchase.entry_id, station.receptionist).balance == 50    # no live refund left to double
