"""Randomized multi-station runs against the real PostgreSQL (Jepsen-style set and ledger checks).

Three stations enrol, check in, award, redeem, edit profiles and reissue cards while the network
drops requests and answers, duplicates and delays them, a server process is killed after commit
and clocks jump. After healing, HQ and every station must hold the same records, none lost or
doubled, and every balance must equal its ledger sum. Run once with one HQ process and once with
two behind the same PostgreSQL, and once more while an enrolled device of another location pushes
arbitrary and malformed records: HQ keeps what passes its checks, and the honest stations keep
writing, apply everything HQ kept and set nothing aside. LOYALTY_SYNC_EXAMPLES raises the number of runs.
"""
from __future__ import annotations

import itertools
import json
import os
import random
import tempfile
import uuid
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from loyalty.errors import Refused
from loyalty.services import (
    award_purchase,
    card_token,
    check_in,
    enroll,
    member_status,
    redeem,
    reissue_card,
    update_profile,
)
from loyalty.store import Card, ConsentEvent, LedgerEntry, Member, Outbox, SetAside, Treatment, db
from loyalty.store.registry import RECORDS, SYNCED
from sync.client import HqError
from sync.hq import service
from sync.hq.db import Event, Row, hq_db

from hostile import Rogue, bend, clocks, example, mutations
from hq_harness import Fault, FaultyAdapter, Hq, reset_hq_tables

EXAMPLES = int(os.environ.get("LOYALTY_SYNC_EXAMPLES", "5"))
COMPARED = (Member, Card, LedgerEntry, ConsentEvent, Treatment)
NETWORK = Fault(drop_request=0.2, drop_response=0.2, duplicate=0.2, delay=0.15)


class Stations(RuleBasedStateMachine):
    def __init__(self, hq: Hq, template, folder: Path):
        super().__init__()
        self.hq, self.template, self.folder = hq, template, folder
        reset_hq_tables(hq.db_url)
        with hq_db.connection_context():
            service.create_location("Praxis Mitte")
        self.nodes = []
        self.emails = itertools.count()
        self.foreign: set[str] = set()      # events HQ stored from devices other than the honest stations

    @initialize(seed=st.integers(0, 2 ** 32 - 1))
    def stations(self, seed):
        run = Path(tempfile.mkdtemp(dir=self.folder))
        for i in range(3):
            adapter = FaultyAdapter(self.hq, random.Random(seed + i), NETWORK)
            self.nodes.append(self.template.node(run, f"s{i}", self.hq, adapter))
        for i in range(3):              # every run starts with patients (hypothesis may switch rules off)
            self.enrol(i, push=False)
            self.award(i, 0, 180, push=i == 0)

    def _members(self, node) -> list[str]:
        node.use()
        return [m for (m,) in Member.select(Member.id).order_by(Member.id).tuples()]

    def _pick(self, node, pick):
        members = self._members(node)
        return members[pick % len(members)] if members else None

    def _then(self, node, push):
        """As the worker does after a local write: try to sync at once, through the faulty network."""
        if push:
            try:
                node.sync()
            except HqError:
                pass

    @rule(i=st.integers(0, 2), push=st.booleans())
    def enrol(self, i, push):
        node = self.nodes[i]
        node.use()
        enroll(f"P{next(self.emails)}", node.device, email=f"p{next(self.emails)}@example.org",
               consent_program=True, consent_marketing=bool(i % 2), age_confirmed=True)
        self._then(node, push)

    @rule(i=st.integers(0, 2), pick=st.integers(0, 99), euros=st.integers(1, 300), push=st.booleans())
    def award(self, i, pick, euros, push):
        member = self._pick(self.nodes[i], pick)
        if member:
            try:
                award_purchase(member, euros * 100, self.nodes[i].receptionist, item_code="serum")
            except Refused:                 # erased meanwhile
                return
            self._then(self.nodes[i], push)

    @rule(i=st.integers(0, 2), pick=st.integers(0, 99), push=st.booleans())
    def redeem(self, i, pick, push):
        member = self._pick(self.nodes[i], pick)
        if member:
            try:
                redeem(member, "lounge", self.nodes[i].receptionist)
            except Refused:
                return
            self._then(self.nodes[i], push)

    @rule(i=st.integers(0, 2), pick=st.integers(0, 99), push=st.booleans())
    def check_in(self, i, pick, push):
        member = self._pick(self.nodes[i], pick)
        if member:
            try:
                check_in(card_token(member), self.nodes[i].device)
            except Refused:
                return
            self._then(self.nodes[i], push)

    @rule(i=st.integers(0, 2), pick=st.integers(0, 99), digits=st.integers(1000000, 9999999),
          note=st.sampled_from(["", "Allergie", "bevorzugt Termine am Morgen"]), push=st.booleans())
    def edit(self, i, pick, digits, note, push):
        member = self._pick(self.nodes[i], pick)
        if member:
            try:
                update_profile(member, self.nodes[i].manager, phone=f"+49170{digits}", note=note or None)
            except Refused:
                return
            self._then(self.nodes[i], push)

    @rule(i=st.integers(0, 2), pick=st.integers(0, 99), push=st.booleans())
    def reissue(self, i, pick, push):
        member = self._pick(self.nodes[i], pick)
        if member:
            try:
                reissue_card(member, self.nodes[i].receptionist, "lost")
            except Refused:
                return
            self._then(self.nodes[i], push)

    @rule(i=st.integers(0, 2))
    def sync(self, i):
        try:
            self.nodes[i].sync()
        except HqError:
            pass

    @rule(i=st.integers(0, 2), hours=st.sampled_from([-72, -1, 1, 30]))
    def clock_jumps(self, i, hours):
        self.nodes[i].clock.advance(hours=hours)

    @rule(i=st.integers(0, 2), chance=st.integers(0, 3))
    def server_killed_after_commit(self, i, chance):
        if chance:                      # one in four: a restart costs seconds
            return
        node = self.nodes[i]
        node.adapter.fault = Fault(kill_after_commit=1.0)
        try:
            node.sync()
        except HqError:
            pass
        node.adapter.fault = NETWORK

    def teardown(self):
        if not self.nodes:
            return
        for node in self.nodes:
            node.adapter.fault = Fault()
        for _ in range(4):
            for node in self.nodes:
                node.sync()
        check_converged(self.nodes, self.foreign)
        faults = [entry for node in self.nodes for entry in node.adapter.log]
        with hq_db.connection_context():
            stored = Event.select().count()
        if os.environ.get("LOYALTY_SYNC_VERBOSE"):
            print(f"events {stored}, faults {sorted(set(faults))} x{len(faults)}")


