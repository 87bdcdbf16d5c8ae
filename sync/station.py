"""The station's side of a sync round: push the outbox, pull and apply what other stations wrote.

Each pulled page is applied and its cursor stored in one SQLite transaction, so a crash in
between re-applies an idempotent page. Pulled events go through the same merge as at HQ and
never into the outbox again (they are HQ's already). A pulled erasure scrubs the member's
records here as it did where it was made.

Nothing pulled is trusted to fit: each event is checked against its record type's schema and
applied in its own savepoint; what cannot be applied is set aside with its reason (`SetAside`,
shown in the staff app's sync details) and the cursor moves on, so one record never stops the
pull. The station's clock takes no more of HQ's than `hlc.MAX_AHEAD` past its own wall clock.
"""
from __future__ import annotations

import json
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from importlib import metadata

import peewee as pw

from loyalty import clock, hlc
from loyalty.errors import Refused
from loyalty.program import ProgramError
from loyalty.services.context import store_program
from loyalty.services.flags import flag_negative
from loyalty.services.members import balances, forget_member
from loyalty.store import Outbox, RowClock, SetAside, checkpoint, db, registry, write
from loyalty.store.outbox import observe_hlc, restamp
from loyalty.store.queries import newest_program
from loyalty.store.registry import PULLED, RECORDS
from loyalty.store.settings import DEVICE_ID, GROUP_CARD_KEY, HOME_LOCATION, HQ_SECRET, get_setting, set_setting
from sync import merge
from sync.client import HqClient, HqError
from sync.protocol import (
    CLOCK_AHEAD,
    HQ_DEVICE,
    MAX_BATCH,
    MAX_REFUSED,
    REJECTED,
    STORED,
    Event,
    PullRequest,
    PullResponse,
    PushRequest,
    RefusedRecord,
    StationReport,
    batch_id,
    program_digest,
)

URL, SECRET, CURSOR, CONFIG_VERSION = "hq.url", HQ_SECRET, "hq.cursor", "hq.config_version"
LAST_SUCCESS, LAST_ERROR = "hq.last_success_at", "hq.last_error"
OFFLINE = "hq.offline"          # "1" while the last error is "HQ cannot be reached", not a refusal
CONFIG_PROBLEM = "hq.config_problem"   # why the newest HQ program version was not taken ("" once one is)
SUCCESS_REFRESH = timedelta(seconds=60)


@dataclass(frozen=True)
class RoundResult:
    pushed: int
    rejected: int
    pulled: int


def enrol_station(client: HqClient, code: str, name: str = "") -> str:
    """Redeem an HQ enrolment code for this station's own key; returns the HQ location's name.

    From now on new cards are signed with the group's card key that comes with it, so they scan
    at every location; cards printed before keep working here (see `card_keys`).
    """
    device = get_setting(DEVICE_ID)
    if device is None:
        raise RuntimeError("station not initialised: run `loyalty init`")
    answer = client.enrol(code, device, name)
    with write():
        set_setting(URL, client.url)
        set_setting(SECRET, answer.secret)
        set_setting(GROUP_CARD_KEY, answer.card_key)
        set_setting(HOME_LOCATION, answer.location_id)
        set_setting(CURSOR, "")
    return answer.location


def client_for_station(url: str | None = None, **options) -> HqClient | None:
    """A client signed with this station's key, or None when the station is not enrolled."""
    url = url or get_setting(URL)
    secret = get_setting(SECRET)
    if not url or not secret:
        return None
    return HqClient(url, get_setting(DEVICE_ID), secret, **options)


def fetch_photo(photo_id: str) -> bytes:
    """An aftercare photo from HQ for the clinicians, over this station's signed link; raises HqError
    (status 0 when HQ cannot be reached, or this station is not linked to one)."""
    client = client_for_station()
    if client is None:
        raise HqError(0, "not_enrolled", "this station is not linked to an HQ")
    return client.photo(photo_id)


