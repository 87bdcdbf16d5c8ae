"""What HQ does with a request: enrol, push, pull, and the admin actions behind `loyalty hq`.

HQ trusts no pushed record: each is checked against its record type (`loyalty.store.registry`:
schema, authors, creator, fixed fields, location), its references, and its clock (at most
`hlc.MAX_AHEAD` past HQ's own), and refused on its own with a short stable reason, such as
`out_of_range:points`; the rest of the batch is stored.
"""
from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from functools import lru_cache

import peewee as pw
from uuid6 import uuid7

from loyalty import hlc
from loyalty.program import ProgramError, parse_program
from loyalty.store import registry
from loyalty.store.registry import RECORDS, Author
from loyalty.text import storable
from sync import merge, signing
from sync.hq import erasure, programs, rollups, station_only, stations
from sync.hq.auth import SignedRequest, authenticate
from sync.hq.db import (
    Batch,
    CardKey,
    Config,
    Device,
    Enrolment,
    Event,
    Location,
    Row,
    Stream,
    hq_db,
    is_postgres,
    lock_exclusive,
    lock_records,
    now,
    transaction,
)
from sync.hq.errors import ApiError
from sync.protocol import (
    ACCEPTED,
    CLOCK_AHEAD,
    DUPLICATE,
    HQ_DEVICE,
    REJECTED,
    EnrolRequest,
    EnrolResponse,
    ProgramConfig,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
    Receipt,
    make_cursor,
    parse_cursor,
)
from sync.protocol import Event as WireEvent
from sync.signing import token_hash

ENROLMENT_TTL = 15 * 60
START_UP_LOCK = 4713          # advisory lock of `start_up` (4711: schema, 4712: records)
AUTHOR_LOCK = 4714            # HQ's own writes take turns, so no two take the same sequence number
PULLED = sorted(table for table, kind in RECORDS.items() if kind.pulled)


@lru_cache(maxsize=64)   # bounded: table names come from the request
def _references(table: str) -> dict[str, str]:
    """Payload field -> the table it points to, for the record types we know."""
    kind = RECORDS.get(table)
    return kind.references() if kind is not None else {}


# --- devices --------------------------------------------------------------------------------

