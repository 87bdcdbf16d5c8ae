"""Signing in to the patients' app at HQ: codes and links, the same answer for unknown addresses,
expiry, reuse, wrong tries, rate limits per address and per client, the welcome e-mail's link, and
sessions per device that the member (and only the member) can list and sign out."""
from __future__ import annotations

import time

import pytest

from loyalty.services import update_profile
from loyalty.store.settings import GROUP_CARD_KEY, get_setting
from loyalty.tokens import welcome_token
from sync.hq.db import AppCode, hq_db
from sync.hq.patients import signin

from patient_helpers import hq_call, hq_refusal, member_at

APP = "http://hq.example/app/"


class Letters(list):
    """The letters the app posts, as the HQ process's postman receives them."""

    def __call__(self, letter) -> None:
        self.append(letter)


def ask(address: str, letters: Letters, client: str = "10.0.0.1") -> None:
    with hq_db.connection_context():
        signin.request_code(address, client, APP, letters, frozenset({"email", "sms"}))




def _code(letter) -> str:
    return letter.rendered.sms.split(": ")[1].split(" ")[0]


@pytest.fixture
def anna(hq, template, tmp_path):
    node = template.node(tmp_path, "a", hq)
    member = member_at(node, "Anna", phone="0171 2345678", email="anna@example.org")
    node.sync()
    return member


def test_a_code_signs_in_once_and_the_session_names_the_member(anna):
    letters = Letters()
    ask("Anna@Example.org ", letters)
    [letter] = letters
    assert letter.channel == "email" and letter.to == "anna@example.org"
    assert "Anna" in letter.rendered.subject and "/app/signin/" in letter.rendered.text
    signed = hq_call(signin.verify_code, "anna@example.org", _code(letter), "10.0.0.1", "Mozilla/5.0 (Android 14)")
    assert signed.member_id == anna and len(signed.token) > 30
    assert hq_call(signin.session, signed.token).member_id == anna
    assert hq_refusal(signin.verify_code, "anna@example.org", _code(letter), "10.0.0.1", "") == "signin_code_used"


def test_an_unknown_address_gets_the_same_answer_and_no_letter(anna):
    letters = Letters()
    ask("nobody@example.org", letters)
    ask("0151 99999999", letters)
    assert letters == []
    with hq_db.connection_context():
        rows = list(AppCode.select().order_by(AppCode.created_at))
    assert len(rows) == 2 and all(r.member_id is None for r in rows)     # written as for a member
    assert hq_refusal(signin.verify_code, "nobody@example.org", "123456", "10.0.0.2", "") == "signin_code_wrong"


def test_sms_sign_in_by_mobile_number(anna):
    letters = Letters()
    ask("+49 171 2345678", letters)
    [letter] = letters
    assert letter.channel == "sms" and letter.to == "+491712345678" and len(letter.rendered.sms) <= 160
    assert hq_call(signin.verify_code, "0171 2345678", _code(letter), "10.0.0.1", "").member_id == anna


def test_wrong_expired_and_overtried_codes_are_refused(anna, monkeypatch):
    letters = Letters()
    ask("anna@example.org", letters)
    good = _code(letters[0])
    wrong = f"{(int(good) + 1) % 10 ** 6:06d}"
    assert hq_refusal(signin.verify_code, "anna@example.org", wrong, "10.0.0.1", "") == "signin_code_wrong"
    assert hq_refusal(signin.verify_code, "anna@example.org", "12ab56", "10.0.0.1", "") == "signin_code_format"
    later = time.time() + signin.CODE_SECONDS + 1
    monkeypatch.setattr(signin, "now", lambda: later)
    assert hq_refusal(signin.verify_code, "anna@example.org", good, "10.0.0.1", "") == "signin_code_expired"
    monkeypatch.undo()

    letters.clear()
    ask("anna@example.org", letters)
    good = _code(letters[0])
    for _ in range(signin.ATTEMPTS_PER_CODE):
        hq_refusal(signin.verify_code, "anna@example.org", f"{(int(good) + 7) % 10 ** 6:06d}", "10.0.0.1", "")
    assert hq_refusal(signin.verify_code, "anna@example.org", good, "10.0.0.1", "") == "signin_code_blocked"


