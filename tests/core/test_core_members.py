"""Enrolment, dedupe, referral, search, GDPR export and erasure on a real SQLite station."""
from __future__ import annotations

import json

import pytest

from loyalty import ledger
from loyalty.errors import Refused
from loyalty.services import (
    award_purchase,
    card_token,
    check_in,
    consents,
    enroll,
    erase_member,
    export_member,
    member_status,
    record_treatment,
    search,
    set_consent,
    update_profile,
)
from loyalty.store import AuditLog, Card, ConsentEvent, Feedback, FollowUp, LedgerEntry, Member, Treatment

from core_helpers import join, refused, row_counts


def test_enroll_gives_a_card_and_the_signup_bonus(station, clock):
    result = join(station.device, "Anna", last_name="Schmidt", consent_marketing=True)
    assert result.created and result.card_token.startswith("LY1:")
    assert result.bonus_points == 50 and result.status.points == 50
    entry = LedgerEntry.get(LedgerEntry.member == result.member_id)
    assert (entry.kind, entry.points, entry.device_id) == (ledger.SIGNUP, 50, station.device.device_id)
    assert consents(result.member_id) == {"program": True, "marketing": True, "care": False}
    assert member_status(result.member_id).tier == "member"


@pytest.mark.parametrize("kwargs, code", [
    (dict(first_name=" ", email="a@example.org"), "first_name_required"),
    (dict(first_name="A" * 61, email="a@example.org"), "name_too_long"),
    (dict(first_name="Anna"), "contact_required"),
    (dict(first_name="Anna", email="not-an-email"), "invalid_email"),
    (dict(first_name="Anna", phone="0171"), "invalid_phone"),
    (dict(first_name="Anna", email="a@example.org", consent_program=False), "consent_required"),
    (dict(first_name="Anna", email="a@example.org", age_confirmed=False), "age_required"),
    (dict(first_name="Anna", email="a@example.org", birthday_day=31, birthday_month=2), "invalid_birthday"),
    (dict(first_name="Anna", email="a@example.org", birthday_day=3), "invalid_birthday"),
    (dict(first_name="Anna", email="a@example.org", referrer_token="LY1:AAAAAAAAAAAAAAAA:AAAAAAAAAAAA"),
     "referral_invalid"),
])
def test_enroll_refusals_write_nothing(station, kwargs, code):
    args = dict(consent_program=True, age_confirmed=True) | kwargs
    first = args.pop("first_name")
    before = row_counts()
    with pytest.raises(Refused) as info:
        enroll(first, station.device, **args)
    assert info.value.code == code
    assert info.value.message("de") != f"refused.{code}" and info.value.message("en") != f"refused.{code}"
    assert row_counts() == before


def test_age_is_not_required_in_the_shop(shop_station):
    assert enroll("Tom", shop_station.device, email="tom@example.org", consent_program=True).created


def test_same_email_or_phone_returns_the_existing_member(station):
    first = join(station.device, "Anna", email="anna@example.org", phone="0171 2345678")
    again = join(station.device, "Anna", email=" ANNA@example.org ")
    by_phone = enroll("Annie", station.device, phone="+49 171 2345678", consent_program=True, age_confirmed=True)
    assert not again.created and again.member_id == first.member_id and again.card_token is None
    assert not by_phone.created and by_phone.member_id == first.member_id and by_phone.bonus_points == 0
    assert Member.select().count() == 1
    assert LedgerEntry.select().count() == 1   # one signup bonus only


def test_referral_bonus_for_both(station):
    anna = join(station.device, "Anna")
    ben = join(station.device, "Ben", referrer_token=anna.card_token)
    assert ben.bonus_points == 50 + 100
    assert member_status(anna.member_id).points == 50 + 100
    assert Member.get_by_id(ben.member_id).referred_by == anna.member_id
    kinds = sorted(e.kind for e in LedgerEntry.select().where(LedgerEntry.kind == ledger.REFERRAL))
    assert kinds == ["referral", "referral"]


def test_search_by_name_email_and_phone_prefix(station):
    anna = join(station.device, "Anna", last_name="Müller", email="anna.m@example.org", phone="0171 2345678")
    join(station.device, "Annabell", last_name="Weber", email="bell@example.org")
    join(station.device, "Otto", last_name="Schmidt", email="otto@example.org", phone="0152 99887766")
    assert {s.first_name for s in search("ann")} == {"Anna", "Annabell"}
    assert [s.first_name for s in search("mull")] == ["Anna"]           # last name, accents folded
    assert [s.first_name for s in search("anna mü")] == ["Anna"]        # first and last
    assert [s.first_name for s in search("bell@ex")] == ["Annabell"]
    assert [s.first_name for s in search("otto@")] == ["Otto"]
    assert [s.member_id for s in search("0171 23")] == [anna.member_id]
    assert [s.first_name for s in search("+49152")] == ["Otto"]
    hit = search("anna.m@")[0]
    assert (hit.email, hit.phone, hit.points) == ("anna.m@example.org", "+491712345678", 50)
    assert search("a") == [] and search("zz") == []


