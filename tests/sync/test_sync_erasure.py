"""GDPR erasure across the group: after erase + sync nothing of the person is left at HQ (any
table, any column) or on any station (any table, the outbox too); the point amounts stay."""
from __future__ import annotations

import json
import shutil
import sqlite3
import time

import psycopg
import requests

from loyalty.services import (
    adjust,
    award_purchase,
    enroll,
    erase_member,
    join_plan,
    member_status,
    record_treatment,
    update_profile,
)
from loyalty.services.feedback import submit_feedback
from loyalty.store import Member, Outbox, Treatment, close_database
from loyalty.store.settings import get_setting
from sync import signing
from sync.hq.db import Event, Row, hq_db
from sync.station import SECRET, pending_events

NEEDLES = ("Zerlinde", "Quastenberg", "zerlinde.q@example.org", "4917099887766", "Nussallergie",
           "Quastenflosse", "Kulanz wegen Wartezeit", "Rueckruf bei Frau Q")


def _settle(*nodes, rounds=2):
    for _ in range(rounds):
        for node in nodes:
            node.sync()


def _sqlite_hits(path) -> list[str]:
    connection = sqlite3.connect(path)
    try:
        hits = []
        tables = [t for (t,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in connection.execute(f'SELECT * FROM "{table}"'):
                hits += [f"{table}: {needle}" for needle in NEEDLES for value in row if needle in str(value)]
        return hits
    finally:
        connection.close()


def _hq_hits(pg_url) -> list[str]:
    hits = []
    with psycopg.connect(pg_url) as connection:
        tables = [t for (t,) in connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")]
        for table in tables:
            for row in connection.execute(f'SELECT * FROM "{table}"'):
                hits += [f"{table}: {needle}" for needle in NEEDLES for value in row if needle in str(value)]
    return hits


def test_an_erasure_leaves_nothing_of_the_person_at_hq_or_any_station(hq, template, tmp_path, pg_url):
    a, b = template.node(tmp_path, "a", hq), template.node(tmp_path, "b", hq)
    a.use()
    zerlinde = enroll("Zerlinde", a.device, last_name="Quastenberg", email="zerlinde.q@example.org",
                      phone="0170 99887766", consent_program=True, age_confirmed=True).member_id
    otto = enroll("Otto", a.device, email="otto@example.org", consent_program=True, age_confirmed=True).member_id
    update_profile(zerlinde, a.receptionist, note="Nussallergie")
    award_purchase(zerlinde, 4900, a.receptionist, item_code="serum")
    record_treatment(zerlinde, "botox", a.receptionist)
    adjust(zerlinde, 10, "Kulanz wegen Wartezeit", a.manager)
    submit_feedback(zerlinde, None, 2, "Quastenflosse tut weh", a.device)
    join_plan(zerlinde, "basic", a.receptionist)
    _settle(a, b)
    b.use()
    points = member_status(zerlinde).points
    update_profile(zerlinde, b.receptionist, note="Rueckruf bei Frau Q")      # B offline: queued, unsent
    a.use()
    record_treatment(zerlinde, "filler", a.receptionist)                      # queued at A, never sent
    erase_member(zerlinde, a.manager)
    assert _sqlite_hits(a.db_path) == []
    assert not Outbox.select().where((Outbox.table == "treatment") & Outbox.receipt.is_null()).exists()

    _settle(a, b)
    assert _hq_hits(pg_url) == []
    with hq_db.connection_context():
        for table in ("treatment", "membership", "benefit_use"):
            assert not Row.select().where((Row.tbl == table) & Row.data.contains(zerlinde)).exists(), table
            assert not Event.select().where((Event.tbl == table) & Event.payload.contains(zerlinde)).exists()
        assert Row.select().where((Row.tbl == "member") & (Row.record_id == otto)).exists()
    for node in (a, b):
        assert _sqlite_hits(node.db_path) == [], node.name
        node.use()
        assert Member.get_by_id(zerlinde).erased_at is not None
        assert member_status(zerlinde).points == points
        assert not Treatment.select().where(Treatment.member == zerlinde).exists()
        assert Member.get_by_id(otto).first_name == "Otto"


def test_a_station_restored_from_a_backup_cannot_bring_erased_data_back(hq, template, tmp_path, pg_url):
    a, b = template.node(tmp_path, "a", hq), template.node(tmp_path, "b", hq)
    a.use()
    zerlinde = enroll("Zerlinde", a.device, last_name="Quastenberg", email="zerlinde.q@example.org",
                      consent_program=True, age_confirmed=True).member_id
    _settle(a, b)
    b.use()
    update_profile(zerlinde, b.receptionist, note="Nussallergie")             # queued at B
    close_database()
    backup = tmp_path / "b-backup.db"
    shutil.copyfile(b.db_path, backup)
    _settle(b)
    a.use()
    erase_member(zerlinde, a.manager)
    _settle(a, b)
    close_database()
    shutil.copyfile(backup, b.db_path)       # B comes back from the backup taken before it pushed
    for suffix in ("-wal", "-shm"):
        b.db_path.with_name(b.db_path.name + suffix).unlink(missing_ok=True)
    _settle(b, a)
    assert _hq_hits(pg_url) == []
    for node in (a, b):
        assert _sqlite_hits(node.db_path) == [], node.name


def test_a_number_where_a_member_id_belongs_gets_a_receipt_not_a_500(hq, template, tmp_path):
    a = template.node(tmp_path, "a", hq)
    a.use()
    enroll("Anna", a.device, email="anna@example.org", consent_program=True, age_confirmed=True)
    event = pending_events(1)[0].model_dump()
    audit = dict(event, id="hostile-audit-1", table="audit_log", record_id="hostile-audit-1",
                 payload={"id": "hostile-audit-1", "member_id": 5, "action": "x", "device_id": a.device.device_id,
                          "at": "2026-01-01T00:00:00.000000Z", "detail": "{}"})
    body = json.dumps({"batch_id": "hostile", "events": [audit]}).encode()
    headers = signing.sign(a.device.device_id, get_setting(SECRET), "POST", "/v1/sync/push", body, time.time())
    answer = requests.post(hq.url + "/v1/sync/push", data=body,
                           headers={**headers, "Content-Type": "application/json"}, timeout=10)
    assert answer.status_code == 200
    assert answer.json()["receipts"][0]["status"] in ("accepted", "rejected")
