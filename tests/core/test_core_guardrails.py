"""The German guardrails (de-clinic) without holes: awards need an earning item, plans and perks are
checked when the program loads, like rewards are."""
from __future__ import annotations

import pytest

from loyalty.compliance import load_profile
from loyalty.program import ASSETS, ProgramError, parse_program
from loyalty.services import award_purchase, earning_items, member_status

from core_helpers import join, refused, row_counts

CLINIC = (ASSETS / "programs" / "clinic-de.toml").read_text(encoding="utf-8")
SHOP = (ASSETS / "programs" / "shop.toml").read_text(encoding="utf-8")
VIP = 'benefits = [{ code = "facial", per_period = 2 }, { code = "long-consult", per_period = 1 }]'


def problems(text: str) -> list[str]:
    with pytest.raises(ProgramError) as info:
        parse_program(text, source="test.toml")
    return [str(p) for p in info.value.problems]


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_the_profiles_say_whether_an_award_needs_an_item():
    assert load_profile("de-clinic").award_needs_item
    assert not load_profile("generic").award_needs_item


def test_de_clinic_award_without_an_item_is_refused_and_names_the_items_that_earn(station, clock):
    anna = join(station.device, "Anna").member_id
    before = row_counts()
    for category in ("retail", "cosmetic", "physician_service"):
        with refused("award_needs_item") as info:
            award_purchase(anna, 35000, station.receptionist, category=category)
    with refused("award_needs_item"):
        award_purchase(anna, 35000, station.receptionist)
    assert row_counts() == before and member_status(anna).points == 50     # the signup bonus only
    names = info.value.message("de")
    assert "Hyaluron-Serum 30 ml" in names and "Sonnenschutz LSF 50" in names and "Botulinumtoxin" not in names
    assert "Sunscreen SPF 50" in info.value.message("en")
    assert award_purchase(anna, 35000, station.receptionist, item_code="sunscreen").points == 350
    assert earning_items() == ["facial", "serum", "sunscreen"]


def test_shop_award_without_an_item_still_takes_its_category(shop_station, clock):
    tom = join(shop_station.device, "Tom").member_id
    assert award_purchase(tom, 5000, shop_station.receptionist).points == 50
    assert award_purchase(tom, 5000, shop_station.receptionist, category="physician_service").points == 50


def test_a_plan_with_physician_treatments_does_not_load_under_de_clinic():
    text = CLINIC.replace(VIP, VIP.replace('"facial"', '"botox"'))
    line = line_of(text, 'code = "botox", per_period = 2')
    assert problems(text) == [f"line {line}: plans[2].benefits: benefit 1 "
                     "(botox) is a physician_service: a plan may not include it under de-clinic"]


@pytest.mark.parametrize("item, category", [("cooling-mask", "medical_device"), ("filler", "physician_service")])
def test_plan_benefits_on_medical_items_are_refused(item, category):
    benefits = f'benefits = [{{ code = "facial", per_period = 2 }}, {{ code = "{item}", per_period = 1 }}]'
    text = CLINIC.replace(VIP, benefits)
    assert any(f"plans[2].benefits: benefit 2 ({item}) is a {category}: a plan may not include it under de-clinic"
               in p for p in problems(text))


def test_plan_benefits_that_are_rewards_follow_the_reward_rules_and_shops_may_include_anything():
    assert parse_program(CLINIC).plans["vip"].benefits[1].code == "long-consult"
    shop = SHOP.replace("[[rewards]]", '[[plans]]\ncode = "club"\nname = { en = "Club", de = "Club" }\n'
                        'price_cents = 900\nperiod_months = 1\nbenefits = [{ code = "coffee", per_period = 4 }]\n'
                        'perks = []\n\n[[rewards]]', 1)
    assert parse_program(shop).plans["club"].benefits[0].code == "coffee"


def test_perks_of_tiers_and_plans_must_be_perk_rewards():
    """A discount or free item handed out as a status perk would skip redemption and its checks."""
    text = CLINIC.replace('perks = ["priority-booking", "lounge"]\n\n[[catalogue]]',
                          'perks = ["priority-booking", "credit-cosmetics"]\n\n[[catalogue]]')
    text = text.replace('perks = ["priority-booking"]\n\n[[plans]]', 'perks = ["serum-free"]\n\n[[plans]]')
    text = text.replace('perks = ["priority-booking", "lounge"]\n', 'perks = ["botox-day"]\n')
    found = problems(text)
    assert any("tiers[2].perks: 'credit-cosmetics' is a discount, not a perk" in p for p in found)
    assert any("plans[1].perks: 'serum-free' is a free_item, not a perk" in p for p in found)
    assert any("plans[2].perks: 'botox-day' is not a reward code" in p for p in found)


def test_a_perk_with_a_money_value_is_refused():
    """Money off is a discount, and discounts are checked against the categories; a perk is not money."""
    text = CLINIC.replace('kind = "perk"\ncost_points = 300', 'kind = "perk"\ncost_points = 300\nvalue_cents = 35000')
    assert problems(text) == [f"line {line_of(text, 'value_cents = 35000')}: rewards[2].value_cents: a perk has no "
                              "money value: money off is a discount, which the profile checks per category"]


def test_guardrail_problems_read_in_german():
    text = CLINIC.replace(VIP, 'benefits = [{ code = "botox", per_period = 2 }]')
    with pytest.raises(ProgramError) as info:
        parse_program(text, source="test.toml")
    german = info.value.text("de")
    assert "Leistung 1 (botox) gehört zur Kategorie physician_service" in german and "de-clinic" in german