def sync_round(client: HqClient, batch_size: int = MAX_BATCH, page_size: int = 500) -> RoundResult:
    """Push until the outbox is empty, then pull until HQ has nothing more; raises HqError.

    An idle round writes nothing locally (at most the time of success once a minute), so a scan's
    transaction on the same SQLite file is not disturbed by the sync thread.
    """
    pushed = rejected = pulled = 0
    report = station_report() if client.reports else None
    _send_late_events_again()
    restamped = False
    while True:
        events = pending_events(batch_size)
        if not events:
            break
        answer = client.push(PushRequest(batch_id=batch_id([e.id for e in events]), events=events))
        rejected += mark_receipts(answer.receipts, answer.server_hlc)
        pushed += len(events)
        if not restamped and any(r.reason == CLOCK_AHEAD for r in answer.receipts):
            restamped = True     # newly stamped, they go at once; once a round, so writes made meanwhile
            continue             # at the same clock never keep the round from its pull
        if len(events) < batch_size:
            break
    while True:
        request = PullRequest(cursor=get_setting(CURSOR, ""), limit=page_size,
                              config_version=int(get_setting(CONFIG_VERSION, "0")), report=report)
        try:
            page = client.pull(request)
        except HqError as exc:
            if report is not None and exc.status == 422 and "report" in exc.message:
                client.reports, report = False, None   # an HQ from before station reports: sync without
                continue
            if exc.code != "reset":
                raise
            set_setting(CURSOR, "")
            continue
        report = None                              # once a round is enough
        pulled += apply_page(page)
        if page.config is not None and client.reports:
            report = station_report()              # tell HQ at once which program runs now
            continue
        if not page.has_more:
            break
    _note_success(busy=bool(pushed or pulled))
    return RoundResult(pushed, rejected, pulled)


def _note_success(busy: bool) -> None:
    now, last = clock.now(), get_setting(LAST_SUCCESS)
    if busy or get_setting(LAST_ERROR) or not last or now - datetime.fromisoformat(last) > SUCCESS_REFRESH:
        with write():
            set_setting(LAST_SUCCESS, now.isoformat())
            set_setting(LAST_ERROR, "")
            set_setting(OFFLINE, "")


def _send_late_events_again() -> None:
    """Events an earlier version of this station kept as refused for their clock go again: they are
    only late (`mark_receipts`). An idle round finds none and writes nothing."""
    late = (Outbox.receipt == REJECTED) & (Outbox.reason == CLOCK_AHEAD)
    if Outbox.select().where(late).exists():
        with write():
            Outbox.update(receipt=None, reason=None, sent_at=None).where(late).execute()


def pending_events(limit: int) -> list[Event]:
    rows = Outbox.select().where(Outbox.receipt.is_null()).order_by(Outbox.seq).limit(limit)
    device = get_setting(DEVICE_ID)
    return [Event(id=row.event_id, device_id=device, seq=row.seq, table=row.table, record_id=row.record_id,
                  op=row.op, hlc=row.hlc, fields=json.loads(row.fields) if row.fields is not None else None,
                  payload=json.loads(row.payload)) for row in rows]


def mark_receipts(receipts, server_hlc: int) -> int:
    """Record HQ's answer per event; a rejected event is kept with its reason and not resent.

    An event refused only for its clock (this station's wall clock runs ahead of HQ's) is not
    rejected: it gets a new id and HQ's clock and goes again (`restamp`). Returns the rejected.
    """
    now = clock.now()
    late = [r.id for r in receipts if r.status == REJECTED and r.reason == CLOCK_AHEAD]
    with write():
        for status in STORED:
            ids = [r.id for r in receipts if r.status == status]
            for start in range(0, len(ids), 500):
                (Outbox.update(receipt=status, sent_at=now)
                 .where(Outbox.event_id.in_(ids[start:start + 500])).execute())
        for receipt in receipts:
            if receipt.status == REJECTED and receipt.reason != CLOCK_AHEAD:
                Outbox.update(receipt=REJECTED, reason=receipt.reason, sent_at=now).where(
                    Outbox.event_id == receipt.id).execute()
        if late:
            restamp(late, server_hlc)
        observe_hlc(server_hlc)
    return sum(1 for r in receipts if r.status == REJECTED and r.reason != CLOCK_AHEAD)


