"""HQ against requests nobody honest sends: the signature is checked before anything else is read,
every number is bounded, unknown and forged devices look alike, and stored state stays small."""
from __future__ import annotations

import json
import time

import psycopg
import pytest
import requests

from loyalty.services import enroll
from loyalty.store.settings import get_setting
from sync import signing
from sync.hq.db import Batch, Event, Stream, hq_db
from sync.protocol import PullRequest
from sync.station import SECRET, pending_events


def _post(hq, path: str, body: bytes, headers: dict | None = None) -> requests.Response:
    return requests.post(hq.url + path, data=body, headers={"Content-Type": "application/json", **(headers or {})},
                         timeout=10)


def _signed(hq, node, path: str, body: bytes, secret: str | None = None, **override) -> requests.Response:
    headers = signing.sign(node.device.device_id, secret or get_setting(SECRET), "POST", path, body, time.time())
    return _post(hq, path, body, {**headers, **override})


def _hq_events() -> int:
    with hq_db.connection_context():
        return Event.select().count()


def test_hostile_headers_and_unsigned_cursors_get_a_401_not_a_500(hq, template, tmp_path):
    node = template.node(tmp_path, "a", hq)
    pull = PullRequest().model_dump_json().encode()
    odd_cursor = json.dumps({"cursor": "x:²"}).encode()
    answers = [
        _signed(hq, node, "/v1/sync/pull", pull, **{"X-Signature": "é" * 64}),     # compare_digest raised on it
        _signed(hq, node, "/v1/sync/pull", pull, **{"X-Device": "gerät-é"}),
        _signed(hq, node, "/v1/sync/pull", pull, **{"X-Timestamp": "nan"}),
        _post(hq, "/v1/sync/pull", odd_cursor),                                    # no signature at all
        _post(hq, "/v1/sync/pull", odd_cursor, {"X-Device": node.device.device_id, "X-Timestamp": "1",
                                                "X-Nonce": "n", "X-Signature": "0" * 64}),
    ]
    for answer in answers:
        assert answer.status_code == 401, (answer.status_code, answer.text)
        assert answer.json()["message"]


@pytest.mark.parametrize("cursor", ["x:²", "x:1", "{epoch}:" + str(2 ** 63), "{epoch}:-1", "{epoch}:٣", ":5"])
def test_a_cursor_hq_never_handed_out_is_refused_clearly(hq, template, tmp_path, cursor):
    node = template.node(tmp_path, "a", hq)
    with hq_db.connection_context():
        epoch = Stream.get_by_id(1).epoch
    cursor = cursor.replace("{epoch}", epoch)
    answer = _signed(hq, node, "/v1/sync/pull", json.dumps({"cursor": cursor}).encode())
    expected = 409 if cursor == "x:1" else 400          # a well-formed cursor of another epoch: pull again
    assert answer.status_code == expected, answer.text
    assert answer.json()["error"] == ("reset" if expected == 409 else "bad_cursor")
    ok = _signed(hq, node, "/v1/sync/pull", json.dumps({"cursor": f"{epoch}:{2 ** 63 - 1}"}).encode())
    assert ok.status_code == 200 and ok.json()["events"] == []


@pytest.mark.parametrize("field, value", [("seq", 2 ** 70), ("seq", 2 ** 63), ("hlc", 2 ** 64), ("seq", -1)])
def test_numbers_beyond_64_bits_are_refused_before_they_reach_the_database(hq, template, tmp_path, field, value):
    node = template.node(tmp_path, "a", hq)
    enroll("Anna", node.device, email="anna@example.org", consent_program=True, age_confirmed=True)
    event = dict(pending_events(1)[0].model_dump(), **{field: value})
    answer = _signed(hq, node, "/v1/sync/push", json.dumps({"batch_id": "b1", "events": [event]}).encode())
    assert answer.status_code == 422 and field in answer.json()["message"], answer.text
    too_far = _signed(hq, node, "/v1/sync/pull", json.dumps({"config_version": 2 ** 70}).encode())
    assert too_far.status_code == 422, too_far.text
    assert _hq_events() == 0


def test_unknown_device_and_wrong_key_get_the_same_answer(hq, template, tmp_path):
    """Only a request signed with the device's own key learns whether that device is enrolled or revoked."""
    from sync.hq import service
    node = template.node(tmp_path, "a", hq)
    body = PullRequest().model_dump_json().encode()
    stranger = _post(hq, "/v1/sync/pull", body, signing.sign("no-such-device", signing.new_secret(), "POST",
                                                              "/v1/sync/pull", body, time.time()))
    forged = _signed(hq, node, "/v1/sync/pull", body, secret=signing.new_secret())
    assert stranger.status_code == forged.status_code == 401
    assert stranger.json() == forged.json()
    with hq_db.connection_context():
        service.revoke_device(node.device.device_id)
    forged_revoked = _signed(hq, node, "/v1/sync/pull", body, secret=signing.new_secret())
    assert forged_revoked.status_code == 401 and forged_revoked.json() == forged.json()
    revoked = _signed(hq, node, "/v1/sync/pull", body)
    assert revoked.status_code == 403 and revoked.json()["error"] == "device_revoked"


