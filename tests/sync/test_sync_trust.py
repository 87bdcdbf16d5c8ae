"""Trust nothing: HQ checks every pushed record, a station never lets one pulled record stop its pull.

An enrolled device is the attacker here: it pushes clocks at the end of the 63-bit range, amounts
no column holds, half records, references to records nobody has, records of another location's
staff. HQ refuses each with a short stable reason and stores the rest of the batch. What an
earlier HQ stored before it checked is set aside by the stations that pull it, shown to the
manager, and the cursor moves on.
"""
from __future__ import annotations

import itertools
import json
import time
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loyalty import clock, hlc
from loyalty.services import (
    award_purchase,
    card_token,
    check_in,
    create_staff,
    current_program,
    enroll,
    join_plan,
    member_status,
    update_profile,
)
from loyalty.store import LedgerEntry, Member, Outbox, db
from loyalty.store.models import SetAside
from loyalty.store.registry import PULLED, RECORDS
from loyalty.store.settings import HLC, get_setting, set_setting
from sync.client import HqClient, HqError
from sync.hq import service
from sync.hq.db import Event, Row, Stream, hq_db
from sync.protocol import HQ_DEVICE, PullResponse
from sync.protocol import Event as WireEvent
from sync.station import CURSOR, apply_page
from sync.status import SET_ASIDE_SHOWN, sync_state

from hostile import MOMENT, Rogue, bend, clocks, example, mutations, now_hlc, stored_unchecked


def _wall_ms() -> int:
    return int(time.time() * 1000)


def _member(node, first="Anna"):
    node.use()
    return enroll(first, node.device, email=f"{first.lower()}@example.org", consent_program=True,
                  age_confirmed=True).member_id


def _hq_row(table: str, record_id: str) -> dict | None:
    with hq_db.connection_context():
        row = Row.get_or_none((Row.tbl == table) & (Row.record_id == record_id))
        return json.loads(row.data) if row else None


def _hq_event_ids() -> set[str]:
    with hq_db.connection_context():
        return {e for (e,) in Event.select(Event.id).tuples()}


# --- finding 1: a clock at the end of the range, adopted by every station ----------------------

@pytest.mark.parametrize("far", [2 ** 63 - 1, 2 ** 63 - 2, "a day ahead"])
def test_a_clock_far_ahead_is_refused_and_honest_stations_keep_writing(hq, template, tmp_path, far):
    a = template.node(tmp_path, "a", hq)
    anna = _member(a)
    a.sync()
    rogue = Rogue(hq)
    value = now_hlc(24 * 3600 * 1000) if far == "a day ahead" else far
    own = rogue.event("member", rogue.member(), hlc_value=value)
    edit = rogue.event("member", {**_hq_row("member", anna), "first_name": "Mallory"}, hlc_value=value,
                       fields=["first_name"])
    assert rogue.push(own, edit) == {own.id: ("rejected", "clock_ahead"), edit.id: ("rejected", "clock_ahead")}
    a.sync()
    a.use()
    assert hlc.physical_ms(int(get_setting(HLC))) <= _wall_ms() + hlc.MAX_AHEAD_MS
    assert check_in(card_token(anna), a.device).status == "checked_in"
    award_purchase(anna, 2000, a.receptionist, item_code="serum")
    assert a.sync().rejected == 0
    a.use()
    assert member_status(anna).points == 50 + 20 and Member.get_by_id(anna).first_name == "Anna"
    assert {e.id for e in (own, edit)}.isdisjoint(_hq_event_ids())


def test_hq_never_hands_out_a_clock_far_ahead_even_if_it_stored_one_before(hq, template, tmp_path):
    with hq_db.connection_context():
        Stream.update(max_hlc=2 ** 63 - 1).where(Stream.id == 1).execute()   # as an HQ before the checks left it
    a = template.node(tmp_path, "a", hq)
    anna = _member(a)
    a.sync()
    a.use()
    assert hlc.physical_ms(int(get_setting(HLC))) <= _wall_ms() + hlc.MAX_AHEAD_MS
    award_purchase(anna, 1000, a.receptionist, item_code="serum")
    assert a.sync().rejected == 0


# --- finding 2: another location's member renamed with a clock that outranks every later edit ---

