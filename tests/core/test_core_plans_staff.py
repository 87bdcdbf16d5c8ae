"""Membership plans, staff PINs with lock-out and the audit log, opening-balance import."""
from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher

from loyalty import ledger
from loyalty.periods import add_months
from loyalty.services import (
    audit_log,
    cancel_plan,
    change_role,
    create_staff,
    deactivate,
    import_balances,
    join_plan,
    list_staff,
    member_status,
    plan_status,
    reset_pin,
    search,
    sign_in,
    use_benefit,
)
from loyalty.services.members import balances
from loyalty.store import AuditLog, LedgerEntry, Member, Staff

from core_helpers import join, refused, row_counts


@pytest.fixture
def anna(station, clock):
    return join(station.device, "Anna").member_id


def test_plan_join_use_benefits_per_period_and_renewal(station, anna, clock):
    start = clock.current
    status = join_plan(anna, "premium", station.receptionist)
    assert (status.plan_code, status.status, status.started_at) == ("premium", "active", start)
    assert status.renews_on == add_months(start, 1) and status.price_cents == 9900
    assert status.benefits_left == {"facial": 1, "long-consult": 1}
    assert member_status(anna).plan == "premium"
    after = use_benefit(anna, "facial", station.receptionist)
    assert after.benefits_left["facial"] == 0 and after.benefits_used == {"facial": 1, "long-consult": 0}
    with refused("benefit_used_up") as info:
        use_benefit(anna, "facial", station.receptionist)
    assert info.value.params["renews"] == add_months(start, 1).date()
    with refused("benefit_not_in_plan"):
        use_benefit(anna, "botox", station.receptionist)
    with refused("plan_exists"):
        join_plan(anna, "vip", station.receptionist)
    clock.current = add_months(start, 1) + timedelta(minutes=1)
    renewed = plan_status(anna)
    assert renewed.period_start == add_months(start, 1) and renewed.renews_on == add_months(start, 2)
    assert renewed.benefits_left == {"facial": 1, "long-consult": 1}
    use_benefit(anna, "facial", station.receptionist)
    cancel_plan(anna, station.receptionist)
    assert plan_status(anna) is None and member_status(anna).plan is None
    with refused("no_plan"):
        use_benefit(anna, "facial", station.receptionist)
    with refused("no_plan"):
        cancel_plan(anna, station.receptionist)
    assert join_plan(anna, "vip", station.receptionist).benefits_left == {"facial": 2, "long-consult": 1}
    assert {r.action for r in audit_log(station.manager, member_id=anna)} >= {"join_plan", "use_benefit", "cancel_plan"}


def test_plan_refusals(station, anna):
    with refused("plan_unknown"):
        join_plan(anna, "platinum", station.receptionist)
    with refused("staff_only"):
        join_plan(anna, "basic", station.device)


def test_renewal_dates_clamp_to_the_month_end():
    from datetime import datetime, timezone
    jan31 = datetime(2026, 1, 31, 10, tzinfo=timezone.utc)
    assert add_months(jan31, 1).day == 28 and add_months(jan31, 25).day == 29     # February 2028 is a leap month
    assert add_months(jan31, -2) == datetime(2025, 11, 30, 10, tzinfo=timezone.utc)


def test_pins_are_argon2_hashes(station):
    staff = Staff.get(Staff.name == "Rita Reception")
    assert staff.pin_hash.startswith("$argon2id$") and "1357" not in staff.pin_hash
    assert PasswordHasher().verify(staff.pin_hash, "1357")


def test_sign_in_locks_after_five_wrong_pins(station, clock):
    for _ in range(4):
        with refused("sign_in_failed"):
            sign_in("Rita Reception", "0000", station.device.device_id)
    with refused("locked") as info:
        sign_in("Rita Reception", "0000", station.device.device_id)
    assert info.value.params == {"minutes": 15}
    with refused("locked"):
        sign_in("Rita Reception", "1357", station.device.device_id)    # even the right PIN
    clock.advance(minutes=15, seconds=1)
    actor = sign_in("Rita Reception", "1357", station.device.device_id)
    assert actor.role == "receptionist"
    assert AuditLog.select().where(AuditLog.action == "sign_in_failed").count() == 5
    with refused("sign_in_failed"):
        sign_in("Nobody", "1234", station.device.device_id)