def test_rate_limits_per_address_and_per_client(anna):
    letters = Letters()
    for _ in range(signin.PER_ADDRESS):
        ask("anna@example.org", letters, client="10.0.0.1")
    assert hq_refusal(signin.request_code, "anna@example.org", "10.0.0.9", APP, letters, frozenset({"email"})) \
        == "signin_wait"
    for i in range(signin.PER_CLIENT - signin.PER_ADDRESS):
        ask(f"someone{i}@example.org", letters, client="10.0.0.1")
    assert hq_refusal(signin.request_code, "other@example.org", "10.0.0.1", APP, letters, frozenset({"email"})) \
        == "signin_wait"
    assert len(letters) == signin.PER_ADDRESS           # unknown addresses got nothing, Anna three codes
    for _ in range(signin.FAILURES_PER_CLIENT):        # someone guessing codes for many addresses
        hq_refusal(signin.verify_code, "guess@example.org", "000000", "10.0.0.5", "")
    good = _code(letters[-1])
    assert hq_refusal(signin.verify_code, "anna@example.org", good, "10.0.0.5", "") == "signin_wait"
    assert hq_call(signin.verify_code, "anna@example.org", good, "10.0.0.6", "").member_id == anna


def test_the_link_signs_in_once(anna):
    letters = Letters()
    ask("anna@example.org", letters)
    token = letters[0].rendered.text.split("/app/signin/")[1].split()[0]
    assert hq_call(signin.verify_link, token, "10.0.0.1", "").member_id == anna
    assert hq_refusal(signin.verify_link, token, "10.0.0.1", "") == "signin_link_invalid"
    assert hq_refusal(signin.verify_link, "made-up", "10.0.0.1", "") == "signin_link_invalid"


def test_the_welcome_link_works_once_and_not_after_it_expires(anna, hq, template, tmp_path):
    key = bytes.fromhex(get_setting(GROUP_CARD_KEY))
    token = welcome_token(anna, int(time.time()) + 3600, key)
    assert hq_call(signin.verify_welcome, token, "10.0.0.1", "").member_id == anna
    assert hq_refusal(signin.verify_welcome, token, "10.0.0.1", "") == "signin_link_invalid"
    expired = welcome_token(anna, int(time.time()) - 1, key)
    assert hq_refusal(signin.verify_welcome, expired, "10.0.0.1", "") == "signin_link_invalid"
    forged = welcome_token(anna, int(time.time()) + 3600, b"not the group key")
    assert hq_refusal(signin.verify_welcome, forged, "10.0.0.1", "") == "signin_link_invalid"


def test_sessions_are_per_device_listed_and_revocable_by_their_member_only(anna, hq, template, tmp_path):
    node = template.node(tmp_path, "b", hq)
    ben = member_at(node, "Ben")
    node.sync()
    letters = Letters()
    ask("anna@example.org", letters)
    ask("anna@example.org", letters)
    ask("ben@example.org", letters)
    phone = hq_call(signin.verify_code, "anna@example.org", _code(letters[0]), "10.0.0.1", "Mozilla/5.0 (iPhone)")
    tablet = hq_call(signin.verify_code, "anna@example.org", _code(letters[1]), "10.0.0.2", "Mozilla/5.0 (iPad)")
    bens = hq_call(signin.verify_code, "ben@example.org", _code(letters[2]), "10.0.0.3", "")
    listed = hq_call(signin.sessions, anna, phone.session_id)
    assert [s.current for s in listed] == [True, False] and {s.session_id for s in listed} == {
        phone.session_id, tablet.session_id}
    assert hq_refusal(signin.revoke, anna, bens.session_id) == "session_unknown"      # Ben's device: not Anna's
    assert hq_call(signin.session, bens.token).member_id == ben
    hq_call(signin.revoke, anna, tablet.session_id)
    assert hq_call(signin.session, tablet.token) is None and hq_call(signin.session, phone.token).member_id == anna


def test_a_changed_address_signs_in_with_the_new_one(anna, hq, template, tmp_path):
    node = template.node(tmp_path, "c", hq)
    node.sync()
    update_profile(anna, node.manager, email="anna.neu@example.org")
    node.sync()
    letters = Letters()
    ask("anna@example.org", letters)
    ask("anna.neu@example.org", letters)
    assert [letter.to for letter in letters] == ["anna.neu@example.org"]
