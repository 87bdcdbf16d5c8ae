"""Each fault on its own: lost requests and answers, duplicates, late arrivals, a killed server,
jumping clocks, conflicting edits, offline double spending, a reinstalled and a restored station."""
from __future__ import annotations

import json
import random
import shutil
import threading
import time

import psycopg
import pytest

from loyalty.services import award_purchase, enroll, member_status, redeem, reissue_card, update_profile
from loyalty.services.context import current_program
from loyalty.store import Card, Flag, LedgerEntry, Member, Outbox, close_database
from sync.client import HqError
from sync.hq import service
from sync.hq.db import Event, Row, hq_db
from sync.station import sync_round
from sync.status import sync_state

from hq_harness import Fault, FaultyAdapter


def _member(node, first="Anna", email=None):
    node.use()
    result = enroll(first, node.device, email=email or f"{first.lower()}@example.org", consent_program=True,
                    age_confirmed=True)
    return result.member_id


def _outbox_ids(node) -> set[str]:
    node.use()
    return {e for (e,) in Outbox.select(Outbox.event_id).tuples()}


def _hq_ids() -> list[str]:
    with hq_db.connection_context():
        return [e for (e,) in Event.select(Event.id).tuples()]


def _settle(*nodes, rounds=3):
    for _ in range(rounds):
        for node in nodes:
            node.adapter = None
            node.sync()


def _faulty(node, hq, **fault):
    node.adapter = FaultyAdapter(hq, random.Random(1), Fault(**fault))
    return node


def test_two_stations_share_members_and_ledgers(hq, template, tmp_path):
    a, b = template.node(tmp_path, "a", hq), template.node(tmp_path, "b", hq)
    anna = _member(a)
    award_purchase(anna, 12000, a.receptionist, item_code="serum")
    _settle(a, b)
    b.use()
    assert member_status(anna).points == 50 + 120
    award_purchase(anna, 3000, b.receptionist, item_code="serum")
    _settle(a, b)
    a.use()
    assert member_status(anna).points == 200
    assert sorted(_hq_ids()) == sorted(_outbox_ids(a) | _outbox_ids(b))


@pytest.mark.parametrize("fault", ["drop_request", "drop_response", "duplicate", "delay", "kill_after_commit"])
def test_each_network_fault_loses_and_doubles_nothing(hq, template, tmp_path, fault):
    a = template.node(tmp_path, "a", hq)
    for i in range(3):
        member = _member(a, f"M{i}")
        award_purchase(member, 1000 * (i + 1), a.receptionist, item_code="serum")
    _faulty(a, hq, **{fault: 1.0})
    if fault == "duplicate":              # the second copy is refused as a replay; the first answer counts
        sync_round(a.client(), batch_size=5)
    else:
        with pytest.raises(HqError):
            sync_round(a.client(), batch_size=5)
    assert fault in a.adapter.log
    _settle(a)
    ids = _hq_ids()
    assert len(ids) == len(set(ids)) and set(ids) == _outbox_ids(a)
    a.use()
    assert sync_state().queue_length == 0 and sync_state().rejected == 0


def test_server_killed_before_commit_writes_nothing_and_the_retry_lands_once(hq, template, tmp_path, pg_url):
    a = template.node(tmp_path, "a", hq)
    _member(a)
    with psycopg.connect(pg_url) as blocker:
        blocker.execute("SELECT * FROM hq_stream WHERE id = 1 FOR UPDATE")    # the push will wait for this lock
        failure = []
        worker = threading.Thread(target=lambda: failure.append(_expect_error(a)))
        worker.start()
        with psycopg.connect(pg_url, autocommit=True) as watcher:
            for _ in range(200):
                waiting = watcher.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                          "AND query LIKE '%hq_stream%'").fetchone()[0]
                if waiting:
                    break
                time.sleep(0.05)
            assert waiting, "the push never reached the stream lock"
            hq.servers[0].kill()          # mid-transaction: its nonce and events die with the connection
        worker.join(30)
        blocker.rollback()
    assert failure == [True]
    assert _hq_ids() == []
    hq.servers[0].start()
    _settle(a)
    assert sorted(_hq_ids()) == sorted(_outbox_ids(a))


def _expect_error(node) -> bool:
    node.use()
    try:
        sync_round(node.client())
    except HqError:
        return True
    return False


def test_a_repeated_batch_gets_the_same_receipts(hq, template, tmp_path):
    from sync.protocol import PushRequest, batch_id
    from sync.station import pending_events
    a = template.node(tmp_path, "a", hq)
    _member(a)
    events = pending_events(100)
    request = PushRequest(batch_id=batch_id([e.id for e in events]), events=events)
    first, second = a.client().push(request), a.client().push(request)
    assert first.receipts == second.receipts and {r.status for r in first.receipts} == {"accepted"}
    again = a.client().push(PushRequest(batch_id="other", events=events))
    assert {r.status for r in again.receipts} == {"duplicate"}
    assert len(_hq_ids()) == len(events)