def test_manager_manages_staff_and_the_last_manager_stays(station, clock):
    with refused("manager_only"):
        create_staff("Tim", "receptionist", "1111", station.receptionist)
    with refused("manager_only"):
        create_staff("Tim", "receptionist", "1111", None)      # only the first manager needs no actor
    with refused("pin_format"):
        create_staff("Tim", "receptionist", "12a4", station.manager)
    with refused("role_unknown"):
        create_staff("Tim", "owner", "1111", station.manager)
    with refused("staff_exists"):
        create_staff("Rita Reception", "receptionist", "1111", station.manager)
    tim = create_staff("Tim", "receptionist", "1111", station.manager)
    with refused("last_manager"):
        change_role(station.manager.staff_id, "receptionist", station.manager)
    with refused("last_manager"):
        deactivate(station.manager.staff_id, station.manager)
    reset_pin(tim.staff_id, "2222", station.manager)
    assert sign_in("Tim", "2222", station.device.device_id).name == "Tim"
    deactivate(tim.staff_id, station.manager)
    with refused("sign_in_failed"):
        sign_in("Tim", "2222", station.device.device_id)
    assert [s.name for s in list_staff()] == ["Maria Manager", "Rita Reception", "Tim"]
    actions = [r.action for r in audit_log(station.manager)]
    assert {"staff_create", "staff_pin_reset", "staff_deactivate", "sign_in"} <= set(actions)
    with refused("manager_only"):
        audit_log(station.receptionist)


CSV = """first_name,last_name,email,phone,points,stamps,consent
Anna,Schmidt,anna@example.org,0171 2345678,320,4,yes
Ben,,ben@example.org,,0,2,ja
Clara,Meyer,,+49 152 11122233,75,0,1
"""


def test_import_balances(station, clock):
    dry = import_balances(CSV, station.manager, dry_run=True)
    assert (dry.ok, dry.rows, dry.points, dry.created) == (True, 3, 395, 3)
    assert Member.select().count() == 0
    result = import_balances(CSV, station.manager)
    assert (result.ok, result.rows, result.created, result.matched, result.points) == (True, 3, 3, 0, 395)
    anna = search("anna@")[0]
    assert balances(anna.member_id) == (320, 4)          # no signup bonus unless the import asks for it
    clara = search("0152 111")[0]
    assert clara.points == 75
    assert LedgerEntry.select().where(LedgerEntry.kind == ledger.IMPORT).count() == 3
    assert AuditLog.select().where(AuditLog.action == "import").count() == 1


def test_import_is_all_or_nothing_with_row_numbers(station, clock):
    bad = CSV + "Dora,,dora@example,,10,0,yes\n,Nobody,x@example.org,,5,0,yes\nEva,,eva@example.org,,-3,0,no\n" \
        "Anna2,,anna@example.org,,1.5,0,yes\n" + "Zoe," + "Z" * 70 + ",zoe@example.org,,1,0,yes\n"
    before = row_counts()
    result = import_balances(bad, station.manager)
    assert not result.ok and result.created == 0
    by_row = {e.row: e.message for e in result.errors}
    assert set(by_row) == {5, 6, 7, 8, 9}
    assert "e-mail" in by_row[5]
    assert "first_name is empty" in by_row[6]
    assert "points must not be negative" in by_row[7] and "consent" in by_row[7]
    assert "not a whole number" in by_row[8] and "same contact as row 2" in by_row[8]
    assert "60" in by_row[9]
    assert row_counts() == before


def test_import_header_problems_and_manager_only(station):
    assert import_balances("name,points\nAnna,3\n", station.manager).errors[0].row == 1
    assert "unknown column" in import_balances("first_name,points,consent,bonus\n", station.manager).errors[0].message
    with refused("manager_only"):
        import_balances(CSV, station.receptionist)
