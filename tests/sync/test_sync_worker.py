"""The station-process hook: syncs in the background once the station has joined an HQ, and starts
as soon as it joins; and the embedded SQLite HQ default, smoke-tested end to end."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest
import requests

from loyalty import events
from loyalty.config import Config
from loyalty.services import award_purchase, enroll, member_status
from loyalty.store import Outbox
from sync.hq.db import Event, hq_db
from sync.status import sync_state
from sync.worker import start_worker
from tests.browser import ROOT

from hq_harness import Hq, Template


def _wait(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    changed = threading.Event()
    unsubscribe = events.subscribe(lambda _e: changed.set())
    try:
        while time.monotonic() < deadline:
            if condition():
                return True
            changed.wait(0.1)
            changed.clear()
        return False
    finally:
        unsubscribe()


def test_hq_join_turns_sync_on_at_once(station, hq, tmp_path):
    """A running station that has not joined waits without an error; `loyalty hq join` from another
    process (as the manager types it) starts the sync within seconds, with no station.toml edit."""
    stopper = start_worker(Config(home=tmp_path, db_path=station.db_path))
    try:
        anna = enroll("Anna", station.device, email="anna@example.org", consent_program=True, age_confirmed=True)
        assert stopper.thread.is_alive()
        assert sync_state().hq_url is None and sync_state().last_error is None
        assert Outbox.select().where(Outbox.receipt.is_null()).count() > 0      # kept until there is an HQ
        env = {**os.environ, "LOYALTY_HOME": str(tmp_path), "LOYALTY_DB": str(station.db_path)}
        joined = subprocess.run([sys.executable, "-m", "station.cli", "hq", "join", hq.url, hq.code(), "--name",
                                 "Praxis Mitte"], env=env, cwd=ROOT, capture_output=True, text=True)
        assert joined.returncode == 0, joined.stderr
        assert "background sync is on" in joined.stdout
        assert _wait(lambda: sync_state().queue_length == 0 and sync_state().last_success_at is not None)
    finally:
        stopper.stop()
    with hq_db.connection_context():
        assert Event.select().where(Event.tbl == "member", Event.record_id == anna.member_id).count() == 1


def test_worker_syncs_in_the_background(hq, template, tmp_path):
    node = template.node(tmp_path, "a", hq)
    node.use()
    stopper = start_worker(Config(home=tmp_path, db_path=node.db_path, hq={"url": hq.url, "interval": 0.2}))
    try:
        anna = enroll("Anna", node.device, email="anna@example.org", consent_program=True, age_confirmed=True)
        award_purchase(anna.member_id, 2500, node.receptionist, item_code="serum")
        assert _wait(lambda: sync_state().queue_length == 0 and sync_state().last_success_at is not None)
    finally:
        stopper.stop()
    assert not stopper.thread.is_alive()
    with hq_db.connection_context():
        assert Event.select().where(Event.tbl == "ledger_entry").count() == 2


def test_worker_shows_the_error_while_hq_is_down_and_recovers(hq, template, tmp_path):
    node = template.node(tmp_path, "a", hq)
    node.use()
    hq.servers[0].kill()
    stopper = start_worker(Config(home=tmp_path, db_path=node.db_path, hq={"url": hq.url, "interval": 0.2}))
    try:
        enroll("Anna", node.device, email="anna@example.org", consent_program=True, age_confirmed=True)
        assert _wait(lambda: sync_state().last_error is not None)
        assert "unreachable" in sync_state().last_error and sync_state().queue_length > 0 and sync_state().offline
    finally:
        stopper.stop()
        hq.servers[0].start()


@pytest.fixture(scope="module")
def sqlite_hq(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sqlite-hq")
    hq = Hq(f"sqlite:///{folder / 'hq.db'}", folder)
    yield hq
    hq.stop()


def test_sqlite_hq_default_smoke(sqlite_hq, tmp_path):
    template = Template.build(tmp_path / "template")
    a, b = template.node(tmp_path, "a", sqlite_hq), template.node(tmp_path, "b", sqlite_hq)
    a.use()
    anna = enroll("Anna", a.device, email="anna@example.org", consent_program=True, age_confirmed=True).member_id
    award_purchase(anna, 4000, a.receptionist, item_code="serum")
    for node in (a, b, a):
        node.sync()
    b.use()
    assert member_status(anna).points == 90
    assert requests.get(sqlite_hq.url + "/openapi.json", timeout=10).status_code == 200
    with hq_db.connection_context():
        assert Event.select().count() == len({e.id for e in Event.select()})
