"""The pure parts of sync: hybrid logical clock, field merge, signatures, cursors, the erasure rule."""
from __future__ import annotations

import dataclasses
import itertools
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loyalty import hlc
from loyalty.store import registry
from sync import merge, signing
from sync.protocol import batch_id, make_cursor, parse_cursor

from hostile import example


def test_hlc_never_goes_back_when_the_wall_clock_jumps_back():
    a = hlc.tick(0, 1_000_000)
    b = hlc.tick(a, 10)                 # the wall clock jumped back by 16 minutes
    assert b > a and hlc.physical_ms(b) == 1_000_000 and hlc.counter(b) == 1


def test_hlc_moves_past_a_remote_clock_a_few_minutes_ahead():
    local = hlc.tick(0, 1_000)
    remote = hlc.from_wall(1_000 + hlc.MAX_AHEAD_MS - 1)
    seen = hlc.receive(local, remote, 1_001)
    assert seen > remote and hlc.tick(seen, 1_002) > remote


@pytest.mark.parametrize("remote", [hlc.from_wall(9_000_000), hlc.CEILING, 2 ** 63 - 1])
def test_hlc_adopts_no_clock_far_ahead_of_its_own_wall_clock(remote):
    seen = hlc.receive(hlc.tick(0, 1_000), remote, 1_001)
    assert hlc.from_wall(1_001) < seen <= hlc.limit(1_001)


def test_hlc_drops_a_stored_value_no_honest_clock_holds():
    assert hlc.tick(2 ** 63 - 1, 5_000) == hlc.from_wall(5_000)
    assert hlc.receive(2 ** 63 - 2, hlc.from_wall(5_000), 5_000) == hlc.from_wall(5_000) + 1
    behind = hlc.from_wall(9_000_000)               # the wall clock jumped back: the clock stays where it was
    assert hlc.tick(behind, 5_000) == behind + 1


@given(st.integers(0, 2 ** 63 - 1), st.integers(0, 2 ** 63 - 1), st.integers(0, 2 ** 47))
@settings(max_examples=300, deadline=None)
def test_hlc_never_leaves_the_63_bit_column(last, remote, wall_ms):
    local = hlc.tick(last, wall_ms)
    for value in (local, hlc.receive(last, remote, wall_ms), hlc.after(local, remote)):
        assert 0 <= value < 2 ** 63


def test_an_edit_sorts_after_the_edit_it_overwrites():
    assert hlc.after(5, 9) == 10 and hlc.after(12, 9) == 12
    assert hlc.after(5, 2 ** 63 - 1) == 5           # an absurd stored clock is not followed


def test_hlc_counter_overflow_carries_into_milliseconds():
    value = hlc.from_wall(5) + (1 << hlc.COUNTER_BITS) - 1
    assert hlc.tick(value, 5) == hlc.from_wall(6)


def _event(field, value, stamp, device, event_id):
    return {field: value}, [field], merge.event_clock(stamp, device, event_id), "upsert"


@given(st.lists(st.tuples(st.sampled_from(["phone", "note"]), st.text(max_size=3), st.integers(0, 20),
                          st.sampled_from("AB")), min_size=1, max_size=6))
@settings(max_examples=60, deadline=None)
def test_profile_fields_converge_in_any_order(edits):
    base = {"id": "m1", "phone": None, "note": None}
    results = set()
    numbered = [(i, *edit) for i, edit in enumerate(edits)]
    for order in itertools.islice(itertools.permutations(numbered), 24):
        row, clocks = dict(base), {}
        for number, field, value, stamp, device in order:
            payload, fields, clock, op = _event(field, value, stamp, device, f"e{number}")
            row, clocks, _ = merge.merge_row("member", row, clocks, payload, fields, clock, op)
        results.add(tuple(sorted(row.items(), key=lambda kv: kv[0])))
    assert len(results) == 1


def test_different_fields_edited_on_two_stations_both_survive():
    row, clocks = {"id": "m1", "phone": "1", "note": "a"}, {}
    row, clocks, _ = merge.merge_row("member", row, clocks, {"phone": "2"}, ["phone"], (5, "A", "e1"), "upsert")
    row, clocks, _ = merge.merge_row("member", row, clocks, {"note": "b"}, ["note"], (3, "B", "e2"), "upsert")
    assert row == {"id": "m1", "phone": "2", "note": "b"}


