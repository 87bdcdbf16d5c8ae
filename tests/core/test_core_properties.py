"""Property-based tests: tokens round-trip, changed tokens are rejected, and no sequence of
operations makes points out of nothing (the balance is always the sum of the ledger)."""
from __future__ import annotations

import base64
import itertools
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loyalty import ledger
from loyalty.errors import Refused
from loyalty.services import (
    award_purchase,
    check_in,
    current_program,
    expire_points,
    member_status,
    record_treatment,
    redeem,
    refund,
    search,
    undo,
)
from loyalty.store import Flag, LedgerEntry
from loyalty.tokens import TokenError, make_token, parse_token

from core_helpers import join, row_counts

card_ids = st.binary(min_size=10, max_size=10).map(lambda b: base64.b32encode(b).decode())
keys = st.binary(min_size=16, max_size=64)
TOKEN_CHARS = string.ascii_uppercase + string.digits + ":"
_LAYOUT = str.maketrans({"Y": "Z", "Z": "Y"})


@settings(max_examples=200, deadline=None)
@given(card_ids, keys)
def test_tokens_round_trip(card_id, key):
    token = make_token(card_id, key)
    parsed = parse_token(token, key)
    assert (parsed.card_id, parsed.text) == (card_id, token)


@settings(max_examples=300, deadline=None)
@given(card_ids, keys, st.data())
def test_any_change_to_a_token_is_rejected(card_id, key, data):
    """Substituted, deleted or inserted characters never pass, except the one documented reading:
    a code typed with Y and Z swapped by a keyboard layout, which must then be the very same token."""
    token = make_token(card_id, key)
    where = data.draw(st.integers(0, len(token) - 1))
    how = data.draw(st.sampled_from(["replace", "delete", "insert"]))
    char = data.draw(st.sampled_from(TOKEN_CHARS))
    if how == "replace":
        changed = token[:where] + char + token[where + 1:]
    elif how == "delete":
        changed = token[:where] + token[where + 1:]
    else:
        changed = token[:where] + char + token[where:]
    if changed == token:
        return
    try:
        parsed = parse_token(changed, key)
    except TokenError as exc:
        assert exc.reason in ("foreign", "malformed", "tampered")
        return
    assert parsed.text == token and parsed.card_id == card_id
    assert changed.translate(_LAYOUT) == token, f"{changed!r} was accepted for {token!r}"


@settings(max_examples=100, deadline=None)
@given(card_ids, keys, keys)
def test_a_token_signed_with_another_key_is_rejected(card_id, key, other):
    if key == other:
        return
    try:
        parse_token(make_token(card_id, other), key)
    except TokenError as exc:
        assert exc.reason == "tampered"
    else:
        raise AssertionError("accepted a token signed with another key")


operations = st.lists(st.one_of(
    st.tuples(st.just("award"), st.integers(1, 60000), st.sampled_from([None, "serum", "sunscreen"])),
    st.tuples(st.just("redeem"), st.sampled_from(["lounge", "long-consult", "donation", "credit-cosmetics",
                                                  "serum-free", "priority-booking"]),
              st.one_of(st.none(), st.integers(1, 800))),
    st.tuples(st.just("refund"), st.integers(0, 5), st.one_of(st.none(), st.integers(1, 30000))),
    st.tuples(st.just("undo"), st.integers(0, 8)),
    st.tuples(st.just("treatment"), st.sampled_from(["botox", "facial", "microneedling"])),
    st.tuples(st.just("checkin")),
    st.tuples(st.just("advance"), st.sampled_from([0.01, 1, 13, 24 * 40, 24 * 400])),
    st.tuples(st.just("expire")),
), min_size=1, max_size=12)

_emails = itertools.count()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_random_operations_never_make_points_out_of_nothing(station, clock, ops):
    """Each example works on a member of its own, so the shared station file does not matter."""
    email = f"prop{next(_emails)}@example.org"
    member = join(station.device, "Prop", email=email)
    mid, token = member.member_id, member.card_token
    staff = station.receptionist
    for op in ops:
        before = row_counts()
        entries = list(LedgerEntry.select().where(LedgerEntry.member == mid).order_by(LedgerEntry.created_at))
        try:
            if op[0] == "award":
                award_purchase(mid, op[1], staff, item_code=op[2])
            elif op[0] == "redeem":
                redeem(mid, op[1], staff, points=op[2])
            elif op[0] == "refund":
                purchases = [e for e in entries if e.kind == ledger.PURCHASE]
                if purchases:
                    refund(purchases[op[1] % len(purchases)].id, staff, amount_cents=op[2])
            elif op[0] == "undo":
                undo(entries[-1 - op[1] % len(entries)].id, staff)
            elif op[0] == "treatment":
                record_treatment(mid, op[1], staff)
            elif op[0] == "checkin":
                check_in(token, station.device)
            elif op[0] == "advance":
                clock.advance(hours=op[1])
            elif op[0] == "expire":
                expire_points(station.device)
        except Refused:
            assert row_counts() == before, f"{op} was refused but wrote something"
        assert_ledger_sound(mid, email)


def assert_ledger_sound(member_id: str, email: str) -> None:
    program = current_program()
    entries = {e.id: e for e in LedgerEntry.select().where(LedgerEntry.member == member_id)}
    total = sum(e.points for e in entries.values())
    status = member_status(member_id)
    assert status.points == total
    assert status.stamps_on_card + status.full_cards * status.stamps_per_card == max(
        0, sum(e.stamps for e in entries.values()))
    assert [(s.member_id, s.points) for s in search(email)] == [(member_id, total)]
    best = max(t.multiplier for t in program.tiers)
    undone = {}
    for e in entries.values():
        if e.kind == ledger.SIGNUP:
            assert e.points == program.signup_bonus
        elif e.kind in (ledger.PURCHASE, ledger.TREATMENT):
            assert 0 <= e.points <= e.amount_cents // 100 * program.points_per_euro * best
        elif e.kind == ledger.BIRTHDAY:
            assert e.points == program.birthday_bonus
        elif e.kind in (ledger.REDEEM, ledger.EXPIRE, ledger.REFUND):
            assert e.points <= 0 and e.stamps <= 0
        elif e.kind == ledger.UNDO:
            target = entries[e.ref]
            assert (e.points, e.stamps) == (-target.points, -target.stamps)
            assert e.ref not in undone, "an entry was undone twice"
            undone[e.ref] = e
        elif e.kind != ledger.VISIT:
            raise AssertionError(f"unexpected kind {e.kind}")
        if e.kind == ledger.VISIT:
            assert (e.points, e.stamps) == (0, 1)
        if e.kind == ledger.REDEEM:
            reward = program.rewards[e.reward_code]
            if reward.cost_points:
                assert e.amount_cents * reward.cost_points <= -e.points * max(reward.value_cents, 1)
    for purchase in (e for e in entries.values() if e.kind == ledger.PURCHASE):
        refunds = [e for e in entries.values()          # an undone refund gives its points back
                   if e.kind == ledger.REFUND and e.ref == purchase.id and e.id not in undone]
        taken = -sum(e.points for e in refunds) + (purchase.points if purchase.id in undone else 0)
        assert taken <= purchase.points, "more points taken back than the purchase earned"
        assert -sum(e.amount_cents for e in refunds) <= purchase.amount_cents
        assert not (refunds and purchase.id in undone)
    if total < 0:
        assert Flag.select().where((Flag.member == member_id) & (Flag.kind == "negative_balance")).exists()