def test_a_rename_from_another_location_is_normal_but_cannot_outrank_later_edits(hq, template, tmp_path):
    with hq_db.connection_context():
        service.create_location("Praxis Süd")
    south = template.node(tmp_path, "south", hq, location="Praxis Süd")
    anna = _member(south)
    south.sync()
    rogue = Rogue(hq, location="Praxis Mitte")
    row = _hq_row("member", anna)
    forged = rogue.event("member", {**row, "last_name": "Forged"}, hlc_value=2 ** 63 - 2, fields=["last_name"])
    roaming = rogue.event("member", {**row, "note": "bevorzugt Termine am Morgen"}, fields=["note"])
    assert rogue.push(forged, roaming) == {forged.id: ("rejected", "clock_ahead"), roaming.id: ("accepted", None)}
    south.sync()
    south.use()
    assert Member.get_by_id(anna).note == "bevorzugt Termine am Morgen"    # members roam: any location may edit
    update_profile(anna, south.manager, note="Allergie", last_name="Muster")
    south.sync()
    south.use()
    assert (Member.get_by_id(anna).note, Member.get_by_id(anna).last_name) == ("Allergie", "Muster")
    assert (_hq_row("member", anna)["note"], _hq_row("member", anna)["last_name"]) == ("Allergie", "Muster")


# --- finding 3: records no column holds, and half records ------------------------------------

@pytest.mark.parametrize("changes, reason", [
    ({"points": 10 ** 30}, "out_of_range:points"),
    ({"points": float("nan")}, "not_integer:points"),
    ({"points": "12"}, "not_integer:points"),
    ({"points": None}, "required:points"),
    ({"kind": "jackpot"}, "unknown_value:kind"),
    ({"created_at": "yesterday"}, "not_a_time:created_at"),
    ({"reason": "x" * 5000}, "too_long:reason"),
    ({"colour": "red"}, "unknown_field:colour"),
    ({"member": "nobody-knows-this-member"}, "unknown_reference:member"),
    ({"staff_id": 42}, "not_text:staff_id"),
    ({"member": "\x00"}, "not_text:member"),            # was a 500: PostgreSQL refused its lock's name
    ({"reason": "Bonus \ud800"}, "not_text:reason"),    # was a 500: PostgreSQL's JSON refused the lone surrogate
    ({"created_at": "1970-01-01T00:00:00.000000Z"}, "not_a_time:created_at"),
    ({"device_id": "another-device"}, "device_mismatch"),
])
def test_a_hostile_ledger_entry_is_refused_with_its_reason_and_the_rest_is_stored(hq, template, tmp_path,
                                                                                changes, reason):
    a = template.node(tmp_path, "a", hq)
    anna = _member(a)
    a.sync()
    rogue = Rogue(hq)
    bad = rogue.event("ledger_entry", {**rogue.entry(anna), **changes})
    good = rogue.event("ledger_entry", rogue.entry(anna, points=7))
    assert rogue.push(bad, good) == {bad.id: ("rejected", reason), good.id: ("accepted", None)}
    assert bad.id not in _hq_event_ids() and good.id in _hq_event_ids()
    a.sync()
    a.use()
    assert member_status(anna).points == 50 + 7 and sync_state().set_aside == 0


def test_a_half_record_is_refused_for_what_it_lacks(hq, template, tmp_path):
    a = template.node(tmp_path, "a", hq)
    anna = _member(a)
    a.sync()
    rogue = Rogue(hq)
    half = rogue.event("ledger_entry", {"id": str(uuid.uuid4()), "member": anna})
    mismatch = rogue.event("ledger_entry", rogue.entry(anna), record_id="another-id")
    erase = rogue.event("ledger_entry", rogue.entry(anna), op="erase")
    assert rogue.push(half, mismatch, erase) == {half.id: ("rejected", "missing:kind"),
                                                mismatch.id: ("rejected", "record_id_mismatch"),
                                                erase.id: ("rejected", "erase_not_allowed")}


# --- who may write what ----------------------------------------------------------------------