def create_location(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 100:
        raise ApiError(400, "bad_location", "A location needs a name of 1 to 100 characters.")
    with transaction():
        if Location.get_or_none(Location.name == name):
            raise ApiError(409, "location_exists", f"Location {name!r} exists already.")
        location_id = str(uuid7())
        Location.create(id=location_id, name=name, created_at=now())
    return location_id


def enrolment_code() -> str:
    """128 random bits in base32 (A-Z, 2-7; 26 characters) for a manager to type after `loyalty hq join URL`.

    URL-safe base64 began with "-" once in 64 codes, and the command line took "-YZVJ..." for an option.
    """
    return base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=")


def create_enrolment(location: str) -> str:
    """A one-time code for one station of `location` (name or id), valid for 15 minutes."""
    with transaction():
        row = Location.get_or_none((Location.name == location) | (Location.id == location))
        if row is None:
            raise ApiError(404, "unknown_location", f"No location {location!r}.")
        code = enrolment_code()
        moment = now()
        Enrolment.create(code_hash=token_hash(code), location=row.id, created_at=moment,
                         expires_at=moment + ENROLMENT_TTL)
    return code


def enrol(request: EnrolRequest) -> EnrolResponse:
    """Redeem a code for the station's own key and the group's card key; the code works once (the UPDATE decides)."""
    moment = now()
    with transaction():
        taken = (Enrolment.update(used_at=moment, device_id=request.device_id)
                 .where((Enrolment.code_hash == token_hash(request.code)) & Enrolment.used_at.is_null()
                        & (Enrolment.expires_at > moment)).execute())
        if not taken:
            raise ApiError(403, "bad_code", "This enrolment code is unknown, used or expired.")
        if request.device_id == HQ_DEVICE or Device.get_or_none(Device.id == request.device_id):
            raise ApiError(409, "device_exists", "This device id is enrolled already; reinstall the station.")
        enrolment = Enrolment.get_by_id(token_hash(request.code))
        secret = signing.new_secret()
        Device.create(id=request.device_id, location=enrolment.location_id, name=request.name, secret=secret,
                      enrolled_at=moment)
        location = Location.get_by_id(enrolment.location_id).name
        card_key = CardKey.get_by_id(1).secret
    return EnrolResponse(device_id=request.device_id, secret=secret, location=location, server_time=moment,
                         card_key=card_key, location_id=enrolment.location_id)


def revoke_device(device_id: str) -> None:
    with transaction():
        if not Device.update(status="revoked", revoked_at=now()).where(Device.id == device_id).execute():
            raise ApiError(404, "unknown_device", f"No device {device_id!r}.")



# --- push -----------------------------------------------------------------------------------

def push(signed: SignedRequest, request: PushRequest) -> PushResponse:
    """Store each event once, merge it into its row, and answer with one receipt per event.

    Locks in one order, so pushes from all processes never deadlock: the device row (this
    device's pushes take turns, so an event or batch is never stored twice), then the records the
    batch merges into (in hash order), then the stream row, last, only to hand out positions and write.
    Holding the stream row until commit makes positions follow commit order; taking it last keeps
    the time pushes queue behind each other to the writing statement and the commit.
    """
    try:
        return _push(signed, request)
    except pw.IntegrityError:
        # Another device's push stored one of these event ids while this one ran: once more, it is refused as reused.
        return _push(signed, request)


def _push(signed: SignedRequest, request: PushRequest) -> PushResponse:
    with transaction():
        device = authenticate(signed)
        Device.update(last_seen_at=now()).where(Device.id == device.id).execute()
        prune_batches(device.id)
        digest = hashlib.sha256(signed.body).hexdigest()
        earlier = Batch.get_or_none((Batch.device_id == device.id) & (Batch.batch_id == request.batch_id))
        if earlier is not None:
            if earlier.digest != digest:
                raise ApiError(409, "batch_reused", "This batch id was used for different events.")
            return PushResponse(receipts=[Receipt(**r) for r in json.loads(earlier.receipts)],
                                server_hlc=_server_hlc(Stream.get_by_id(1).max_hlc))
        events = station_only.strip(request.events)
        merged = _merge(device.id, events)
        Batch.create(device_id=device.id, batch_id=request.batch_id, digest=digest, at=now(),
                     receipts=json.dumps([r.model_dump() for r in merged.receipts]))
        rollups.keep({key: data for key, (data, _, _) in merged.rows.items()})
        max_hlc = _write(merged)
        erasure.scrub_pushed(events, merged.receipts)
    return PushResponse(receipts=merged.receipts, server_hlc=_server_hlc(max_hlc))


def store_authored(changes: list[tuple[str, str, str, dict, list[str] | None]]) -> list[Receipt]:
    """Records HQ itself writes, as (table, record id, op, whole row, changed fields): stored and merged
    exactly like a station's push, at clocks past every clock seen, so stations pull and apply them
    like any other station's edit. Call inside a transaction.

    The author lock comes before the records' locks and no other writer takes it, so it adds no
    deadlock: a patient's answer and a console edit at the same moment get numbers one after the other."""
    lock_exclusive(AUTHOR_LOCK)
    stream = Stream.get_by_id(1)
    clock = _server_hlc(stream.max_hlc) + 1
    seq = (Event.select(pw.fn.MAX(Event.seq)).where(Event.device_id == HQ_DEVICE).scalar() or 0) + 1
    events = [WireEvent(id=str(uuid7()), device_id=HQ_DEVICE, seq=seq + i, table=table, record_id=record_id, op=op,
                        hlc=clock + i, fields=fields, payload=payload)
              for i, (table, record_id, op, payload, fields) in enumerate(changes)]
    merged = _merge(HQ_DEVICE, events)
    rollups.keep({key: data for key, (data, _, _) in merged.rows.items()})
    _write(merged)
    erasure.scrub_pushed(events, merged.receipts)
    return merged.receipts


def prune_batches(device_id: str | None = None) -> int:
    """Forget the receipts of batches older than the replay window (one device's, or all at start-up).

    A request is accepted within `signing.WINDOW_SECONDS` of its time and its nonce is kept twice
    that, so the stored receipts only matter while the same request could come again. A station that
    resends a batch later signs it anew; its events are found stored and answered `duplicate`.
    The device row is locked by the push, so this is one indexed delete of a few rows per push.
    """
    old = Batch.at < now() - 2 * signing.WINDOW_SECONDS
    return Batch.delete().where(old if device_id is None else (Batch.device_id == device_id) & old).execute()


@dataclass
class _Merged:
    """A batch merged in memory: receipts, the new events in order, the rows they changed."""
    receipts: list[Receipt]
    events: list[dict]
    rows: dict[tuple[str, str], tuple[dict, dict, int]]   # key -> (data, clocks, index of its last event)
    max_hlc: int


def _merge(device_id: str, events: list[WireEvent]) -> _Merged:
    """Each event's receipt and its effect on its row, under the records' locks (and the members', for
    their rollups); nothing written yet."""
    wall_ms = int(now() * 1000)
    ids = [e.id for e in events]
    stored = {e.id: e.digest for e in Event.select(Event.id, Event.digest).where(Event.id.in_(ids))}
    targets = {(e.table, e.record_id) for e in events if e.id not in stored}
    lock_records(targets | {("member", m) for m in rollups.members_of(e for e in events if e.id not in stored)})
    keys = targets | {(target, str(e.payload.get(name))) for e in events
                      for name, target in _references(e.table).items() if e.payload.get(name) is not None}
    rows = _load_rows(keys)
    receipts, new_events, touched, max_hlc = [], [], {}, 0
    for event in events:
        digest = event.digest()
        if event.id in stored:
            status, reason = (DUPLICATE, None) if stored[event.id] == digest else (REJECTED, "id_reused")
        else:
            reason = _invalid(device_id, event, rows, wall_ms)
            status = REJECTED if reason else ACCEPTED
        receipts.append(Receipt(id=event.id, status=status, reason=reason))
        if status != ACCEPTED:
            continue
        stored[event.id] = digest
        max_hlc = max(max_hlc, event.hlc)
        new_events.append(dict(id=event.id, device_id=device_id, seq=event.seq, tbl=event.table,
                               record_id=event.record_id, op=event.op, hlc=event.hlc,
                               fields=None if event.fields is None else json.dumps(event.fields),
                               payload=json.dumps(event.payload), digest=digest, received_at=now()))
        key = (event.table, event.record_id)
        current = rows.get(key)
        data, clocks, changed = merge.merge_row(
            event.table, current[0] if current else None, current[1] if current else {},
            event.payload if current else registry.complete(event.table, event.payload),
            event.fields, merge.event_clock(event.hlc, device_id, event.id), event.op)
        if changed:
            rows[key] = (data, clocks)
            touched[key] = (data, clocks, len(new_events) - 1)
    return _Merged(receipts, new_events, touched, max_hlc)


def _write(merged: _Merged) -> int:
    """Claim positions for the new events (the stream row stays locked until commit) and write them.

    Returns the stream's highest clock. A batch of duplicates and rejections leaves the stream alone.
    """
    if not merged.events:
        return Stream.get_by_id(1).max_hlc
    count = len(merged.events)
    if is_postgres():
        events = [dict(event, n=i + 1) for i, event in enumerate(merged.events)]
        rows = [dict(tbl=t, record_id=r, data=json.dumps(data), clocks=json.dumps(clocks), n=index + 1)
                for (t, r), (data, clocks, index) in merged.rows.items()]
        return hq_db.execute_sql(_WRITE_SQL, {"count": count, "max_hlc": merged.max_hlc, "events": json.dumps(events),
                                              "rows": json.dumps(rows)}).fetchone()[0]
    raised = pw.Case(None, [(Stream.max_hlc < merged.max_hlc, merged.max_hlc)], Stream.max_hlc)
    ((last, max_hlc),) = (Stream.update(position=Stream.position + count, max_hlc=raised).where(Stream.id == 1)
                          .returning(Stream.position, Stream.max_hlc).tuples().execute())
    base = last - count
    events = [dict(event, position=base + i + 1) for i, event in enumerate(merged.events)]
    rows = [dict(tbl=t, record_id=r, data=json.dumps(data), clocks=json.dumps(clocks), position=base + index + 1)
            for (t, r), (data, clocks, index) in merged.rows.items()]
    for start in range(0, count, 200):
        Event.insert_many(events[start:start + 200]).execute()
    for start in range(0, len(rows), 200):
        (Row.insert_many(rows[start:start + 200])
         .on_conflict(conflict_target=[Row.tbl, Row.record_id],
                      update={Row.data: pw.EXCLUDED.data, Row.clocks: pw.EXCLUDED.clocks,
                              Row.position: pw.EXCLUDED.position}).execute())
    return max_hlc


# PostgreSQL: the stream row is locked from this one statement to the commit right after it, so
# pushes queue behind each other for one round trip, not one per table written.
_WRITE_SQL = """
WITH claimed AS (
    UPDATE hq_stream SET position = position + %(count)s, max_hlc = GREATEST(max_hlc, %(max_hlc)s)
    WHERE id = 1 RETURNING position - %(count)s AS base, max_hlc),
new_events AS (
    INSERT INTO hq_event (id, device_id, seq, tbl, record_id, op, hlc, fields, payload, digest, position, received_at)
    SELECT e.id, e.device_id, e.seq, e.tbl, e.record_id, e.op, e.hlc, e.fields, e.payload, e.digest,
           claimed.base + e.n, e.received_at
    FROM claimed, jsonb_to_recordset(%(events)s::jsonb) AS e(id text, device_id text, seq bigint, tbl text,
        record_id text, op text, hlc bigint, fields text, payload text, digest text, received_at double precision,
        n bigint)),
merged_rows AS (
    INSERT INTO hq_row (tbl, record_id, data, clocks, position)
    SELECT r.tbl, r.record_id, r.data, r.clocks, claimed.base + r.n
    FROM claimed, jsonb_to_recordset(%(rows)s::jsonb) AS r(tbl text, record_id text, data text, clocks text, n bigint)
    ON CONFLICT (tbl, record_id) DO UPDATE SET data = EXCLUDED.data, clocks = EXCLUDED.clocks,
                                               position = EXCLUDED.position)
SELECT max_hlc FROM claimed
"""


def _load_rows(keys: set[tuple[str, str]]) -> dict[tuple[str, str], tuple[dict, dict]]:
    """The merged rows of these records; an id no record can have (a NUL, a lone surrogate: from a
    hostile payload's reference) is not looked up, so the event is rejected, not answered with a 500."""
    rows = {}
    by_table: dict[str, list[str]] = {}
    for table, record_id in keys:
        if storable(record_id):
            by_table.setdefault(table, []).append(record_id)
    for table, record_ids in by_table.items():
        for start in range(0, len(record_ids), 500):
            chunk = record_ids[start:start + 500]
            for row in Row.select().where((Row.tbl == table) & Row.record_id.in_(chunk)):
                rows[(table, row.record_id)] = (json.loads(row.data), json.loads(row.clocks))
    return rows


def _invalid(device_id: str, event: WireEvent, rows: dict, wall_ms: int) -> str | None:
    """Why HQ cannot take this event, or None. Permanent reasons (the station keeps the event and
    stops resending it), except `clock_ahead`, which a station answers by stamping the event anew.

    Members roam between the group's locations, so any device may edit another location's member
    records; what a record is and whose it is stays (`registry.conflict`), and records that belong
    to one location (staff) are edited by that location's devices only. Records HQ writes itself
    (author `HQ_DEVICE`) pass the same checks as HQ's author.
    """
    if event.device_id != device_id:
        return "device_mismatch"
    author = Author.HQ if device_id == HQ_DEVICE else Author.STATION
    reason = registry.invalid(event.table, event.record_id, event.op, event.payload, event.fields, author=author)
    if reason:
        return reason
    if event.hlc > hlc.limit(wall_ms):
        return CLOCK_AHEAD
    kind = RECORDS[event.table]
    stored = rows.get((event.table, event.record_id))
    creator = kind.creator_field
    if creator and (stored is None or not kind.mutable) and event.payload.get(creator) != device_id:
        return "device_mismatch"
    for name, target in _references(event.table).items():
        value = event.payload.get(name)
        if value is not None and (target, str(value)) not in rows:
            return f"unknown_reference:{name}"
    reason = registry.conflict(event.table, stored[0] if stored else None, event.payload, event.fields, author)
    if reason:
        return reason
    if stored is not None and not kind.group_wide and author is Author.STATION and (
            _creating_location(event.table, event.record_id) != _location(device_id)):
        return "other_location"
    return None


def _location(device_id: str) -> str | None:
    device = Device.get_or_none(Device.id == device_id)
    return device.location_id if device else None


def _creating_location(table: str, record_id: str) -> str | None:
    """The location of the device whose event created the record (its first in the stream)."""
    first = (Event.select(Event.device_id).where((Event.tbl == table) & (Event.record_id == record_id))
             .order_by(Event.position).first())
    return _location(first.device_id) if first else None


# --- pull -----------------------------------------------------------------------------------

def pull(signed: SignedRequest, request: PullRequest) -> PullResponse:
    """Events after the cursor in stream order, one page, with the newest program version for the
    device's location if it is newer than the station's; the station's report is kept for the console.

    Positions are handed out under the stream lock, so every position below a visible one is
    committed: reading `position > cursor` never skips a late commit.
    """
    with transaction():
        device = authenticate(signed)
        if request.report is not None:
            stations.note_report(device.id, request.report)
        try:
            epoch, position = parse_cursor(request.cursor)
        except ValueError:
            raise ApiError(400, "bad_cursor", "This cursor was not handed out by HQ; pull from the beginning "
                           "with an empty cursor.") from None
        stream = Stream.get_by_id(1)
        if epoch is not None and epoch != stream.epoch:
            raise ApiError(409, "reset", "HQ's stream was reset; pull again from the beginning.", epoch=stream.epoch)
        rows = list(Event.select().where((Event.position > position)
                                         & Event.tbl.in_(PULLED))
                    .order_by(Event.position).limit(request.limit + 1))
        has_more = len(rows) > request.limit
        rows = rows[:request.limit]
        last = rows[-1].position if rows else position
        if not has_more:
            last = max(last, stream.position)   # read before the events, so nothing below it is missing
        config = programs.config_for(device.location_id)
    events = [WireEvent(id=r.id, device_id=r.device_id, seq=r.seq, table=r.tbl, record_id=r.record_id, op=r.op,
                        hlc=r.hlc, fields=None if r.fields is None else json.loads(r.fields),
                        payload=json.loads(r.payload)) for r in rows]
    return PullResponse(events=events, cursor=make_cursor(stream.epoch, last), has_more=has_more,
                        epoch=stream.epoch, server_hlc=_server_hlc(stream.max_hlc),
                        config=ProgramConfig(version=config.version, toml=config.toml)
                        if config and config.version > request.config_version else None)


def start_up() -> None:
    """What each server process tidies when it starts; several starting at once take turns."""
    with transaction():
        lock_exclusive(START_UP_LOCK)
        prune_batches()
        station_only.scrub_stored()


def _server_hlc(max_hlc: int) -> int:
    """HQ's clock as stations adopt it: past every event it holds, but never more than MAX_AHEAD past
    its own wall clock, even if an HQ before the clock checks stored a clock from far ahead."""
    wall_ms = int(now() * 1000)
    return max(hlc.from_wall(wall_ms), min(max_hlc, hlc.limit(wall_ms)))


# --- program configuration and status ---------------------------------------------------------

def publish_config(toml_text: str) -> int:
    """A new program version for every station; validated like the station's own TOML file."""
    try:
        parse_program(toml_text)
    except ProgramError as exc:
        raise ApiError(400, "bad_program", str(exc)) from None
    with transaction():
        version = (Config.select(pw.fn.MAX(Config.version)).scalar() or 0) + 1
        Config.create(version=version, toml=toml_text, created_at=now())
        rollups.follow_zone(toml_text)
    return version


@dataclass(frozen=True)
class DeviceStatus:
    device_id: str
    location: str
    name: str
    status: str
    last_seen_at: float | None
    events: int


@dataclass(frozen=True)
class HqStatus:
    locations: int
    devices: list[DeviceStatus]
    events: int
    position: int
    epoch: str
    config_version: int


def status() -> HqStatus:
    with hq_db.connection_context():
        counts = dict(Event.select(Event.device_id, pw.fn.COUNT(Event.id)).group_by(Event.device_id).tuples())
        devices = [DeviceStatus(d.id, d.location.name, d.name, d.status, d.last_seen_at, counts.get(d.id, 0))
                   for d in Device.select(Device, Location).join(Location).order_by(Device.enrolled_at)]
        stream = Stream.get_by_id(1)
        return HqStatus(Location.select().count(), devices, sum(counts.values()), stream.position, stream.epoch,
                        Config.select(pw.fn.MAX(Config.version)).scalar() or 0)