def apply_page(page: PullResponse) -> int:
    """Merge one pulled page, move the cursor, take a newer program: all in one transaction.

    Returns the events applied; what cannot be applied is set aside (`set_aside`). The page is
    applied in one savepoint; should an event fail in a way no check foresaw, the page is applied
    again with a savepoint per event (a savepoint for every event made the pull twice as slow).
    """
    if not page.events and page.config is None and page.cursor == get_setting(CURSOR, ""):
        return 0
    horizon = _horizon(page.server_hlc)
    erased = False
    with write():
        own = {e for (e,) in Outbox.select(Outbox.event_id)
               .where(Outbox.event_id.in_([e.id for e in page.events])).tuples()} if page.events else set()
        events = [e for e in page.events if e.id not in own and e.table in PULLED]
        erased = any(e.table == "member" and e.op == "erase" for e in events)
        try:
            with db.atomic():
                applied, ledger_members = _apply(events, horizon, careful=False)
        except UNFORESEEN:
            applied, ledger_members = _apply(events, horizon, careful=True)
        for member_id in sorted(ledger_members):
            flag_negative(member_id, balances(member_id)[0])
        observe_hlc(page.server_hlc)
        set_setting(CURSOR, page.cursor)
        if page.config is not None:
            _take_config(page.config.version, page.config.toml)
    if erased:
        checkpoint()          # the erased values leave the WAL file too, as after an erasure made here
    return applied


UNFORESEEN = (pw.IntegrityError, OverflowError, ValueError, TypeError)   # what a write may raise on odd data


def _apply(events: list[Event], horizon: int, careful: bool) -> tuple[int, set[str]]:
    """Apply the events that fit and set the others aside; (applied, members whose ledger changed).

    `careful`: each event in its own savepoint, and one that fails is set aside instead of raising.
    """
    applied, ledger_members, held = 0, set(), Held()
    for event in events:
        reason = unfit(event, horizon, held)
        if reason is None:
            try:
                with db.atomic() if careful else nullcontext():
                    if apply_event(event):
                        applied += 1
                    if event.table == "member" and event.op == "erase":
                        forget_member(event.record_id)
                        held.forget()
            except Unfit as exc:              # raised before the event writes anything
                reason = str(exc)
            except UNFORESEEN as exc:
                if not careful:
                    raise
                reason = f"not_applied:{type(exc).__name__}"
        if reason is not None:
            set_aside(event, reason)
        elif event.table == "ledger_entry" and event.payload.get("member"):
            ledger_members.add(str(event.payload["member"]))
    return applied, ledger_members


def _horizon(server_hlc: int) -> int:
    """The latest clock a pulled event may carry: MAX_AHEAD past HQ's clock or this station's wall
    clock, whichever is later. HQ refuses events beyond its own bound, so only what an HQ before
    the checks stored lies past it; a station whose clock runs behind still takes honest events."""
    hq_wall = hlc.physical_ms(server_hlc) if hlc.plausible(server_hlc) else 0
    return hlc.limit(max(clock.now_ms(), hq_wall))


def unfit(event: Event, horizon: int, held: Held) -> str | None:
    """Why a pulled event cannot be applied here (None: it can), in HQ's reason codes.

    As strict as HQ about the fields an event carries (types, ranges, required fields), with two
    allowances for versions: a field this station does not know yet (HQ is a version ahead) is left
    out, and a field the event lacks that its column can fill (an event HQ stored before a migration
    added the field, such as `member.home_location`) is filled as the column does. Its references
    must point to records this station holds, and it must not rewrite what a record is.
    """
    reason = registry.invalid(event.table, event.record_id, event.op, event.payload, event.fields,
                              author=None, newer=True)
    if reason:
        return reason
    if event.hlc > horizon:
        return CLOCK_AHEAD
    for name, target in _references(event.table):
        value = event.payload.get(name)
        if value is not None and not held(target, value):
            return f"unknown_reference:{name}"
    return None


@lru_cache(maxsize=None)
def _references(table: str) -> tuple[tuple[str, str], ...]:
    return tuple(RECORDS[table].references().items())


class Held:
    """Whether this station holds a record, remembered for one page: a page of ledger entries names
    the same few members again and again."""

    def __init__(self) -> None:
        self.known: set[tuple[str, str]] = set()

    def __call__(self, table: str, record_id) -> bool:
        if (table, record_id) in self.known:
            return True
        model = RECORDS[table].model
        found = db.execute_sql(f'SELECT 1 FROM "{table}" WHERE "{model._meta.primary_key.column_name}" = ?',
                               (record_id,)).fetchone() is not None
        if found:
            self.known.add((table, record_id))
        return found

    def forget(self) -> None:
        """After an erasure, which drops records (a member's plans) that later events may name."""
        self.known.clear()