def test_revoked_card_stays_revoked_even_against_a_later_clock():
    card = {"id": "c1", "status": "active", "revoked_at": None, "revoked_reason": None}
    revoke = {"id": "c1", "status": "revoked", "revoked_at": "t", "revoked_reason": "lost"}
    for first, second in ((revoke, card), (card, revoke)):
        clocks_first = (1, "A", "e1") if first is revoke else (9, "B", "e2")
        clocks_second = (9, "B", "e2") if first is revoke else (1, "A", "e1")
        row, clocks, _ = merge.merge_row("card", None, {}, first, None, clocks_first, "upsert")
        row, clocks, _ = merge.merge_row("card", row, clocks, second, None, clocks_second, "upsert")
        assert row["status"] == "revoked" and row["revoked_reason"] == "lost"


def test_erasure_wins_over_a_later_profile_edit():
    member = {"id": "m1", "first_name": "Anna", "erased_at": None}
    erased = {"id": "m1", "first_name": None, "erased_at": "t"}
    edit = {"id": "m1", "first_name": "Anne", "erased_at": None}
    row, clocks, _ = merge.merge_row("member", member, {}, edit, ["first_name"], (9, "B", "e2"), "upsert")
    row, clocks, _ = merge.merge_row("member", row, clocks, erased, None, (5, "A", "e1"), "erase")
    row, clocks, _ = merge.merge_row("member", row, clocks, edit, ["first_name"], (12, "B", "e3"), "upsert")
    assert row["first_name"] is None and row["erased_at"] == "t"


def test_append_only_rows_keep_their_first_copy():
    entry = {"id": "l1", "points": 10}
    row, _, changed = merge.merge_row("ledger_entry", entry, {}, {"id": "l1", "points": 99}, None, (9, "B", "x"),
                                      "upsert")
    assert row == entry and not changed


def test_signature_binds_method_path_body_and_nonce():
    secret = signing.new_secret()
    headers = signing.sign("dev", secret, "POST", "/v1/sync/push", b"{}", 1000.0)
    args = (headers["X-Timestamp"], headers["X-Nonce"])
    assert signing.verify(secret, "POST", "/v1/sync/push", *args, b"{}", headers["X-Signature"])
    assert not signing.verify(secret, "POST", "/v1/sync/pull", *args, b"{}", headers["X-Signature"])
    assert not signing.verify(secret, "POST", "/v1/sync/push", *args, b"{ }", headers["X-Signature"])
    assert not signing.verify(signing.new_secret(), "POST", "/v1/sync/push", *args, b"{}", headers["X-Signature"])
    assert not signing.verify(secret, "POST", "/v1/sync/push", *args, b"{}", "é" * 64)
    assert signing.fresh(headers["X-Timestamp"], 1000.0 + 299) and not signing.fresh(headers["X-Timestamp"], 1400.0)


def test_cursor_round_trip_and_batch_ids():
    assert parse_cursor(make_cursor("ab12", 42)) == ("ab12", 42)
    assert parse_cursor("") == (None, 0)
    for garbage in ("garbage", "ab12:²", f"ab12:{2 ** 63}", ":7", "ab12:-1"):
        with pytest.raises(ValueError):
            parse_cursor(garbage)
    assert batch_id(["a", "b"]) == batch_id(["a", "b"]) != batch_id(["b", "a"])


def test_erasure_rule_clears_personal_fields_keeps_amounts_and_drops_health_records():
    member = registry.scrub("member", {"id": "m1", "first_name": "Anna", "email": "a@example.org", "locale": "de"})
    assert member == {"id": "m1", "first_name": None, "email": None, "locale": "de"}
    entry = registry.scrub("ledger_entry", {"id": "e1", "member": "m1", "points": 35, "item_code": "botox",
                                           "reason": "treatment"})
    assert entry == {"id": "e1", "member": "m1", "points": 35, "item_code": None, "reason": ""}
    audit = registry.scrub("audit_log", {"member_id": "m1", "detail": '{"item": "botox", "entry": "e1"}'})
    assert json.loads(audit["detail"]) == {"entry": "e1"}
    assert registry.scrub("treatment", {"id": "t1", "member": "m1", "item_code": "botox"}) is None
    assert registry.scrub("consent_event", {"id": "c1", "member": "m1", "granted": True})["granted"] is True
    assert [registry.owner(t, r, p) for t, r, p in (("member", "m1", {}), ("audit_log", "a1", {"member_id": "m1"}),
                                                   ("card", "c1", {"member": "m1"}))] == ["m1"] * 3


