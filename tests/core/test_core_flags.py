"""Alerts for the manager: raised on a balance below zero and on a busy day, listed with their
figures, resolved by a manager with a note (who, when, audited, queued for HQ), shown at the desk."""
from __future__ import annotations

import json

from loyalty.services import award_purchase, erase_member, redeem, refund
from loyalty.services.flags import member_flags, open_flags, resolve_flag, resolved_flags
from loyalty.services.settings import update_settings
from loyalty.store import AuditLog, Flag, Outbox

from core_helpers import join, refused, row_counts


def negative(station, name: str = "Ben"):
    """A purchase, a perk bought with those points, then the purchase refunded: -100 points."""
    member = join(station.device, name).member_id
    purchase = award_purchase(member, 10000, station.receptionist, item_code="sunscreen").entry_id
    redeem(member, "lounge", station.receptionist)
    refund(purchase, station.receptionist)
    return member


def test_open_flags_say_what_happened_with_the_figures(station, clock):
    ben = negative(station)
    update_settings({"checkin.flag_transactions_per_day": "2"}, station.manager)
    busy = join(station.device, "Clara").member_id
    for _ in range(3):
        award_purchase(busy, 1000, station.receptionist, item_code="serum")
    rows = {row.kind: row for row in open_flags(station.manager)}
    assert set(rows) == {"negative_balance", "many_transactions"}
    assert (rows["negative_balance"].member_id, rows["negative_balance"].first_name) == (ben, "Ben")
    assert rows["negative_balance"].balance == 50 + 100 - 150 - 100
    assert rows["many_transactions"].member_id == busy
    assert rows["many_transactions"].entries_that_day == 4            # the welcome bonus and three purchases
    assert str(rows["many_transactions"].day) == "2026-03-02"
    assert all(row.resolved_at is None and row.note is None for row in rows.values())
    assert [row.kind for row in member_flags(ben)] == ["negative_balance"]
    assert member_flags(join(station.device, "Dora").member_id) == []


def test_only_a_manager_lists_and_resolves(station, clock):
    negative(station)
    [flag] = open_flags(station.manager)
    before = row_counts()
    with refused("manager_only"):
        open_flags(station.receptionist)
    with refused("manager_only"):
        resolve_flag(flag.flag_id, station.receptionist, "looked at it")
    with refused("manager_only"):
        resolved_flags(station.receptionist)
    assert row_counts() == before


def test_resolving_needs_a_note_and_records_who_and_when_audited_and_queued_for_hq(station, clock):
    ben = negative(station)
    [flag] = open_flags(station.manager)
    before = row_counts()
    for note in ("", "   ", None):
        with refused("flag_note_required"):
            resolve_flag(flag.flag_id, station.manager, note)
    with refused("note_too_long"):
        resolve_flag(flag.flag_id, station.manager, "x" * 1001)
    with refused("flag_unknown"):
        resolve_flag("no-such-flag", station.manager, "checked")
    assert row_counts() == before

    clock.advance(minutes=5)
    done = resolve_flag(flag.flag_id, station.manager, "  Refund after the lounge perk; settled at the desk.  ")
    assert done.resolved_at == clock.current and done.resolved_by == "Maria Manager"
    assert done.note == "Refund after the lounge perk; settled at the desk."
    row = Flag.get_by_id(flag.flag_id)
    assert (row.resolved_by, row.note) == (station.manager.staff_id, done.note)
    [audit] = AuditLog.select().where(AuditLog.action == "flag_resolved")
    assert (audit.staff_id, audit.member_id) == (station.manager.staff_id, ben)
    assert json.loads(audit.detail) == {"flag": flag.flag_id, "kind": "negative_balance"}
    event = Outbox.select().where((Outbox.table == "flag") & (Outbox.record_id == flag.flag_id)).order_by(
        Outbox.seq.desc()).first()
    assert json.loads(event.fields) == ["note", "resolved_at", "resolved_by"]
    assert json.loads(event.payload)["note"] == done.note

    assert open_flags(station.manager) == [] and member_flags(ben) == []
    assert [r.flag_id for r in resolved_flags(station.manager)] == [flag.flag_id]
    with refused("flag_resolved"):
        resolve_flag(flag.flag_id, station.manager, "again")
    clock.advance(days=31)
    assert resolved_flags(station.manager) == []


def test_after_resolving_the_next_entry_below_zero_raises_a_new_alert(station, clock):
    ben = negative(station)
    [flag] = open_flags(station.manager)
    resolve_flag(flag.flag_id, station.manager, "Told the patient")
    clock.advance(hours=2)
    purchase = award_purchase(ben, 2000, station.receptionist, item_code="sunscreen").entry_id
    refund(purchase, station.receptionist)                                  # still -100: below zero again
    [again] = open_flags(station.manager)
    assert again.flag_id != flag.flag_id and again.kind == "negative_balance"


def test_a_busy_day_alert_resolved_today_is_not_raised_again_today(station, clock):
    update_settings({"checkin.flag_transactions_per_day": "1"}, station.manager)
    busy = join(station.device, "Clara").member_id
    award_purchase(busy, 1000, station.receptionist, item_code="serum")
    [flag] = open_flags(station.manager)
    resolve_flag(flag.flag_id, station.manager, "Family shopping, fine")
    award_purchase(busy, 1000, station.receptionist, item_code="serum")
    assert open_flags(station.manager) == []
    clock.advance(days=1)
    award_purchase(busy, 1000, station.receptionist, item_code="serum")
    award_purchase(busy, 1000, station.receptionist, item_code="serum")
    assert [row.day for row in open_flags(station.manager)] == [clock.current.date()]


def test_erasure_clears_the_managers_note_and_keeps_the_alert_anonymous(station, clock):
    ben = negative(station)
    [flag] = open_flags(station.manager)
    resolve_flag(flag.flag_id, station.manager, "Ben Muster called, refund agreed")
    erase_member(ben, station.manager)
    row = Flag.get_by_id(flag.flag_id)
    assert row.note is None and row.resolved_at is not None and row.kind == "negative_balance"