def test_a_device_edits_only_what_its_location_may_edit(hq, template, tmp_path):
    with hq_db.connection_context():
        service.create_location("Praxis Süd")
    a = template.node(tmp_path, "a", hq)
    anna, ben = _member(a), _member(a, "Ben")
    tom = create_staff("Tom Tresen", "receptionist", "9753", a.manager).staff_id
    a.sync()
    rogue = Rogue(hq, location="Praxis Süd")
    card = _card_row(anna)
    staff = _hq_row("staff", tom)
    assert staff is not None and "pin_hash" not in staff
    stolen = rogue.event("card", {**card, "member": ben}, fields=["member"])
    promoted = rogue.event("staff", {**staff, "role": "manager"}, fields=["role"])
    moved = rogue.event("member", {**_hq_row("member", anna), "home_location": "elsewhere"},
                        fields=["home_location"])
    foreign = rogue.event("member", rogue.member(created_device="someone-else"))
    copied = rogue.event("ledger_entry", {**_first_entry(anna), "device_id": rogue.device, "points": 900})
    revoked = rogue.event("card", {**card, "status": "revoked", "revoked_at": MOMENT, "revoked_reason": "lost"},
                          fields=["status", "revoked_at", "revoked_reason"])
    assert rogue.push(stolen, promoted, moved, foreign, copied, revoked) == {
        stolen.id: ("rejected", "fixed:member"), promoted.id: ("rejected", "other_location"),
        moved.id: ("rejected", "fixed:home_location"), foreign.id: ("rejected", "device_mismatch"),
        copied.id: ("rejected", "record_exists"), revoked.id: ("accepted", None)}


def _card_row(member: str) -> dict:
    with hq_db.connection_context():
        return next(json.loads(r.data) for r in Row.select().where(Row.tbl == "card")
                    if json.loads(r.data)["member"] == member)


def _first_entry(member: str) -> dict:
    with hq_db.connection_context():
        return next(json.loads(r.data) for r in Row.select().where(Row.tbl == "ledger_entry")
                    if json.loads(r.data)["member"] == member)


def test_no_station_enrols_under_the_name_hq_writes_its_own_records_with(hq):
    with pytest.raises(HqError) as refused:
        HqClient(hq.url).enrol(hq.code(), HQ_DEVICE)
    assert refused.value.status == 409 and refused.value.code == "device_exists"


def test_only_hq_moves_a_members_home(hq, template, tmp_path):
    """A station sets aside a move of a member's home by another station (stored before HQ checked)
    and applies HQ's own: whose station sends the reminders is decided at head office."""
    a = template.node(tmp_path, "a", hq)
    anna = _member(a)
    a.sync()
    row = _hq_row("member", anna)
    forged = WireEvent(id=str(uuid.uuid4()), device_id="other-station", seq=1, table="member", record_id=anna,
                       op="upsert", hlc=now_hlc(), fields=["home_location"], payload={**row, "home_location": "x"})
    moved = WireEvent(id=str(uuid.uuid4()), device_id=HQ_DEVICE, seq=1, table="member", record_id=anna, op="upsert",
                      hlc=now_hlc(), fields=["home_location"], payload={**row, "home_location": "praxis-sued"})
    stored_unchecked([forged, moved])
    a.sync()
    a.use()
    assert Member.get_by_id(anna).home_location == "praxis-sued"
    assert [(s.event_id, s.reason) for s in SetAside.select()] == [(forged.id, "fixed:home_location")]


# --- a station's own clock ---------------------------------------------------------------------

def test_a_station_that_adopted_an_absurd_clock_keeps_working(hq, template, tmp_path):
    a = template.node(tmp_path, "a", hq)
    anna = _member(a)
    a.use()
    with db.atomic():
        set_setting(HLC, str(2 ** 63 - 1))          # left by an HQ before the checks
    award_purchase(anna, 1000, a.receptionist, item_code="serum")
    assert check_in(card_token(anna), a.device).status == "checked_in"
    assert max(o.hlc for o in Outbox.select()) < hlc.CEILING
    assert a.sync().rejected == 0
    a.use()
    assert not Outbox.select().where(Outbox.receipt.is_null()).exists()


