"""Alerts across locations: one raised at A is on B's list after sync; resolved at B (who, when,
the note) it is closed at A too; a flag record of a kind nobody raises is refused."""
from __future__ import annotations

from loyalty.services import award_purchase, enroll, redeem, refund
from loyalty.services.flags import member_flags, open_flags, resolve_flag
from loyalty.store import Flag, registry


def _settle(*nodes):
    for _ in range(2):
        for node in nodes:
            node.sync()


def test_an_alert_resolved_at_one_location_is_closed_at_the_other(hq, template, tmp_path):
    a, b = template.node(tmp_path, "a", hq), template.node(tmp_path, "b", hq)
    a.use()
    ben = enroll("Ben", a.device, email="ben@example.org", consent_program=True, age_confirmed=True).member_id
    purchase = award_purchase(ben, 10000, a.receptionist, item_code="sunscreen").entry_id
    redeem(ben, "lounge", a.receptionist)
    refund(purchase, a.receptionist)
    _settle(a, b)
    b.use()
    [flag] = open_flags(b.manager)
    assert (flag.member_id, flag.kind, flag.balance) == (ben, "negative_balance", -100)
    resolve_flag(flag.flag_id, b.manager, "Checked at Praxis Süd: refund after the perk")
    _settle(b, a)
    a.use()
    assert open_flags(a.manager) == [] and member_flags(ben) == []
    row = Flag.get_by_id(flag.flag_id)
    assert row.note == "Checked at Praxis Süd: refund after the perk"
    assert row.resolved_at is not None and row.resolved_by == b.manager.staff_id


def test_a_flag_of_an_unknown_kind_is_refused():
    payload = {"id": "f1", "member": "m1", "kind": "too_happy", "detail": "", "at": "2026-03-02T09:00:00.000000Z",
               "resolved_at": None, "resolved_by": None, "note": None}
    assert registry.invalid("flag", "f1", "upsert", payload) == "unknown_value:kind"
    assert registry.invalid("flag", "f1", "upsert", {**payload, "kind": "negative_balance"}) is None
