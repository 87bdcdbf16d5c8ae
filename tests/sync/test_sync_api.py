"""The HQ API against hostile and broken requests: forged, replayed, revoked, malformed, oversized."""
from __future__ import annotations

import json
import re
import time

import pytest
import requests

from loyalty.services import enroll
from loyalty.store.settings import get_setting
from station.cli import build_parser
from sync import signing
from sync.client import HqClient, HqError
from sync.hq.db import Event, hq_db
from sync.hq.service import enrolment_code
from sync.protocol import MAX_BODY_BYTES, PullRequest
from sync.station import SECRET, pending_events, sync_round


def _signed_post(hq, node, path, body: bytes, secret=None, now=None, nonce_headers=None):
    headers = nonce_headers or signing.sign(node.device.device_id, secret or get_setting(SECRET), "POST", path, body,
                                            now or time.time())
    return requests.post(hq.url + path, data=body, headers={**headers, "Content-Type": "application/json"}, timeout=10)


def _hq_events() -> int:
    with hq_db.connection_context():
        return Event.select().count()


def test_openapi_is_served(hq):
    spec = requests.get(hq.url + "/openapi.json", timeout=10).json()
    assert {"/v1/sync/push", "/v1/sync/pull", "/v1/devices/enrol"} <= set(spec["paths"])


def test_enrolment_code_works_once(hq, template, tmp_path):
    node = template.node(tmp_path, "a", hq)
    code = hq.code()
    HqClient(hq.url).enrol(code, "second-device")
    with pytest.raises(HqError) as refused:
        HqClient(hq.url).enrol(code, "third-device")
    assert refused.value.status == 403 and refused.value.code == "bad_code"
    assert node.sync().pulled == 0


def test_an_enrolment_code_is_typed_after_the_join_command_as_it_is():
    """A fresh run drew "-YZVJMxwmz3-QpQfX1fZBQ", and `loyalty hq join URL CODE` took it for an option."""
    parser = build_parser()
    codes = [enrolment_code() for _ in range(1000)]
    assert len(set(codes)) == 1000
    for code in codes:
        assert re.fullmatch(r"[A-Z2-7]{26}", code), code
        assert parser.parse_args(["hq", "join", "https://hq.example.org", code]).code == code


def test_forged_signature_is_refused_and_writes_nothing(hq, template, tmp_path):
    node = template.node(tmp_path, "a", hq)
    enroll("Anna", node.device, email="anna@example.org", consent_program=True, age_confirmed=True)
    body = json.dumps({"batch_id": "b1", "events": [e.model_dump() for e in pending_events(10)]}).encode()
    answer = _signed_post(hq, node, "/v1/sync/push", body, secret=signing.new_secret())
    assert answer.status_code == 401 and answer.json()["error"] == "bad_signature"
    assert _hq_events() == 0


def test_replayed_request_is_refused(hq, template, tmp_path):
    node = template.node(tmp_path, "a", hq)
    body = PullRequest().model_dump_json().encode()
    headers = signing.sign(node.device.device_id, get_setting(SECRET), "POST", "/v1/sync/pull", body, time.time())
    assert _signed_post(hq, node, "/v1/sync/pull", body, nonce_headers=headers).status_code == 200
    again = _signed_post(hq, node, "/v1/sync/pull", body, nonce_headers=headers)
    assert again.status_code == 401 and again.json()["error"] == "replayed"


def test_old_timestamp_is_refused_but_the_client_corrects_its_clock(hq, template, tmp_path):
    node = template.node(tmp_path, "a", hq)
    body = PullRequest().model_dump_json().encode()
    stale = _signed_post(hq, node, "/v1/sync/pull", body, now=time.time() - 3600)
    assert stale.status_code == 401 and stale.json()["error"] == "stale_timestamp"
    client = node.client()
    client.offset = -3600          # a station clock an hour behind
    client.pull(PullRequest())
    assert abs(client.offset) < 5


def test_revoked_device_is_refused_at_once(hq, template, tmp_path):
    from sync.hq import service
    node = template.node(tmp_path, "a", hq)
    enroll("Anna", node.device, email="anna@example.org", consent_program=True, age_confirmed=True)
    node.sync()
    before = _hq_events()
    with hq_db.connection_context():
        service.revoke_device(node.device.device_id)
    enroll("Ben", node.device, email="ben@example.org", consent_program=True, age_confirmed=True)
    with pytest.raises(HqError) as refused:
        node.sync()
    assert refused.value.status == 403 and refused.value.code == "device_revoked"
    assert before > 0 and _hq_events() == before


def test_event_of_another_device_is_rejected_without_blocking_the_queue(hq, template, tmp_path):
    node = template.node(tmp_path, "a", hq)
    enroll("Anna", node.device, email="anna@example.org", consent_program=True, age_confirmed=True)
    events = pending_events(100)
    forged = events[0].model_copy(update={"id": "forged-1", "device_id": "someone-else"})
    body = json.dumps({"batch_id": "b2", "events": [forged.model_dump(), *[e.model_dump() for e in events]]}).encode()
    answer = _signed_post(hq, node, "/v1/sync/push", body)
    assert answer.status_code == 200
    receipts = answer.json()["receipts"]
    assert receipts[0] == {"id": "forged-1", "status": "rejected", "reason": "device_mismatch"}
    assert all(r["status"] == "accepted" for r in receipts[1:])


@pytest.mark.parametrize("body, status", [
    (b"{not json", 422),
    (b'{"batch_id": "x", "events": "many"}', 422),
    (b'{"batch_id": "x", "events": [{"id": "e", "table": "member"}]}', 422),
    (json.dumps({"batch_id": "x", "events": [], "extra": 1}).encode(), 422),
    (json.dumps({"batch_id": "x" * 500, "events": []}).encode(), 422),
    (b"[]", 422),
    (b"\xff\xfe\x00", 400),
])
def test_malformed_push_gets_a_clear_4xx(hq, template, tmp_path, body, status):
    node = template.node(tmp_path, "a", hq)
    answer = _signed_post(hq, node, "/v1/sync/push", body)
    assert answer.status_code == status
    assert answer.json()["message"]
    assert _hq_events() == 0


def test_hostile_table_names_and_oversized_bodies_are_refused(hq, template, tmp_path):
    node = template.node(tmp_path, "a", hq)
    enroll("Anna", node.device, email="anna@example.org", consent_program=True, age_confirmed=True)
    event = pending_events(1)[0].model_dump()
    event["table"] = 'member"; DROP TABLE hq_event; --'
    answer = _signed_post(hq, node, "/v1/sync/push", json.dumps({"batch_id": "x", "events": [event]}).encode())
    assert answer.status_code == 422
    huge = b'{"batch_id": "x", "events": [], "pad": "' + b"a" * (MAX_BODY_BYTES + 10) + b'"}'
    answer = _signed_post(hq, node, "/v1/sync/push", huge)
    assert answer.status_code == 413 and answer.json()["error"] == "too_large"
    setting = dict(event, table="setting", record_id="card_key", payload={"key": "card_key", "value": "00"})
    answer = _signed_post(hq, node, "/v1/sync/push", json.dumps({"batch_id": "y", "events": [setting]}).encode())
    assert answer.json()["receipts"][0]["reason"] == "table_not_synced"
    assert sync_round(node.client()).rejected == 0
