"""Pure rules without a database: tokens, ledger lots, earning, check-in rules, contacts."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

from loyalty import ledger
from loyalty.contacts import fold, normalise_email, normalise_phone, phone_search_key
from loyalty.earning import points_for_purchase, refund_points
from loyalty.errors import Refused
from loyalty.tokens import TokenError, make_token, new_card_id, new_key, parse_token
from loyalty.visits import birthday_bonus_due, local_day_start, stamp_card, visit_refusal

KEY = bytes(range(32))
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def test_token_shape_is_versioned_alphanumeric_and_personal_data_free():
    card_id = new_card_id()
    token = make_token(card_id, KEY)
    version, cid, tag = token.split(":")
    assert version == "LY1" and cid == card_id and len(cid) == 16 and len(tag) == 12
    assert set(token) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")   # QR alphanumeric mode
    assert parse_token(token, KEY).card_id == card_id
    assert new_card_id() != card_id and len(new_key()) == 32


@pytest.mark.parametrize("text, reason", [
    ("https://example.org/menu", "foreign"),
    ("4006381333931", "foreign"),
    ("", "foreign"),
    ("LY1:ABCDEFGHIJKLMNOP", "malformed"),
    ("LY2:ABCDEFGHIJKLMNOP:ABCDEFGHIJKL", "malformed"),
])
def test_foreign_and_malformed_texts(text, reason):
    with pytest.raises(TokenError) as info:
        parse_token(text, KEY)
    assert info.value.reason == reason


def test_truncated_tampered_and_other_key_tokens_are_refused():
    token = make_token(new_card_id(), KEY)
    with pytest.raises(TokenError, match="malformed"):
        parse_token(token[:-1], KEY)
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    with pytest.raises(TokenError, match="tampered"):
        parse_token(flipped, KEY)
    with pytest.raises(TokenError, match="tampered"):
        parse_token(token, bytes(32))


def test_token_typed_by_a_us_layout_scanner_on_a_german_layout_is_accepted():
    token = make_token(new_card_id(), KEY)
    typed = token.translate(str.maketrans({"Y": "Z", "Z": "Y", ":": "Ö"}))
    assert parse_token(typed, KEY).text == token
    assert parse_token(f"  {token.lower()}\n", KEY).text == token


@dataclass
class E:
    id: str
    kind: str
    points: int
    created_at: datetime
    stamps: int = 0


def test_lots_are_spent_oldest_first_and_only_unspent_old_points_expire():
    entries = [E("a", ledger.PURCHASE, 100, T0), E("b", ledger.PURCHASE, 50, T0 + timedelta(days=400)),
               E("c", ledger.REDEEM, -120, T0 + timedelta(days=500))]
    lots = ledger.open_lots(entries)
    assert [(lot.entry_id, lot.remaining) for lot in lots] == [("b", 30)]
    assert ledger.points_balance(entries) == 30
    entries = [E("a", ledger.PURCHASE, 100, T0), E("b", ledger.PURCHASE, 50, T0 + timedelta(days=400)),
               E("c", ledger.REDEEM, -30, T0 + timedelta(days=500))]
    expired = ledger.expired_lots(entries, T0 + timedelta(days=300))
    assert [(lot.entry_id, lot.remaining) for lot in expired] == [("a", 70)]


def test_a_debt_is_paid_from_the_next_earning():
    entries = [E("a", ledger.REDEEM, -40, T0), E("b", ledger.PURCHASE, 100, T0 + timedelta(days=1))]
    assert [(lot.entry_id, lot.remaining) for lot in ledger.open_lots(entries)] == [("b", 60)]


def test_points_for_purchase_full_euros_times_multiplier_rounded_down():
    assert points_for_purchase(4990, 1, 1.0) == 49
    assert points_for_purchase(4990, 1, 1.25) == 61
    assert points_for_purchase(99, 1, 1.5) == 0
    assert points_for_purchase(0, 1, 1.0) == 0 and points_for_purchase(-500, 1, 1.0) == 0
    assert points_for_purchase(10000, 2, 1.5) == 300


def test_refund_points_are_proportional_and_never_exceed_what_was_earned():
    assert refund_points(100, 10000, 0, 10000) == 100
    assert refund_points(100, 10000, 0, 2500) == 25
    total = sum(refund_points(100, 10000, before, 2500) for before in (0, 2500, 5000, 7500))
    assert total == 100
    assert refund_points(100, 10000, 5000, 99999) == 50


def test_stamp_card_rolls_over():
    assert stamp_card(0, 10) == stamp_card(-3, 10)
    card = stamp_card(23, 10)
    assert (card.on_card, card.full_cards, card.per_card) == (3, 2, 10)


def test_visit_refusal_cooldown_then_daily_limit():
    assert visit_refusal(None, 0, T0, 12, 1) is None
    assert visit_refusal(T0, 1, T0 + timedelta(hours=11, minutes=59), 12, 5) == "cooldown"
    assert visit_refusal(T0, 1, T0 + timedelta(hours=12), 12, 1) == "daily_limit"
    assert visit_refusal(T0, 1, T0 + timedelta(hours=12), 12, 2) is None


def test_local_day_starts_at_midnight_in_berlin():
    assert local_day_start(datetime(2026, 7, 1, 21, 30, tzinfo=timezone.utc), "Europe/Berlin") == \
        datetime(2026, 6, 30, 22, 0, tzinfo=timezone.utc)   # 23:30 CEST: still 1 July in Berlin
    assert local_day_start(datetime(2026, 7, 1, 22, 30, tzinfo=timezone.utc), "Europe/Berlin") == \
        datetime(2026, 7, 1, 22, 0, tzinfo=timezone.utc)    # 00:30 on 2 July in Berlin


def test_birthday_bonus_in_the_month_once_a_year_not_for_a_fresh_birthday():
    march = datetime(2026, 3, 10, 9, tzinfo=timezone.utc)
    long_ago = march - timedelta(days=200)
    assert birthday_bonus_due(march, "Europe/Berlin", 20, 3, long_ago, None)
    assert not birthday_bonus_due(march, "Europe/Berlin", 20, 4, long_ago, None)          # other month
    assert not birthday_bonus_due(march, "Europe/Berlin", 20, 3, march - timedelta(days=29), None)
    assert birthday_bonus_due(march, "Europe/Berlin", 20, 3, march - timedelta(days=30), None)
    assert not birthday_bonus_due(march, "Europe/Berlin", 20, 3, long_ago, march - timedelta(days=3))
    assert birthday_bonus_due(march, "Europe/Berlin", 20, 3, long_ago, march - timedelta(days=365))
    assert not birthday_bonus_due(march, "Europe/Berlin", None, None, long_ago, None)


def test_email_normalised_by_email_validator():
    assert normalise_email("  Anna.Schmidt@Example.ORG ") == "anna.schmidt@example.org"
    assert normalise_email("jürgen@müller.de") == "jürgen@müller.de"
    for bad in ("anna", "anna@", "@example.org", "anna@@example.org", "anna@example"):
        with pytest.raises(Refused) as info:
            normalise_email(bad)
        assert info.value.code == "invalid_email" and "e-mail" in info.value.message("en")


def test_phone_normalised_to_e164_by_phonenumbers():
    assert normalise_phone("0171 2345678") == "+491712345678"
    assert normalise_phone("+49 (171) 234-5678") == "+491712345678"
    assert normalise_phone("0043 664 1234567") == "+436641234567"
    for bad in ("12", "0171", "hello", "+49 000 0000"):
        with pytest.raises(Refused) as info:
            normalise_phone(bad)
        assert info.value.code == "invalid_phone"
        assert "Telefonnummer" in info.value.message("de")


def test_search_keys():
    assert phone_search_key("0171 23") == "4917123"
    assert phone_search_key("+49 171") == "49171"
    assert phone_search_key("0049171") == "49171"
    assert fold("Müller") == fold("muller") == "muller"
    assert fold("Strauß") == "strauss"