def test_a_station_cannot_author_a_record_type_only_hq_writes(monkeypatch):
    monkeypatch.setitem(registry.RECORDS, "flag", dataclasses.replace(registry.RECORDS["flag"],
                                                                      authors=(registry.Author.HQ,)))
    payload = example("flag", "f1", "station-1", {"member": "m1"})
    assert registry.invalid("flag", "f1", "upsert", payload) == "author_not_allowed"
    assert registry.invalid("flag", "f1", "upsert", payload, author=registry.Author.HQ) is None
    assert registry.invalid("flag", "f1", "upsert", payload, author=None) is None      # a pull: HQ checked it


def test_a_field_its_column_fills_may_be_missing_a_required_one_may_not():
    member = example("member", "m1", "station-1", {})
    del member["home_location"]                     # written before migration 0009 added it
    assert registry.invalid("member", "m1", "upsert", member) is None
    assert registry.complete("member", member)["home_location"] is None
    entry = example("ledger_entry", "e1", "station-1", {"member": "m1"})
    del entry["points"]
    assert registry.invalid("ledger_entry", "e1", "upsert", entry) is None
    assert registry.complete("ledger_entry", entry)["points"] == 0
    assert registry.invalid("ledger_entry", "e1", "upsert", entry, ["points"]) == "missing:points"
    del entry["kind"]
    assert registry.invalid("ledger_entry", "e1", "upsert", entry) == "missing:kind"
    newer = {**example("card", "c1", "station-1", {"member": "m1"}), "colour": "gold"}
    assert registry.invalid("card", "c1", "upsert", newer) == "unknown_field:colour"
    assert registry.invalid("card", "c1", "upsert", newer, newer=True) is None       # HQ a version ahead
    staff = {**example("staff", "s1", "station-1", {}), "pin_hash": "$argon2id$..."}
    assert registry.invalid("staff", "s1", "upsert", staff) == "unknown_field:pin_hash"


def test_what_a_record_is_and_whose_it_is_never_changes():
    card = example("card", "c1", "station-1", {"member": "m1"})
    assert registry.conflict("card", card, {**card, "member": "m2"}, ["member"]) == "fixed:member"
    assert registry.conflict("card", card, {**card, "member": "m2"}, None) == "fixed:member"
    assert registry.conflict("card", card, {**card, "member": "m2", "status": "revoked"}, ["status"]) is None
    assert registry.conflict("card", None, card) is None
    member = example("member", "m1", "station-1", {})
    older = {k: v for k, v in member.items() if k != "home_location"}
    assert registry.conflict("member", older, {**member, "home_location": "loc-1"}) is None
    assert registry.conflict("member", member, {**member, "home_location": "loc-1"}) == "fixed:home_location"
    assert registry.conflict("member", member, {**member, "home_location": "loc-1"}, ["home_location"],
                             registry.Author.HQ) is None                       # the console moves a member's home
    assert registry.conflict("member", member, {**member, "created_device": "x"}, None,
                             registry.Author.HQ) == "fixed:created_device"
    assert registry.conflict("member", member, {**member, "note": "Allergie"}, ["note"]) is None
    entry = example("ledger_entry", "e1", "station-1", {"member": "m1"})
    assert registry.conflict("ledger_entry", entry, {**entry, "points": 900}) == "record_exists"
    consent = example("consent_event", "k1", "station-1", {"member": "m1"})
    assert registry.conflict("consent_event", {**consent, "granted": 0}, consent) is None   # as SQLite keeps it
    assert {"membership", "device_id"} <= set(registry.RECORDS["benefit_use"].fixed_fields)
    assert registry.RECORDS["member"].fixed_fields == ("created_device", "created_at")
