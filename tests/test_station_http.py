"""The station's own HTTP endpoints against hostile requests, on a real `loyalty run` process:
the unsubscribe link, the SMS provider's reply hook and the one-time download links.
Nothing gets a 5xx, nothing tells a stranger who is a member, no large body is read."""
from __future__ import annotations

import itertools
import json
from urllib.parse import quote

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loyalty.services import Actor, consents, device_id, enroll
from loyalty.services.messages import unsubscribe_token
from loyalty.store import close_database, open_database
from station.server import MAX_BODY_BYTES
from tests.browser import station_process

TOKEN = "hook-secret-4711"
SMS_CONFIG = f'[sms]\nurl = "http://127.0.0.1:9/"\ninbound_token = "{TOKEN}"\n'
_numbers = itertools.count(10)


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return tmp_path_factory.mktemp("station-http")


@pytest.fixture(scope="module")
def station_url(home):
    (home / "station.toml").write_text(SMS_CONFIG, encoding="utf-8")
    with station_process(home) as url:
        yield url


@pytest.fixture
def berta(home, station_url):
    """A member with a mobile number and care and marketing consent, in the running station's database."""
    (home / "station.toml").write_text(SMS_CONFIG, encoding="utf-8")
    open_database(home / "loyalty.db")
    phone = f"0171 23456{next(_numbers):02d}"
    result = enroll("Berta", Actor(device_id()), phone=phone, consent_program=True, consent_care=True,
                    consent_marketing=True, age_confirmed=True)
    yield result.member_id, phone
    close_database()


def _hook(url: str, body, token: str | None = TOKEN) -> requests.Response:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return requests.post(f"{url}/sms/inbound", data=data, headers=headers, timeout=10)


def test_sms_stop_is_refused_while_no_token_is_configured(home, station_url, berta):
    member, phone = berta
    (home / "station.toml").write_text('[sms]\nurl = "http://127.0.0.1:9/"\n', encoding="utf-8")
    for token in (None, "", "anything"):
        answer = _hook(station_url, {"from": phone, "text": "STOP"}, token=token)
        assert answer.status_code == 403 and "inbound_token" in answer.json()["message"]
    assert consents(member) == {"program": True, "marketing": True, "care": True}


def test_sms_stop_answers_alike_for_members_and_strangers(station_url, berta):
    member, phone = berta
    stranger = _hook(station_url, {"from": "0171 9999999", "text": "STOP"})
    known = _hook(station_url, {"from": phone, "text": "STOP"})
    assert stranger.status_code == known.status_code == 200
    assert stranger.content == known.content
    assert consents(member) == {"program": True, "marketing": False, "care": False}


@pytest.mark.parametrize("token", ["wrong", "é" * 16, TOKEN + "x", " "])
def test_sms_hook_with_a_wrong_token_changes_nothing(station_url, berta, token):
    member, phone = berta
    answer = _hook(station_url, {"from": phone, "text": "STOP"}, token=token)
    assert answer.status_code == 401, answer.text
    assert consents(member)["care"] is True


@pytest.mark.parametrize("body, status", [
    (b"{", 400), (b"[]", 400), (b'{"from": 5, "text": "STOP"}', 400), (b"\xff\xfe", 400), (b'"STOP"', 400),
    (b'{"from": "+49", "text": null}', 400), (b'{"from": "\\ud800", "text": "STOP"}', 200),
    (b'{"from": "\\u0000' + b"9" * 500 + b'", "text": "STOP"}', 200)])
def test_sms_hook_with_a_broken_body_changes_nothing(station_url, berta, body, status):
    answer = _hook(station_url, body)
    assert answer.status_code == status, (answer.status_code, answer.text)
    assert answer.json()
    assert consents(berta[0])["care"] is True


def test_bodies_over_the_limit_are_refused_before_they_are_read(station_url, berta):
    big = b'{"from": "' + b"1" * MAX_BODY_BYTES + b'", "text": "STOP"}'
    answer = _hook(station_url, big)
    assert answer.status_code == 413 and answer.json()["error"] == "too_large"

    def chunks():                     # no Content-Length: counted as it streams
        yield b'{"from": "'
        for _ in range(MAX_BODY_BYTES // 4096 + 2):
            yield b"1" * 4096
        yield b'", "text": "STOP"}'
    streamed = requests.post(f"{station_url}/sms/inbound", data=chunks(), timeout=10,
                             headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    assert streamed.status_code == 413
    assert consents(berta[0])["care"] is True


@pytest.mark.parametrize("path", ["/unsubscribe/{member}.care.éé", "/unsubscribe/{member}.care.%00",
                                  "/unsubscribe/x.marketing." + "é" * 2000, "/unsubscribe/%ff",
                                  "/download/é", "/download/%00", "/download/" + "A" * 4000])
def test_forged_links_get_a_404_not_a_500(station_url, berta, path):
    url = station_url + path.replace("{member}", berta[0])
    for method in ("GET", "POST"):
        if path.startswith("/download/") and method == "POST":
            continue
        answer = requests.request(method, url, timeout=10)
        assert answer.status_code == 404, (method, path, answer.status_code, answer.text[:300])
    assert consents(berta[0])["care"] is True


def test_the_real_unsubscribe_link_still_works(station_url, berta):
    member, _ = berta
    link = f"{station_url}/unsubscribe/{unsubscribe_token(member, 'care')}"
    assert requests.get(link, timeout=10).status_code == 200
    assert requests.post(link, timeout=10).status_code == 200
    assert consents(member)["care"] is False


@given(token=st.text(max_size=80), purpose=st.sampled_from(["care", "marketing", "x"]))
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_fuzzed_unsubscribe_tokens_never_get_a_5xx(station_url, berta, token, purpose):
    path = quote(f"{berta[0]}.{purpose}.{token}", safe="")
    for method in ("GET", "POST"):
        answer = requests.request(method, f"{station_url}/unsubscribe/{path}", timeout=10)
        assert answer.status_code < 500, (method, path, answer.status_code)


@given(body=st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
                         lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                             st.sampled_from(["from", "text", "x"]), inner, max_size=3), max_leaves=8))
@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
def test_fuzzed_sms_replies_never_get_a_5xx(station_url, berta, body):
    answer = _hook(station_url, json.dumps(body).encode())
    assert answer.status_code in (200, 400), (body, answer.status_code, answer.text[:300])
