"""Cards across locations: signed with the group's key from HQ, so a card issued at A scans at B;
a lost card's revocation reaches B; a forged code is refused everywhere."""
from __future__ import annotations

from loyalty.services import check_in, enroll, reissue_card
from loyalty.services.cards import card_token
from loyalty.store import Card, LedgerEntry
from loyalty.store.settings import get_setting
from loyalty.tokens import make_token, new_key


def _settle(*nodes):
    for _ in range(2):
        for node in nodes:
            node.sync()


def _enrol(node, first):
    node.use()
    return enroll(first, node.device, email=f"{first.lower()}@example.org", consent_program=True,
                  age_confirmed=True)


def test_a_card_issued_at_one_location_scans_at_the_other(hq, template, tmp_path):
    a, b = template.node(tmp_path, "a", hq), template.node(tmp_path, "b", hq)
    anna = _enrol(a, "Anna")
    _settle(a, b)
    b.use()
    assert check_in(anna.card_token, b.device).status == "checked_in"
    assert LedgerEntry.select().where((LedgerEntry.member == anna.member_id)
                                      & (LedgerEntry.device_id == b.device.device_id)).count() == 1


def test_a_lost_card_reissued_at_a_is_refused_at_b_after_sync(hq, template, tmp_path):
    a, b = template.node(tmp_path, "a", hq), template.node(tmp_path, "b", hq)
    anna = _enrol(a, "Anna")
    _settle(a, b)
    a.use()
    new = reissue_card(anna.member_id, a.receptionist, "lost")
    _settle(a, b)
    b.use()
    assert check_in(anna.card_token, b.device).status == "revoked"
    assert check_in(new, b.device).status == "checked_in"


def test_a_forged_code_is_refused_everywhere(hq, template, tmp_path):
    a, b = template.node(tmp_path, "a", hq), template.node(tmp_path, "b", hq)
    anna = _enrol(a, "Anna")
    _settle(a, b)
    a.use()
    card_id = Card.get(Card.member == anna.member_id).id
    forged = make_token(card_id, new_key())
    for node in (a, b):
        node.use()
        before = LedgerEntry.select().count()
        assert check_in(forged, node.device).status == "tampered"
        assert LedgerEntry.select().count() == before


def test_cards_printed_before_joining_hq_keep_working_at_their_station(hq, template, tmp_path):
    a, b = template.node(tmp_path, "a", hq), template.node(tmp_path, "b", hq)
    anna = _enrol(b, "Anna")
    card_id = Card.get(Card.member == anna.member_id).id
    printed = make_token(card_id, bytes.fromhex(get_setting("card_key")))   # B's own key, from before
    assert printed != card_token(anna.member_id)
    assert check_in(printed, b.device).status == "checked_in"
    _settle(a, b)
    a.use()
    assert check_in(printed, a.device).status == "tampered"   # A never held B's own key
    a.clock.advance(hours=25)                                   # past the cool-down of B's check-in
    assert check_in(card_token(anna.member_id), a.device).status == "checked_in"


def test_unsubscribe_links_work_at_every_location_and_old_ones_where_they_were_sent(hq, template, tmp_path):
    from loyalty.services.messages import _signature, check_unsubscribe, unsubscribe_token
    a, b = template.node(tmp_path, "a", hq), template.node(tmp_path, "b", hq)
    anna = _enrol(a, "Anna").member_id
    link = unsubscribe_token(anna, "marketing")
    old = f"{anna}.marketing.{_signature(anna, 'marketing', bytes.fromhex(get_setting('card_key')))}"
    assert check_unsubscribe(old) is not None
    _settle(a, b)
    b.use()
    assert check_unsubscribe(link).member_id == anna
    assert check_unsubscribe(f"{anna}.marketing.{'0' * 32}") is None