def set_aside(event: Event, reason: str) -> None:
    """Keep an event this station cannot apply, with why; the pull goes on without it."""
    kind = RECORDS[event.table]
    member = registry.owner(event.table, event.record_id, event.payload)
    if member is None and kind.via:
        field, parent = kind.via[0], RECORDS[kind.via[1]]
        row = parent.model.get_or_none(parent.model._meta.primary_key == event.payload.get(field))
        member = registry.owner(parent.table, str(row._pk), parent.payload(row)) if row is not None else None
    SetAside.insert(event_id=event.id, tbl=event.table, record_id=event.record_id, device_id=event.device_id,
                    member=member, reason=reason[:200], event=event.model_dump_json(), at=clock.now(),
                    ).on_conflict_replace().execute()


def _take_config(version: int, toml_text: str) -> None:
    """HQ's program replaces ours; one this station cannot read is skipped and the last one kept
    (the station's next report tells HQ why)."""
    try:
        with write():
            store_program(toml_text)
            set_setting(CONFIG_VERSION, str(version))
            set_setting(CONFIG_PROBLEM, "")
    except (ProgramError, Refused) as exc:
        set_setting(LAST_ERROR, f"program version {version} not taken: {exc}")
        set_setting(CONFIG_PROBLEM, f"version {version}: {exc}"[:500])


def station_report() -> StationReport:
    """What HQ's console shows about this station, sent with the round's first pull."""
    rejected = Outbox.select().where(Outbox.receipt == "rejected")
    newest = rejected.order_by(Outbox.seq.desc()).limit(MAX_REFUSED)
    return StationReport(
        software=_software(), program_version=int(get_setting(CONFIG_VERSION, "0")),
        program_digest=program_digest(newest_program()[1]), program_problem=get_setting(CONFIG_PROBLEM) or None,
        queue_length=Outbox.select().where(Outbox.receipt.is_null()).count(), rejected=rejected.count(),
        set_aside=SetAside.select().count(),
        refused=[RefusedRecord(table=row.table, record_id=row.record_id[:64], reason=(row.reason or "")[:200],
                               at=(row.sent_at or row.created_at).timestamp()) for row in newest],
        station_time=clock.now().timestamp())


def _software() -> str:
    try:
        return f"loyalty {metadata.version('loyalty')}"
    except metadata.PackageNotFoundError:
        return "loyalty (not installed)"


def apply_event(event: Event) -> bool:
    """Merge one checked event into its local row; True when the row changed.

    A record new here is completed with the values its columns fill (`registry.complete`); a
    record that exists keeps what the event does not carry. A rewrite of what the record is (an
    append-only record under its id again, a fixed field) raises `Unfit`.
    """
    kind = RECORDS[event.table]
    model = kind.model
    fields = model._meta.fields
    known = {name: value for name, value in event.payload.items() if name in fields}
    pk = model._meta.primary_key
    table = model._meta.table_name
    names = list(known)
    columns = ", ".join(f'"{fields[n].column_name}"' for n in names)
    found = db.execute_sql(f'SELECT {columns} FROM "{table}" WHERE "{pk.column_name}" = ?',
                           (event.record_id,)).fetchone()
    current = dict(zip(names, found)) if found else None
    problem = registry.conflict(table, current, known, event.fields,
                                registry.Author.HQ if event.device_id == HQ_DEVICE else registry.Author.STATION)
    if problem:
        raise Unfit(problem)
    mutable = kind.mutable
    clock_row = RowClock.get_or_none(RowClock.tbl == table, RowClock.record_id == event.record_id) if mutable else None
    clocks = json.loads(clock_row.clocks) if clock_row else {}
    payload = known if current is not None else registry.complete(table, known)
    row, new_clocks, changed = merge.merge_row(table, current, clocks, payload, event.fields,
                                               merge.event_clock(event.hlc, event.device_id, event.id),
                                               event.op)
    if not changed:
        return False
    names = list(row) if current is None else names
    values = [row[n] for n in names]
    if current is None:
        marks = ", ".join("?" for _ in names)
        columns = ", ".join(f'"{fields[n].column_name}"' for n in names)
        db.execute_sql(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', values)
    else:
        assignments = ", ".join(f'"{fields[n].column_name}" = ?' for n in names)
        db.execute_sql(f'UPDATE "{table}" SET {assignments} WHERE "{pk.column_name}" = ?', [*values, event.record_id])
    if mutable:
        RowClock.insert(
            tbl=table, record_id=event.record_id, clocks=json.dumps(new_clocks)
        ).on_conflict_replace().execute()
    return True


class Unfit(ValueError):
    """An event that passed the schema but does not fit the record this station holds."""