def test_update_profile_is_validated_and_audited(station, clock):
    anna = join(station.device, "Anna")
    with refused("staff_only"):
        update_profile(anna.member_id, station.device, last_name="Meyer")
    before = row_counts()
    with refused("invalid_phone"):
        update_profile(anna.member_id, station.receptionist, phone="12")
    with refused("contact_required"):
        update_profile(anna.member_id, station.receptionist, email=None)
    assert row_counts() == before
    update_profile(anna.member_id, station.receptionist, last_name="Meyer", phone="0171 2345678")
    assert [s.member_id for s in search("meyer")] == [anna.member_id]
    assert Member.get_by_id(anna.member_id).phone == "+491712345678"
    assert AuditLog.select().where(AuditLog.action == "profile").count() == 1


def test_consent_withdrawal_is_an_event(station, clock):
    anna = join(station.device, "Anna", consent_marketing=True)
    clock.advance(minutes=1)
    set_consent(anna.member_id, "marketing", False, station.receptionist)
    assert consents(anna.member_id)["marketing"] is False
    assert ConsentEvent.select().where(ConsentEvent.member == anna.member_id).count() == 3
    with refused("consent_unknown"):
        set_consent(anna.member_id, "newsletter", True, station.receptionist)


def test_export_holds_everything_and_is_json(station, clock):
    anna = join(station.device, "Anna", last_name="Schmidt", phone="0171 2345678")
    award_purchase(anna.member_id, 4900, station.receptionist, item_code="serum")
    record_treatment(anna.member_id, "botox", station.receptionist)
    with refused("staff_only"):
        export_member(anna.member_id, station.device)
    data = json.loads(json.dumps(export_member(anna.member_id, station.receptionist)))
    assert data["member"]["first_name"] == "Anna" and data["member"]["phone"] == "+491712345678"
    assert len(data["ledger"]) == 3 and len(data["treatments"]) == 1 and len(data["cards"]) == 1
    assert data["consents"][0]["purpose"] == "program"
    assert {a["action"] for a in data["staff_actions"]} >= {"award", "treatment"}
    assert data["status"]["points"] == 50 + 49
    assert {"memberships", "benefit_uses", "flags", "feedback", "follow_ups"} <= set(data)


def test_erase_removes_personal_data_and_keeps_amounts(station, clock):
    anna = join(station.device, "Anna", last_name="Schmidt", phone="0171 2345678", birthday_day=3, birthday_month=5)
    award_purchase(anna.member_id, 4900, station.receptionist, item_code="serum")
    record_treatment(anna.member_id, "botox", station.receptionist)
    Feedback.create(id="f1", member=anna.member_id, score=3, text="Rötung nach der Behandlung",
                    reports_problem=True, at=clock.current, device_id=station.device.device_id)
    FollowUp.create(id="u1", member=anna.member_id, kind="low_score", feedback="f1",
                    detail="Rötung nach der Behandlung", created_at=clock.current)
    token = anna.card_token
    with refused("manager_only"):
        erase_member(anna.member_id, station.receptionist)
    erase_member(anna.member_id, station.manager)
    member = Member.get_by_id(anna.member_id)
    for name in ("first_name", "last_name", "email", "phone", "phone_key", "name_key", "birthday_day", "note"):
        assert getattr(member, name) is None, name
    assert member.erased_at is not None
    amounts = sorted(e.points for e in LedgerEntry.select().where(LedgerEntry.member == anna.member_id))
    assert amounts == [0, 49, 50]
    assert all(e.item_code is None for e in LedgerEntry.select())
    assert Treatment.select().count() == 0
    assert (Feedback.get_by_id("f1").text, Feedback.get_by_id("f1").score) == (None, 3)
    assert FollowUp.get_by_id("u1").detail == ""
    assert Card.get(Card.member == anna.member_id).status == "revoked"
    assert check_in(token, station.device).status == "revoked"
    assert search("anna") == [] and search("0171") == []
    with refused("no_active_card"):
        card_token(anna.member_id)
    with refused("already_erased"):
        erase_member(anna.member_id, station.manager)
    with refused("member_unknown"):
        award_purchase(anna.member_id, 1000, station.receptionist, item_code="sunscreen")
    again = join(station.device, "Anna", last_name="Schmidt")
    assert again.created and again.member_id != anna.member_id