def test_a_station_whose_clock_runs_ahead_loses_nothing(hq, template, tmp_path):
    a, b = template.node(tmp_path, "a", hq), template.node(tmp_path, "b", hq)
    anna = _member(a)
    a.sync()
    a.clock.advance(hours=30)                     # a dead CMOS battery, a wrong time zone: a day ahead
    a.use()
    award_purchase(anna, 3000, a.receptionist, item_code="serum")
    update_profile(anna, a.manager, note="Allergie")
    first = a.sync()
    a.use()
    assert first.rejected == 0 and not Outbox.select().where(Outbox.receipt.is_null()
                                                             | (Outbox.receipt == "rejected")).exists()
    b.sync()
    for node in (a, b):
        node.use()
        assert member_status(anna).points == 50 + 30 and Member.get_by_id(anna).note == "Allergie"
    a.use()
    written = {e for (e,) in Outbox.select(Outbox.event_id).tuples()}
    assert written <= _hq_event_ids()
    with hq_db.connection_context():
        ahead = Event.select().where(Event.hlc > now_hlc(hlc.MAX_AHEAD_MS)).count()
    assert ahead == 0


def test_events_an_earlier_station_version_took_as_refused_for_their_clock_go_again(hq, template, tmp_path):
    a = template.node(tmp_path, "a", hq)
    anna = _member(a)
    a.use()
    with db.atomic():           # HQ refused them for a clock a day ahead; the version before kept them as refused
        Outbox.update(receipt="rejected", reason="clock_ahead", hlc=now_hlc(24 * 3600 * 1000)).execute()
    assert a.sync().rejected == 0
    a.use()
    assert not Outbox.select().where(Outbox.receipt.is_null() | (Outbox.receipt == "rejected")).exists()
    assert {e for (e,) in Outbox.select(Outbox.event_id).tuples()} <= _hq_event_ids()
    assert _hq_row("member", anna)["first_name"] == "Anna"


# --- the station's pull: what an earlier HQ stored unchecked ------------------------------------

def test_a_station_sets_aside_what_it_cannot_apply_and_moves_on(hq, template, tmp_path):
    a = template.node(tmp_path, "a", hq)
    anna = _member(a)
    a.sync()
    rogue = Rogue(hq)
    row = _hq_row("member", anna)
    huge = rogue.entry(anna, points=10 ** 30)
    hostile = [
        rogue.event("ledger_entry", huge),
        rogue.event("ledger_entry", rogue.entry(anna, points=float("nan"))),       # pulled back as null
        rogue.event("ledger_entry", {"id": str(uuid.uuid4()), "member": anna}),
        rogue.event("ledger_entry", rogue.entry("nobody-knows-this-member")),
        rogue.event("member", {**row, "first_name": "Mallory"}, hlc_value=2 ** 63 - 2, fields=["first_name"]),
        rogue.event("member", {**row, "birthday_day": 99}, fields=["birthday_day"]),
    ]
    later = [rogue.event("member", {**row, "note": "Allergie"}, fields=["note"]),       # the same record, valid
             rogue.event("ledger_entry", {**huge, "points": 12})]                      # the same entry, valid
    stored_unchecked(hostile + later)
    b = template.node(tmp_path, "b", hq)
    for node in (a, b):
        node.sync()
        node.use()
        with hq_db.connection_context():
            head = Stream.get_by_id(1).position
        assert get_setting(CURSOR).endswith(f":{head}")
        assert member_status(anna).points == 50 + 12
        member = Member.get_by_id(anna)
        assert (member.first_name, member.note, member.birthday_day) == ("Anna", "Allergie", None)
        state = sync_state()
        assert state.set_aside == len(hostile) and state.last_error is None
        assert len(state.set_aside_latest) == SET_ASIDE_SHOWN
        assert {(s.tbl, s.reason) for s in SetAside.select()} == {
            ("ledger_entry", "out_of_range:points"), ("ledger_entry", "required:points"),
            ("ledger_entry", "missing:kind"), ("ledger_entry", "unknown_reference:member"),
            ("member", "clock_ahead"), ("member", "out_of_range:birthday_day")}
        stored = SetAside.get_by_id(hostile[0].id)
        assert json.loads(stored.event)["payload"]["points"] == 10 ** 30 and stored.member == anna
        assert hlc.physical_ms(int(get_setting(HLC))) <= _wall_ms() + hlc.MAX_AHEAD_MS
        award_purchase(anna, 1000, node.receptionist, item_code="serum")
    a.sync()
    b.sync()
    b.use()
    assert member_status(anna).points == 50 + 12 + 10 + 10
    assert LedgerEntry.select().where(LedgerEntry.member == anna).count() == 4


# --- any page, however malformed, never stops the pull ------------------------------------------