def test_pushed_batches_are_kept_for_the_replay_window_only(hq, template, tmp_path, pg_url):
    node = template.node(tmp_path, "a", hq)
    old = time.time() - 3 * signing.WINDOW_SECONDS
    with psycopg.connect(pg_url) as connection:
        for n in range(50):
            connection.execute("INSERT INTO hq_batch (device_id, batch_id, digest, receipts, at) "
                               "VALUES (%s, %s, 'd', '[]', %s)", (node.device.device_id, f"old-{n}", old))
        connection.execute("INSERT INTO hq_batch (device_id, batch_id, digest, receipts, at) "
                           "VALUES ('other-device', 'old-x', 'd', '[]', %s)", (old,))
    enroll("Anna", node.device, email="anna@example.org", consent_program=True, age_confirmed=True)
    node.sync()
    with hq_db.connection_context():
        left = {(b.device_id, b.batch_id) for b in Batch.select()}
    assert {batch for _, batch in left if batch.startswith("old-")} == {"old-x"}   # a push prunes its own device's
    assert len(left) == 2          # the batch just pushed stays, so a resend gets the same receipts
    enroll("Ben", node.device, email="ben@example.org", consent_program=True, age_confirmed=True)
    node.sync()
    hq.servers[0].restart()        # a starting server prunes every device's old batches
    with hq_db.connection_context():
        batches = [b.batch_id for b in Batch.select()]
    assert len(batches) == 2 and not any(batch.startswith("old-") for batch in batches), batches


def _hq_text_hits(pg_url, needles: tuple[str, ...]) -> list[str]:
    """Every text column of every HQ table, searched for the needles."""
    hits = []
    with psycopg.connect(pg_url) as connection:
        columns = connection.execute("SELECT table_name, column_name FROM information_schema.columns "
                                     "WHERE table_schema = 'public' AND data_type IN ('text', 'character varying')")
        for table, column in columns.fetchall():
            for needle in needles:
                found = connection.execute(f'SELECT COUNT(*) FROM "{table}" WHERE "{column}" LIKE %s',
                                           (f"%{needle}%",)).fetchone()[0]
                hits += [f"{table}.{column}: {needle}"] * found
    return hits


def test_a_leaked_hq_database_holds_no_staff_pin_hash(hq, template, tmp_path, pg_url):
    """Old stations sent the PIN's Argon2 hash with each staff record and old HQs stored it: HQ strips
    it from pushes and scrubs stored events and rows when it starts."""
    from loyalty.services import create_staff
    from loyalty.store import Staff
    node = template.node(tmp_path, "a", hq)
    create_staff("Tina Tresen", "receptionist", "4321", node.manager)
    create_staff("Udo Ulme", "receptionist", "8642", node.manager)
    tina, udo = Staff.get(Staff.name == "Tina Tresen"), Staff.get(Staff.name == "Udo Ulme")
    old_station = [e.model_copy(update={"payload": {**e.payload, "pin_hash": Staff.get_by_id(e.record_id).pin_hash,
                                                    "failed_pins": 3, "locked_until": "2026-01-01T00:00:00.000000Z"}})
                   if e.table == "staff" else e for e in pending_events(100)]
    body = json.dumps({"batch_id": "old-station", "events": [e.model_dump() for e in old_station]}).encode()
    answer = _signed(hq, node, "/v1/sync/push", body)
    assert answer.status_code == 200 and {r["status"] for r in answer.json()["receipts"]} == {"accepted"}
    assert _hq_text_hits(pg_url, (tina.pin_hash, "$argon2")) == []
    assert '"failed_pins"' not in "".join(_hq_text_hits(pg_url, ("failed_pins", "locked_until")))
    with psycopg.connect(pg_url) as connection:        # what an HQ from before holds of Udo
        for column, table, key in (("payload", "hq_event", "record_id"), ("data", "hq_row", "record_id")):
            connection.execute(f"UPDATE {table} SET {column} = jsonb_set({column}::jsonb, '{{pin_hash}}', "
                               f"to_jsonb(%s::text))::text WHERE tbl = 'staff' AND {key} = %s",
                               (udo.pin_hash, udo.id))
    assert len(_hq_text_hits(pg_url, (udo.pin_hash,))) == 2
    hq.servers[0].restart()
    assert _hq_text_hits(pg_url, (udo.pin_hash, tina.pin_hash, "$argon2")) == []
    again = _signed(hq, node, "/v1/sync/push", json.dumps(
        {"batch_id": "old-station-again", "events": [e.model_dump() for e in old_station]}).encode())
    assert {r["status"] for r in again.json()["receipts"]} == {"duplicate"}
    assert _hq_text_hits(pg_url, ("$argon2",)) == []


@pytest.mark.parametrize("reference", ["\x00", "\ud800", "m\x00", ""])
def test_a_reference_no_record_can_have_is_rejected_not_a_500(hq, template, tmp_path, reference):
    """Found by the fuzzer: a card pointing at member "\\x00" made PostgreSQL raise while HQ looked it up."""
    node = template.node(tmp_path, "a", hq)
    enroll("Anna", node.device, email="anna@example.org", consent_program=True, age_confirmed=True)
    events = [e.model_dump() for e in pending_events(20)]
    card = next(e for e in events if e["table"] == "card")
    card["payload"]["member"] = reference
    answer = _signed(hq, node, "/v1/sync/push", json.dumps({"batch_id": "b1", "events": events}).encode())
    assert answer.status_code == 200, answer.text
    receipts = {r["id"]: r for r in answer.json()["receipts"]}
    assert receipts[card["id"]]["status"] == "rejected"
    assert {r["status"] for i, r in receipts.items() if i != card["id"]} == {"accepted"}