def test_last_writer_wins_by_clock_not_by_wall_time(hq, template, tmp_path):
    a, b = template.node(tmp_path, "a", hq), template.node(tmp_path, "b", hq)
    anna = _member(a)
    update_profile(anna, a.manager, phone="+4917011111111")
    _settle(a, b)
    b.clock.advance(days=-3)              # B's clock is three days behind, but B edits after seeing A's edit
    b.use()
    update_profile(anna, b.manager, phone="+4917022222222", note="Allergie")
    a.use()
    update_profile(anna, a.manager, last_name="Muster")   # a different field, concurrently
    _settle(a, b)
    for node in (a, b):
        node.use()
        member = Member.get_by_id(anna)
        assert (member.phone, member.note, member.last_name) == ("+4917022222222", "Allergie", "Muster")
    with hq_db.connection_context():
        row = json.loads(Row.get((Row.tbl == "member") & (Row.record_id == anna)).data)
    assert (row["phone"], row["note"], row["last_name"]) == ("+4917022222222", "Allergie", "Muster")


def test_a_lost_cards_revocation_wins_everywhere(hq, template, tmp_path):
    a, b = template.node(tmp_path, "a", hq), template.node(tmp_path, "b", hq)
    anna = _member(a)
    _settle(a, b)
    a.use()
    old = Card.get(Card.member == anna).id
    reissue_card(anna, a.receptionist, "lost")
    b.clock.advance(days=2)               # B's later clock must not bring the old card back
    b.use()
    card = Card.get_by_id(old)
    card.revoked_reason = None
    from loyalty.store import db
    from loyalty.store.outbox import record
    with db.atomic():
        record(card, insert=False)        # B touches the old card while it does not know it is lost
    _settle(a, b)
    for node in (a, b):
        node.use()
        assert Card.get_by_id(old).status == "revoked"
        assert Card.get_by_id(old).revoked_reason == "lost"
        assert Card.select().where((Card.member == anna) & (Card.status == "active")).count() == 1


def test_offline_redemptions_that_overdraw_are_kept_and_flagged(hq, template, tmp_path):
    a, b = template.node(tmp_path, "a", hq), template.node(tmp_path, "b", hq)
    anna = _member(a)
    award_purchase(anna, 10000, a.receptionist, item_code="serum")   # 50 + 100 points
    _settle(a, b)
    for node in (a, b):                  # both desks offline, both redeem the same 150 points
        node.use()
        redeem(anna, "lounge", node.receptionist)
    _settle(a, b)
    for node in (a, b):
        node.use()
        assert member_status(anna).points == -150
        assert LedgerEntry.select().where((LedgerEntry.member == anna) & (LedgerEntry.kind == "redeem")).count() == 2
        assert Flag.select().where((Flag.member == anna) & (Flag.kind == "negative_balance")).exists()


def test_reinstalled_station_gets_everything_back_under_a_new_identity(hq, template, tmp_path):
    a = template.node(tmp_path, "a", hq)
    anna = _member(a)
    award_purchase(anna, 5000, a.receptionist, item_code="serum")
    a.sync()
    old_device = a.device.device_id
    close_database()
    shutil.rmtree(a.db_path.parent)        # the disk is gone
    with hq_db.connection_context():
        service.revoke_device(old_device)
    fresh = template.node(tmp_path, "a-new", hq)
    fresh.sync()
    fresh.use()
    assert member_status(anna).points == 100
    assert fresh.device.device_id != old_device


def test_station_restored_from_an_old_backup_loses_nothing(hq, template, tmp_path):
    a = template.node(tmp_path, "a", hq)
    anna = _member(a)
    a.sync()
    close_database()
    backup = tmp_path / "backup.db"
    shutil.copyfile(a.db_path, backup)
    a.use()
    ben = _member(a, "Ben")
    award_purchase(ben, 4000, a.receptionist, item_code="serum")
    a.sync()
    close_database()
    shutil.copyfile(backup, a.db_path)     # yesterday's backup is put back
    for suffix in ("-wal", "-shm"):
        a.db_path.with_name(a.db_path.name + suffix).unlink(missing_ok=True)
    a.use()
    award_purchase(anna, 2000, a.receptionist, item_code="serum")   # new writes reuse old outbox numbers
    a.sync()
    a.use()
    assert member_status(ben).points == 90 and member_status(anna).points == 70
    ids = _hq_ids()
    assert len(ids) == len(set(ids))
    assert _outbox_ids(a) <= set(ids)


def test_program_config_comes_from_hq_and_the_last_one_stays_offline(hq, template, tmp_path):
    from loyalty.program import ASSETS
    a = template.node(tmp_path, "a", hq)
    text = (ASSETS / "programs" / "clinic-de.toml").read_text(encoding="utf-8").replace(
        "signup_bonus = 50", "signup_bonus = 75")
    with hq_db.connection_context():
        assert service.publish_config(text) == 1
    a.sync()
    a.use()
    assert current_program().signup_bonus == 75
    hq.servers[0].kill()
    try:
        with pytest.raises(HqError):
            a.sync()
        a.use()
        assert current_program().signup_bonus == 75
        cem = enroll("Cem", a.device, email="cem@example.org", consent_program=True, age_confirmed=True)
        assert cem.bonus_points == 75
    finally:
        hq.servers[0].start()
    a.sync()
    a.use()
    assert sync_state().queue_length == 0 and sync_state().last_error is None


def test_sync_state_shows_queue_errors_and_last_success(hq, template, tmp_path):
    a = template.node(tmp_path, "a", hq)
    _member(a)
    state = sync_state()
    assert state.hq_url == hq.url and state.queue_length > 0 and state.last_success_at is None
    a.sync()
    a.use()
    state = sync_state()
    assert state.queue_length == 0 and state.last_success_at is not None and state.last_error is None
