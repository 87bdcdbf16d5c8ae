"""The station's side of a sync round: push the outbox, pull and apply what other stations wrote.

Each pulled page is applied and its cursor stored in one SQLite transaction, so a crash in
between re-applies an idempotent page. Pulled events go through the same merge as at HQ and
never into the outbox again (they are HQ's already). A pulled erasure scrubs the member's
records here as it did where it was made.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from loyalty import clock
from loyalty.errors import Refused
from loyalty.program import ProgramError
from loyalty.services.context import store_program
from loyalty.services.members import balances, forget_member
from loyalty.services.purchases import flag_negative
from loyalty.store import Outbox, RowClock, db, write
from loyalty.store.outbox import observe_hlc
from loyalty.store.registry import RECORDS
from loyalty.store.settings import DEVICE_ID, GROUP_CARD_KEY, HOME_LOCATION, HQ_SECRET, get_setting, set_setting
from sync import merge
from sync.client import HqClient, HqError
from sync.protocol import MAX_BATCH, STORED, Event, PullRequest, PullResponse, PushRequest, batch_id

URL, SECRET, CURSOR, CONFIG_VERSION = "hq.url", HQ_SECRET, "hq.cursor", "hq.config_version"
LAST_SUCCESS, LAST_ERROR = "hq.last_success_at", "hq.last_error"
OFFLINE = "hq.offline"          # "1" while the last error is "HQ cannot be reached", not a refusal
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
    while True:
        events = pending_events(batch_size)
        if not events:
            break
        answer = client.push(PushRequest(batch_id=batch_id([e.id for e in events]), events=events))
        rejected += mark_receipts(answer.receipts, answer.server_hlc)
        pushed += len(events)
        if len(events) < batch_size:
            break
    while True:
        request = PullRequest(cursor=get_setting(CURSOR, ""), limit=page_size,
                              config_version=int(get_setting(CONFIG_VERSION, "0")))
        try:
            page = client.pull(request)
        except HqError as exc:
            if exc.code != "reset":
                raise
            set_setting(CURSOR, "")
            continue
        pulled += apply_page(page)
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


def pending_events(limit: int) -> list[Event]:
    rows = Outbox.select().where(Outbox.receipt.is_null()).order_by(Outbox.seq).limit(limit)
    device = get_setting(DEVICE_ID)
    return [Event(id=row.event_id, device_id=device, seq=row.seq, table=row.table, record_id=row.record_id,
                  op=row.op, hlc=row.hlc, fields=json.loads(row.fields) if row.fields is not None else None,
                  payload=json.loads(row.payload)) for row in rows]


def mark_receipts(receipts, server_hlc: int) -> int:
    """Record HQ's answer per event; a rejected event is kept with its reason and not resent."""
    now = clock.now()
    with write():
        for status in ("accepted", "duplicate", "rejected"):
            ids = [r.id for r in receipts if r.status == status and status in STORED]
            for start in range(0, len(ids), 500):
                (Outbox.update(receipt=status, sent_at=now)
                 .where(Outbox.event_id.in_(ids[start:start + 500])).execute())
        for receipt in receipts:
            if receipt.status == "rejected":
                Outbox.update(receipt="rejected", reason=receipt.reason, sent_at=now).where(
                    Outbox.event_id == receipt.id).execute()
        observe_hlc(server_hlc)
    return sum(1 for r in receipts if r.status == "rejected")


def apply_page(page: PullResponse) -> int:
    """Merge one pulled page, move the cursor, take a newer program: all in one transaction."""
    applied, ledger_members = 0, set()
    if not page.events and page.config is None and page.cursor == get_setting(CURSOR, ""):
        return 0
    with write():
        own = {e for (e,) in Outbox.select(Outbox.event_id)
               .where(Outbox.event_id.in_([e.id for e in page.events])).tuples()} if page.events else set()
        for event in page.events:
            kind = RECORDS.get(event.table)
            if event.id in own or kind is None or not kind.pulled:
                continue
            if apply_event(event):
                applied += 1
            if event.table == "member" and event.op == "erase":
                forget_member(event.record_id)
            if event.table == "ledger_entry" and event.payload.get("member"):
                ledger_members.add(str(event.payload["member"]))
        for member_id in sorted(ledger_members):
            points = balances(member_id)[0]
            if points < 0:
                flag_negative(member_id, points)
        observe_hlc(page.server_hlc)
        set_setting(CURSOR, page.cursor)
        if page.config is not None:
            _take_config(page.config.version, page.config.toml)
    return applied


def _take_config(version: int, toml_text: str) -> None:
    """HQ's program replaces ours; one this station cannot read is skipped and the last one kept."""
    try:
        with write():
            store_program(toml_text)
            set_setting(CONFIG_VERSION, str(version))
    except (ProgramError, Refused) as exc:
        set_setting(LAST_ERROR, f"program version {version} not taken: {exc}")


def apply_event(event: Event) -> bool:
    """Merge one event into its local row; True when the row changed."""
    kind = RECORDS[event.table]
    model = kind.model
    fields = model._meta.fields
    names = [name for name in fields if name in event.payload]
    if not names:
        return False
    pk = model._meta.primary_key
    table = model._meta.table_name
    columns = ", ".join(f'"{fields[n].column_name}"' for n in names)
    found = db.execute_sql(f'SELECT {columns} FROM "{table}" WHERE "{pk.column_name}" = ?',
                           (event.record_id,)).fetchone()
    current = dict(zip(names, found)) if found else None
    mutable = kind.mutable
    clock_row = RowClock.get_or_none(RowClock.tbl == table, RowClock.record_id == event.record_id) if mutable else None
    clocks = json.loads(clock_row.clocks) if clock_row else {}
    payload = {n: event.payload[n] for n in names}
    row, new_clocks, changed = merge.merge_row(table, current, clocks, payload, event.fields,
                                               merge.event_clock(event.hlc, event.device_id, event.id),
                                               event.op)
    if not changed:
        return False
    values = [row[n] for n in names]
    if current is None:
        marks = ", ".join("?" for _ in names)
        db.execute_sql(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', values)
    else:
        assignments = ", ".join(f'"{fields[n].column_name}" = ?' for n in names)
        db.execute_sql(f'UPDATE "{table}" SET {assignments} WHERE "{pk.column_name}" = ?', [*values, event.record_id])
    if mutable:
        RowClock.insert(
            tbl=table, record_id=event.record_id, clocks=json.dumps(new_clocks)
        ).on_conflict_replace().execute()
    return True
