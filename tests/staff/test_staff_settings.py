"""Settings edits: validated like the TOML file, stored as a new version, in force at once."""
import pytest

from loyalty.errors import Refused
from loyalty.services import award_purchase, check_in, current_program, enroll
from loyalty.services.checkin import CHECKED_IN
from loyalty.services.settings import SettingInvalid, compliance_table, program_toml, replace_program, update_settings


def test_points_rule_change_applies_to_the_next_award(station):
    member = enroll("Anna", station.device, email="anna@example.org", consent_program=True, age_confirmed=True)
    saved = update_settings({"points.per_euro": "2", "tiers.silver.threshold": "900"}, station.manager)
    assert saved.changed == ["points.per_euro", "tiers.silver.threshold"]
    assert current_program().points_per_euro == 2
    assert current_program().tiers[1].threshold == 900
    result = award_purchase(member.member_id, 1000, station.receptionist, item_code="serum")
    assert result.points == 20
    assert "# points for each full euro" in program_toml()   # comments survive the edit


def test_float_and_catalogue_fields(station):
    update_settings({"checkin.cooldown_hours": "6,5", "catalogue.serum.price_cents": "5200"}, station.manager)
    program = current_program()
    assert program.cooldown_hours == 6.5
    assert program.catalogue["serum"].price_cents == 5200


def test_invalid_value_names_the_field_and_changes_nothing(station):
    before = program_toml()
    with pytest.raises(Refused) as exc:
        update_settings({"tiers.gold.threshold": "500"}, station.manager)
    assert exc.value.code == "setting_invalid"
    assert exc.value.params["field"] == "tiers.gold.threshold"
    with pytest.raises(Refused) as exc:
        update_settings({"points.per_euro": "zwei"}, station.manager)
    assert exc.value.code == "setting_not_whole" and exc.value.params["field"] == "points.per_euro"
    with pytest.raises(Refused) as exc:
        update_settings({"catalogue.serum.category": "magic"}, station.manager)
    assert exc.value.params["field"] == "catalogue.serum.category"
    assert program_toml() == before


def test_invalid_change_is_said_in_german_and_english_per_field(station):
    before = program_toml()
    with pytest.raises(SettingInvalid) as exc:
        update_settings({"tiers.gold.threshold": "500"}, station.manager)
    assert exc.value.message("de") == "tiers.gold.threshold: die Schwellen müssen von Stufe zu Stufe steigen"
    assert exc.value.message("en") == "tiers.gold.threshold: thresholds must rise from tier to tier"
    with pytest.raises(SettingInvalid) as exc:
        update_settings({"tiers.gold.threshold": "500", "stamps.per_card": "0"}, station.manager)
    assert exc.value.by_field("de") == {"stamps.per_card": "muss mindestens 1 sein",
                                        "tiers.gold.threshold": "die Schwellen müssen von Stufe zu Stufe steigen"}
    assert program_toml() == before


def test_valid_change_is_seen_by_the_kiosk_services_at_once(station):
    """The kiosk reads the program on each call: a new signup bonus and no cool-down apply
    to the very next enrolment and scan, with no restart."""
    joined = enroll("Anna", station.device, email="anna@example.org", consent_program=True, age_confirmed=True)
    assert check_in(joined.card_token, station.device).status == CHECKED_IN
    update_settings({"points.signup_bonus": "75", "checkin.cooldown_hours": "0",
                     "checkin.daily_limit": "2"}, station.manager)
    later = enroll("Bert", station.device, email="bert@example.org", consent_program=True, age_confirmed=True)
    assert later.bonus_points == 75
    assert check_in(joined.card_token, station.device).status == CHECKED_IN


def test_forbidden_reward_category_is_refused_under_de_clinic(station):
    with pytest.raises(Refused) as exc:
        update_settings({"rewards.credit-cosmetics.applies_to": "cosmetic, physician_service"}, station.manager)
    assert exc.value.params["field"] == "rewards.credit-cosmetics.applies_to"
    assert "physician_service" in exc.value.message("en")


def test_unknown_field_and_receptionist_are_refused(station):
    with pytest.raises(Refused) as exc:
        update_settings({"tiers.platinum.threshold": "1"}, station.manager)
    assert exc.value.code == "setting_unknown"
    with pytest.raises(Refused) as exc:
        update_settings({"points.per_euro": "3"}, station.receptionist)
    assert exc.value.code == "manager_only"
    with pytest.raises(Refused):
        update_settings({"points.per_euro": "1"}, station.manager)   # no change at all


def test_replace_program_syntax_error_is_refused(station):
    with pytest.raises(Refused) as exc:
        replace_program(program_toml() + "\n[points\n", station.manager)
    assert exc.value.code == "setting_invalid"
    saved = replace_program(program_toml().replace('name = "Praxis Vital Bonusprogramm"', 'name = "Praxis Neu"'),
                            station.manager)
    assert saved.program.name == "Praxis Neu" and current_program().name == "Praxis Neu"


def test_compliance_table_for_de_clinic(station):
    rows = {row.category: row for row in compliance_table()}
    assert rows["physician_service"].earns_points is False
    assert rows["physician_service"].reward_kinds["discount"] is False
    assert rows["cosmetic"].reward_kinds["discount"] is True
    assert rows["medical_device"].gift_cap_cents == 100
