"""Records HQ writes as its own device (the patients' app): stored once, pulled by every station,
merged by the same clocks as the stations' edits, refused when a station tries to forge them, and
through the same network faults as the stations' own records."""
from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone

import pytest

from loyalty.services import enroll
from loyalty.store import AftercareAnswer, Appointment, Outbox, write
from loyalty.store.outbox import enqueue, new_id, record
from loyalty.store.registry import RECORDS
from sync.client import HqError
from sync.hq import authoring
from sync.hq.db import Event, Row, hq_db, transaction
from sync.protocol import HQ_DEVICE

from hq_harness import Fault, FaultyAdapter


def _member(node, first="Anna") -> str:
    node.use()
    return enroll(first, node.device, email=f"{first.lower()}@example.org", consent_program=True,
                  age_confirmed=True).member_id


def _request(member_id: str, location: str, **values) -> authoring.Write:
    """An appointment request as the app writes it at HQ."""
    fields = dict(id=new_id(), member=member_id, location=location, days="mon,wed", times="morning",
                  note="Bitte vormittags", status="requested", requested_at=datetime.now(timezone.utc),
                  device_id=HQ_DEVICE)
    return authoring.Write("appointment", RECORDS["appointment"].payload(Appointment(**{**fields, **values})))


def _hq_write(*changes: authoring.Write):
    with hq_db.connection_context(), transaction():
        return authoring.write(list(changes))


def _hq_row(table: str, record_id: str) -> dict | None:
    with hq_db.connection_context():
        row = Row.get_or_none((Row.tbl == table) & (Row.record_id == record_id))
        return json.loads(row.data) if row else None


def _local(node, model, record_id):
    node.use()
    return model.get_or_none(model.id == record_id)


def test_hq_record_reaches_every_station_and_the_desk_answer_comes_back(hq, template, tmp_path):
    a, b = template.node(tmp_path, "a", hq), template.node(tmp_path, "b", hq)
    anna = _member(a)
    a.sync()
    request = _request(anna, hq.location)
    receipts = _hq_write(request)
    assert [r.status for r in receipts] == ["accepted"]
    with hq_db.connection_context():
        stored = Event.get(Event.record_id == request.record_id)
    assert stored.device_id == HQ_DEVICE and stored.tbl == "appointment"

    a.sync()
    b.sync()
    for node in (a, b):
        local = _local(node, Appointment, request.record_id)
        assert local.status == "requested" and local.note == "Bitte vormittags" and local.member_id == anna
    a.use()
    assert not Outbox.select().where(Outbox.record_id == request.record_id).exists()   # pulled, never re-sent

    local = _local(a, Appointment, request.record_id)
    local.status, local.starts_at = "confirmed", datetime(2026, 5, 4, 8, 30, tzinfo=timezone.utc)
    with write():
        record(local, insert=False)
    a.sync()
    b.sync()
    assert _hq_row("appointment", request.record_id)["status"] == "confirmed"
    assert _local(b, Appointment, request.record_id).starts_at == datetime(2026, 5, 4, 8, 30, tzinfo=timezone.utc)


def test_hq_edit_after_the_desk_wins_even_against_a_station_clock_ahead(hq, template, tmp_path):
    a = template.node(tmp_path, "a", hq, start=datetime.now(timezone.utc) + timedelta(hours=2))
    anna = _member(a)
    a.sync()
    request = _request(anna, hq.location)
    _hq_write(request)
    a.sync()
    local = _local(a, Appointment, request.record_id)
    local.status = "confirmed"
    with write():
        record(local, insert=False)
    a.sync()                                   # the desk's edit carries a clock two hours ahead of HQ's
    cancelled = {**_hq_row("appointment", request.record_id), "status": "cancelled"}
    _hq_write(authoring.Write("appointment", cancelled, fields=("status",)))
    a.sync()
    assert _hq_row("appointment", request.record_id)["status"] == "cancelled"
    assert _local(a, Appointment, request.record_id).status == "cancelled"


def test_a_station_cannot_forge_what_only_hq_writes(hq, template, tmp_path):
    a, b = template.node(tmp_path, "a", hq), template.node(tmp_path, "b", hq)
    anna = _member(a)
    a.use()
    forged = AftercareAnswer(id=f"{new_id()}:result_check", member=anna, treatment=new_id(), step="result_check",
                             feeling="good", text=None, reports_problem=False, at=datetime.now(timezone.utc),
                             device_id=a.device.device_id)
    with write():
        forged.save(force_insert=True)
        enqueue(forged)
    result = a.sync()
    assert result.rejected == 1
    a.use()
    assert Outbox.get(Outbox.record_id == forged.id).reason == "author_not_allowed"
    assert _hq_row("aftercare_answer", forged.id) is None
    b.sync()
    assert _local(b, AftercareAnswer, forged.id) is None


def test_hq_refuses_to_write_what_the_registry_refuses(hq, template, tmp_path):
    a = template.node(tmp_path, "a", hq)
    anna = _member(a)
    a.sync()
    with pytest.raises(authoring.Refusal) as bad_status:
        _hq_write(_request(anna, hq.location, status="maybe"))
    assert bad_status.value.reason == "unknown_value:status"
    with pytest.raises(authoring.Refusal) as not_hq:
        _hq_write(authoring.Write("ledger_entry", {"id": new_id(), "member": anna}))
    assert not_hq.value.reason == "author_not_allowed"
    with pytest.raises(authoring.Refusal) as unknown_member:
        _hq_write(_request(new_id(), hq.location), _request(anna, hq.location))
    assert unknown_member.value.reason == "unknown_reference:member"
    with hq_db.connection_context():
        assert not Event.select().where(Event.tbl == "appointment").exists()   # the whole write rolled back


@pytest.mark.parametrize("fault", ["drop_response", "duplicate", "delay", "kill_after_commit"])
def test_hq_records_survive_the_network_faults(hq, template, tmp_path, fault):
    a, b = template.node(tmp_path, "a", hq), template.node(tmp_path, "b", hq)
    members = [_member(a, f"M{i}") for i in range(3)]
    a.sync()
    written = []
    rng = random.Random(7)
    for node in (a, b):
        node.adapter = FaultyAdapter(hq, rng, Fault(**{fault: 0.5}))
    for _ in range(6):
        request = _request(rng.choice(members), hq.location)
        _hq_write(request)
        written.append(request.record_id)
        for node in (a, b):
            try:
                node.sync()
            except HqError:     # the faulty network: the next round catches up
                pass
    for _ in range(2):
        for node in (a, b):
            node.adapter = None
            node.sync()
    with hq_db.connection_context():
        events = [e for (e,) in Event.select(Event.id).where(Event.tbl == "appointment").tuples()]
    assert len(events) == len(set(events)) == len(written)
    for node in (a, b):
        node.use()
        assert {x.id for x in Appointment.select()} == set(written)
