"""Program TOML: the shipped programs load; mistakes are reported with key and line."""
from __future__ import annotations

import pytest

from loyalty.compliance import available_profiles, load_profile
from loyalty.program import ASSETS, ProgramError, load_program_file, parse_program

CLINIC = (ASSETS / "programs" / "clinic-de.toml").read_text(encoding="utf-8")


def problems(text: str) -> list[str]:
    with pytest.raises(ProgramError) as info:
        parse_program(text, source="test.toml")
    assert "test.toml is not valid" in str(info.value)
    return [str(p) for p in info.value.problems]


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_shipped_programs_load_with_the_playbook_defaults():
    clinic = load_program_file(ASSETS / "programs" / "clinic-de.toml")
    assert clinic.compliance.code == "de-clinic"
    assert (clinic.points_per_euro, clinic.redeem_points, clinic.redeem_value_cents) == (1, 500, 5000)
    assert clinic.cooldown_hours == 12 and clinic.minimum_age == 18
    assert clinic.catalogue["botox"].recall_days == 70          # 10 weeks
    assert clinic.catalogue["microneedling"].recall_days == 28  # 4 weeks
    assert 240 <= clinic.catalogue["filler"].recall_days <= 245  # 8 months
    assert set(clinic.plans) == {"basic", "premium", "vip"}
    assert [t.code for t in clinic.tiers] == ["member", "silver", "gold"]
    shop = load_program_file(ASSETS / "programs" / "shop.toml")
    assert shop.compliance.code == "generic"


def test_tier_is_the_highest_threshold_reached():
    clinic = parse_program(CLINIC)
    assert clinic.tier_for(0).code == "member"
    assert clinic.tier_for(999).code == "member"
    assert clinic.tier_for(1000).code == "silver"
    assert clinic.tier_for(10**6).code == "gold"
    assert clinic.next_tier(1000).code == "gold" and clinic.next_tier(3000) is None


def test_wrong_type_names_the_key_and_its_line():
    text = CLINIC.replace("per_euro = 1 ", 'per_euro = "one" ')
    assert problems(text) == [f"line {line_of(text, 'per_euro')}: points.per_euro: must be a whole number, not a text"]


def test_negative_and_unknown_keys_are_named():
    text = CLINIC.replace("signup_bonus = 50", "signup_bonus = -5\nsignup_bonnus = 3")
    found = problems(text)
    assert f"line {line_of(text, 'signup_bonus = -5')}: points.signup_bonus: must not be negative" in found
    assert any(p.startswith(f"line {line_of(text, 'signup_bonnus')}: points.signup_bonnus: unknown key") for p in found)


def test_missing_required_key_is_named():
    text = CLINIC.replace("cooldown_hours = 12\n", "")
    assert any("checkin.cooldown_hours: is required" in p for p in problems(text))


def test_bad_entry_in_an_array_of_tables_names_its_index_and_line():
    text = CLINIC.replace('category = "cosmetic"\nprice_cents = 4900', 'category = "cosmetics"\nprice_cents = 4900')
    found = problems(text)
    assert found[0] == (f"line {line_of(text, 'cosmetics')}: catalogue[4].category: must be one of "
                        "physician_service, medical_device, medicine, cosmetic, retail")


def test_syntax_error_gives_the_line():
    text = CLINIC.replace("daily_limit = 1", "daily_limit = = 1")
    (found,) = problems(text)
    assert found.startswith(f"line {line_of(text, 'daily_limit')}: (syntax)")


def test_forbidden_reward_is_refused_when_the_program_loads():
    """A discount on physician services under de-clinic cannot even be configured."""
    text = CLINIC.replace(
        'applies_to = ["cosmetic", "retail"]\npartial', 'applies_to = ["cosmetic", "physician_service"]\npartial'
    )
    found = problems(text)
    assert any(
        "rewards[4].applies_to: a discount may not apply to physician_service under de-clinic" in p for p in found
    )


def test_free_medical_device_over_the_gift_cap_is_caught_at_redeem_not_load():
    """Free items naming a medical device are refused on load under de-clinic."""
    text = CLINIC.replace('item = "serum"', 'item = "cooling-mask"').replace(
        'cost_points = 450\napplies_to = ["cosmetic"]', "cost_points = 450")
    assert any("rewards[3].item: a free_item may not give medical_device items under de-clinic" in p
               for p in problems(text))


def test_every_problem_is_reported_at_once():
    text = CLINIC.replace("per_card = 10", "per_card = 0").replace('compliance_profile = "de-clinic"',
                                                                   'compliance_profile = "us-spa"')
    found = problems(text)
    assert any("stamps.per_card: must be at least 1" in p for p in found)
    assert any("program.compliance_profile: unknown profile 'us-spa'" in p for p in found)


def test_tiers_must_start_at_zero_and_rise():
    text = CLINIC.replace("threshold = 0", "threshold = 10").replace("threshold = 3000", "threshold = 900")
    found = problems(text)
    assert any("tiers[0].threshold: the first tier must start at 0" in p for p in found)
    assert any("tiers[2].threshold: thresholds must rise from tier to tier" in p for p in found)


def test_names_need_both_languages_and_rewards_one_cost():
    text = CLINIC.replace('name = { en = "Priority booking", de = "Bevorzugte Terminvergabe" }',
                          'name = { en = "Priority booking" }').replace(
        "kind = \"perk\"\ncost_points = 150", "kind = \"perk\"\ncost_points = 150\ncost_stamps = 3")
    found = problems(text)
    assert any("rewards[0].name: needs a text in English and German" in p for p in found)
    assert any("rewards[1].cost_points: give exactly one of cost_points or cost_stamps" in p for p in found)


def test_plan_benefit_must_exist():
    text = CLINIC.replace('benefits = [{ code = "facial", per_period = 1 }]\nperks = []',
                          'benefits = [{ code = "massage", per_period = 1 }]\nperks = []')
    assert any("plans[0].benefits: benefit 1 needs a catalogue or reward code" in p for p in problems(text))


def test_compliance_profiles_are_data():
    assert available_profiles() == ["de-clinic", "generic"]
    de = load_profile("de-clinic")
    assert not de.earns_points("physician_service") and not de.earns_points("medical_device")
    assert not de.earns_points("medicine") and de.earns_points("cosmetic") and de.earns_points("retail")
    assert not de.reward_may_apply("discount", "physician_service")
    assert not de.gift_allowed("medical_device", 101) and de.gift_allowed("medical_device", 100)
    with pytest.raises(FileNotFoundError):
        load_profile("../programs/shop")


def test_shipped_de_clinic_rewards_are_all_allowed():
    """Perks, donations and cosmetic/retail rewards only: nothing touches physician services."""
    clinic = load_program_file(ASSETS / "programs" / "clinic-de.toml")
    profile = clinic.compliance
    for reward in clinic.rewards.values():
        assert reward.kind in ("perk", "donation", "discount", "free_item")
        for category in reward.applies_to:
            assert profile.reward_may_apply(reward.kind, category), reward.code
        if reward.item:
            assert clinic.catalogue[reward.item].category in ("cosmetic", "retail"), reward.code