@st.composite
def pulled_events(draw, members: list[str], plans: list[str]):
    """An event as an HQ before the checks might hand it out: valid, bent, or pointing nowhere."""
    table = draw(st.sampled_from(sorted(PULLED)))
    record_id = draw(st.sampled_from(members)) if table == "member" and draw(st.booleans()) else str(uuid.uuid4())
    refs = {"member": draw(st.sampled_from([*members, "nobody-knows-this-member"])),
            "membership": draw(st.sampled_from([*plans, "no-such-plan"]))}
    payload = bend(example(table, record_id, "other-station", refs), draw(mutations(table)))
    fields = draw(st.one_of(st.none(), st.lists(st.sampled_from(sorted(payload) or ["id"]), max_size=3, unique=True)))
    return WireEvent(id=str(uuid.uuid4()), device_id="other-station", seq=draw(st.integers(0, 10 ** 6)), table=table,
                     record_id=record_id, op=draw(st.sampled_from(["upsert", "upsert", "erase"])),
                     hlc=draw(clocks()), fields=fields, payload=payload)


def test_no_pulled_page_stops_the_pull_or_the_desk(template, tmp_path):
    station = template.offline(tmp_path, "offline")
    members = [_member(station, name) for name in ("Anna", "Ben")]
    plans = [join_plan(members[0], next(iter(current_program().plans)), station.manager).membership_id]
    pages = itertools.count()

    @given(st.lists(pulled_events(members, plans), max_size=6), st.one_of(st.just(0), clocks()))
    @settings(max_examples=120, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def any_page(events, server_hlc):
        sent = PullResponse(events=events, cursor=f"e1:{next(pages)}", has_more=False, epoch="e1",
                            server_hlc=server_hlc)
        page = PullResponse.model_validate_json(sent.model_dump_json())      # as it travels: NaN arrives as null
        apply_page(page)
        assert get_setting(CURSOR) == page.cursor
        aside = {s.event_id for s in SetAside.select().where(SetAside.event_id.in_([e.id for e in events]))}
        for event in page.events:
            model = RECORDS[event.table].model
            assert event.id in aside or model.get_or_none(model._meta.primary_key == event.record_id) is not None
        assert hlc.physical_ms(int(get_setting(HLC))) <= clock.now_ms() + hlc.MAX_AHEAD_MS + 1
        assert _summaries() == _summaries("_fresh")

    any_page()
    assert SetAside.select().exists(), "the run never set anything aside: the strategies are too tame"
    assert LedgerEntry.select().where(LedgerEntry.device_id == "other-station").exists(), "nothing applied"
    for member in members:
        status = member_status(member)
        if not status.erased:
            award_purchase(member, 1000, station.receptionist, item_code="serum")
            assert member_status(member).points == status.points + 10


def _summaries(suffix: str = "") -> list[tuple]:
    columns = ", ".join(f'"{row[1]}"' for row in db.execute_sql('PRAGMA table_info("member_summary")'))
    return db.execute_sql(f'SELECT {columns} FROM "member_summary{suffix}" ORDER BY member_id').fetchall()


def test_an_event_that_fails_where_no_check_foresaw_is_set_aside_alone(template, tmp_path):
    station = template.offline(tmp_path, "offline")
    anna = _member(station)
    db.execute_sql("CREATE TRIGGER poison BEFORE INSERT ON ledger_entry WHEN NEW.reason = 'poison' "
                   "BEGIN SELECT RAISE(ABORT, 'a constraint no check knows'); END")   # a constraint of a later version
    entries = [example("ledger_entry", str(uuid.uuid4()), "other-station", {"member": anna}) for _ in range(3)]
    entries[1]["reason"] = "poison"
    events = [WireEvent(id=str(uuid.uuid4()), device_id="other-station", seq=i, table="ledger_entry",
                        record_id=e["id"], op="upsert", hlc=now_hlc(), payload={**e, "points": 10})
              for i, e in enumerate(entries)]
    assert apply_page(PullResponse(events=events, cursor="e1:3", has_more=False, epoch="e1", server_hlc=now_hlc())) == 2
    assert get_setting(CURSOR) == "e1:3" and member_status(anna).points == 50 + 20
    assert [(s.event_id, s.reason) for s in SetAside.select()] == [(events[1].id, "not_applied:IntegrityError")]