def _normal(value):
    return int(value) if isinstance(value, bool) else value


def _station_rows(model) -> dict[str, dict]:
    fields = model._meta.fields
    names = list(fields)
    columns = ", ".join(f'"{fields[n].column_name}"' for n in names)
    rows = db.execute_sql(f'SELECT {columns} FROM "{model._meta.table_name}"').fetchall()
    return {str(r[names.index(model._meta.primary_key.name)]): dict(zip(names, map(_normal, r))) for r in rows}


def check_converged(nodes, foreign: set[str] = frozenset()) -> None:
    with hq_db.connection_context():
        hq_ids = [e for (e,) in Event.select(Event.id).tuples()]
        hq_rows = {}
        for model in COMPARED:
            table = model._meta.table_name
            hq_rows[table] = {r.record_id: {k: _normal(v) for k, v in json.loads(r.data).items()}
                              for r in Row.select().where(Row.tbl == table)}
        hq_points = {}
        for data in hq_rows["ledger_entry"].values():
            hq_points[data["member"]] = hq_points.get(data["member"], 0) + data["points"]
    assert len(hq_ids) == len(set(hq_ids)), "an event is stored twice at HQ"
    written = set()
    for node in nodes:
        node.use()
        assert not Outbox.select().where(Outbox.receipt.is_null()).exists(), f"{node.name}: outbox not drained"
        assert not Outbox.select().where(Outbox.receipt == "rejected").exists(), f"{node.name}: rejected events"
        aside = [(s.tbl, s.reason) for s in SetAside.select()]
        assert not aside, f"{node.name}: set aside what HQ accepted: {aside}"
        written |= {e for (e,) in Outbox.select(Outbox.event_id).tuples()}
    written |= foreign
    assert written == set(hq_ids), f"lost: {len(written - set(hq_ids))}, unexpected: {len(set(hq_ids) - written)}"
    for node in nodes:
        node.use()
        for model in COMPARED:
            table = model._meta.table_name
            assert _station_rows(model) == hq_rows[table], f"{node.name}: {table} differs from HQ"
        for member in hq_rows["member"]:
            assert member_status(member).points == hq_points.get(member, 0), f"{node.name}: balance of {member}"


class StationsAndARogue(Stations):
    """The same stations while an enrolled device of another location pushes whatever it likes: valid
    records, records bent out of shape, clocks anywhere in the 63-bit range, tables that do not sync."""

    def __init__(self, hq: Hq, template, folder: Path):
        super().__init__(hq, template, folder)
        with hq_db.connection_context():
            service.create_location("Praxis Süd")
        self.rogue = Rogue(hq, location="Praxis Süd")
        self.receipts: Counter[str] = Counter()

    @initialize(data=st.data())
    def rogue_starts(self, data):
        self._push(data, 8, most=2)

    @rule(data=st.data(), count=st.integers(1, 6))
    def rogue_pushes(self, data, count):
        self._push(data, count, most=3)

    @rule(data=st.data(), count=st.integers(1, 6))
    def rogue_pushes_what_looks_right(self, data, count):
        self._push(data, count, most=1)

    def _push(self, data, count, most):
        events = [self._hostile(data, most) for _ in range(count)]
        receipts = self.rogue.push(*events)
        assert set(receipts) == {e.id for e in events}
        assert all(reason for status, reason in receipts.values() if status == "rejected")
        self.foreign |= {event_id for event_id, (status, _) in receipts.items() if status == "accepted"}
        self.receipts.update((reason or status).split(":")[0] for status, reason in receipts.values())

    def teardown(self):
        super().teardown()
        if os.environ.get("LOYALTY_SYNC_VERBOSE"):
            print(f"rogue: {dict(self.receipts)}")

    def _hostile(self, data, most):
        table = data.draw(st.sampled_from(sorted(SYNCED) + ["setting", "outbox", "no_such_table"]), label="table")
        with hq_db.connection_context():
            held = {t: [r for (r,) in Row.select(Row.record_id).where(Row.tbl == t).order_by(Row.record_id).tuples()]
                    for t in ("member", "membership", table)}
        ids = held[table] + [str(uuid.uuid4())]
        record_id = data.draw(st.sampled_from(ids), label="record")
        if table not in RECORDS:
            payload = {"id": record_id}
        elif record_id in held[table]:
            with hq_db.connection_context():
                payload = json.loads(Row.get((Row.tbl == table) & (Row.record_id == record_id)).data)
        else:
            refs = {t: data.draw(st.sampled_from(held[t] + ["no-such-record"]), label=t)
                    for t in ("member", "membership")}
            payload = example(table, record_id, self.rogue.device, refs)
        payload = bend(payload, data.draw(mutations(table, most), label="changes"))
        fields = data.draw(st.one_of(st.none(), st.lists(st.sampled_from(sorted(payload) or ["id"]), max_size=3,
                                                         unique=True)), label="fields")
        op = data.draw(st.sampled_from(["upsert", "upsert", "upsert", "erase"]), label="op")
        return self.rogue.event(table, payload, hlc_value=data.draw(clocks(), label="clock"), op=op, fields=fields,
                                record_id=record_id)


def _run(hq, template, tmp_path, examples, machine=Stations):
    run_state_machine_as_test(
        lambda: machine(hq, template, tmp_path),
        settings=settings(max_examples=examples, stateful_step_count=25, deadline=None, derandomize=True,
                          suppress_health_check=list(HealthCheck), database=None))


def test_stations_converge_through_faults(hq_server, template, tmp_path):
    _run(hq_server, template, tmp_path, EXAMPLES)


@pytest.fixture(scope="module")
def two_hq_processes(pg_url, tmp_path_factory):
    reset_hq_tables(pg_url)
    hq = Hq(pg_url, tmp_path_factory.mktemp("hq2"), processes=2)
    yield hq
    hq.stop()


def test_stations_converge_with_two_hq_processes_on_one_database(two_hq_processes, template, tmp_path):
    _run(two_hq_processes, template, tmp_path, max(2, EXAMPLES // 2))


def test_honest_stations_converge_while_a_rogue_device_pushes_anything(hq_server, template, tmp_path):
    _run(hq_server, template, tmp_path, EXAMPLES, StationsAndARogue)
