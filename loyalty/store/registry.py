"""What every record type is, declared once: where it lives, who writes it, how it merges, what it
may hold, whose it is.

Every list that used to be written out by hand is derived from `RECORDS`: which tables sync and
which stay on their station (the outbox, the pull, HQ), which merge field by field, the payload
schema HQ and the stations check every synced record against, who may write a record and which of
its fields never change, the member a record belongs to, what a GDPR erasure (Art. 17) does to it
and its section in the Art. 15 export.

Who may write what (HQ checks it on every push, see `invalid` and `conflict`):
- A record type names its authors: stations, HQ itself (a member's move to another home location,
  an erasure from the console, what the patients' app writes), or both; a station's push of
  a record only HQ may author is refused.
- A record's creator field (`device_id`, a member's `created_device`) names the pushing device
  when the record is created, so a device cannot write in another device's name.
- Append-only records are written once: a second record under the same id is refused unless it
  is the same record.
- Mutable records of members are edited by every location of the group: members roam between the
  locations, so a profile edit, a card revoked or a plan cancelled at another location is normal.
  What a record is and whose it is never changes once written: its member, its creator and the
  fields in `fixed` (a card's issue date). Fields in `hq_fields` change by HQ's hand only (a
  member's home location, which decides whose station sends the reminders). Staff accounts belong
  to one location (`group_wide=False`): only devices of the location that created them edit them.

Adding a record type: a migration, a model in `models.py` with its entry here, the service that
writes it. Nothing else names the table.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

import peewee as pw

from loyalty import ledger
from loyalty.store.fields import UtcDateTimeField
from loyalty.store.models import (
    AftercareAnswer,
    AftercarePhoto,
    Appointment,
    AuditLog,
    BenefitUse,
    Card,
    ConsentEvent,
    ErasureRequest,
    Feedback,
    Flag,
    FollowUp,
    LedgerEntry,
    Member,
    Membership,
    Message,
    Outbox,
    PairedDevice,
    PairingOffer,
    ProgramVersion,
    RecallOverride,
    RowClock,
    SetAside,
    Setting,
    Staff,
    Treatment,
)
from loyalty.text import storable


class Scope(Enum):
    SYNCED = "synced"        # written at stations (or by HQ itself), kept at HQ, pulled by every station
    REPORTED = "reported"    # written at stations, kept at HQ for the group, never handed to other stations
    STATION = "station"      # stays on the station that wrote it


class Author(Enum):
    STATION = "station"      # a station's device pushes it
    HQ = "hq"                # HQ writes it itself; a station cannot forge it


BOTH = (Author.STATION, Author.HQ)
HQ_ONLY = (Author.HQ,)


class Erase(Enum):
    KEEP = "keep"            # nothing personal in it: stays under the member's random id
    CLEAR = "clear"          # the fields in `cleared` are emptied, the rest stays
    DROP = "drop"            # goes as a whole (health data, plans, messages)


@dataclass(frozen=True)
class Holds:
    """A value that beats the clock once written: a revoked card stays revoked."""
    field: str
    value: str
    fields: tuple[str, ...]          # the fields that travel with it (when, why)


@dataclass(frozen=True)
class RecordType:
    model: type[pw.Model]
    scope: Scope
    mutable: bool = False                           # merges field by field, last writer wins; else a set union by id
    owner: str | None = None                        # the payload field naming the member ("id" for the member)
    via: tuple[str, str] | None = None              # (field, table): belongs to the member of the record it points to
    erase: Erase = Erase.KEEP
    cleared: dict = field(default_factory=dict)     # field -> value after an erasure (Erase.CLEAR)
    cleared_keys: tuple[str, str, tuple[str, ...]] | None = None   # (JSON field, keys that go) on erasure
    export: str | None = None                       # section in the member's GDPR export, in declaration order
    local_fields: tuple[str, ...] = ()              # never leave the station (a PIN's hash, its lock-out)
    limits: dict = field(default_factory=dict)      # integer field -> (lowest, highest)
    choices: dict = field(default_factory=dict)     # text field -> the values it may take
    holds: Holds | None = None
    erasable: bool = False                          # may travel as an `erase` event, which then holds
    authors: tuple[Author, ...] = (Author.STATION,)
    creator: str | None = None                      # the field naming the creating device ("device_id" if present)
    fixed: tuple[str, ...] = ()                     # never change once written (besides member, parent, creator)
    hq_fields: tuple[str, ...] = ()                 # once written, only HQ changes them
    group_wide: bool = True                         # every location edits it; False: only the creator's location

    @property
    def table(self) -> str:
        return self.model._meta.table_name

    @property
    def synced(self) -> bool:
        return self.scope is not Scope.STATION

    @property
    def pulled(self) -> bool:
        return self.scope is Scope.SYNCED

    @property
    def key(self) -> str:
        return self.model._meta.primary_key.name

    def payload(self, instance: pw.Model) -> dict:
        """The record as it travels: every column's stored value, without the station-only fields."""
        return {name: f.db_value(instance.__data__.get(name)) for name, f in self.model._meta.fields.items()
                if name not in self.local_fields}

    @property
    def creator_field(self) -> str | None:
        return self.creator or ("device_id" if "device_id" in self.model._meta.fields else None)

    @property
    def fixed_fields(self) -> tuple[str, ...]:
        """What never changes once the record exists: what it is and whose it is."""
        derived = (self.owner if self.owner != self.key else None, self.via[0] if self.via else None,
                   self.creator_field)
        return tuple(dict.fromkeys(name for name in (*derived, *self.fixed) if name))

    def references(self) -> dict[str, str]:
        """Payload field -> the table it points to."""
        return {name: f.rel_model._meta.table_name for name, f in self.model._meta.fields.items()
                if isinstance(f, pw.ForeignKeyField)}


POINTS = (-10_000_000, 10_000_000)          # one entry moves at most ten million points or stamps
CENTS = (-100_000_000, 100_000_000)         # one entry at most a million euros either way
DAYS = (0, 3650)
CONSENTS = ("program", "marketing", "care")
FLAG_KINDS = ("many_transactions", "negative_balance")
CHANNELS = ("email", "sms")
APPOINTMENT_STATUSES = ("requested", "confirmed", "proposed", "declined", "cancelled")

MEMBER_FIELDS = ("first_name", "last_name", "name_key", "last_key", "email", "phone", "phone_key",
                 "birthday_day", "birthday_month", "birthday_set_at", "note", "referred_by")

RECORDS: dict[str, RecordType] = {r.table: r for r in (
    RecordType(Setting, Scope.STATION),
    RecordType(ProgramVersion, Scope.STATION),
    RecordType(Member, Scope.SYNCED, mutable=True, owner="id", erase=Erase.CLEAR,
               cleared=dict.fromkeys(MEMBER_FIELDS), export="member", erasable=True,
               limits={"birthday_day": (1, 31), "birthday_month": (1, 12)},
               choices={"locale": ("de", "en"), "channel": CHANNELS},
               creator="created_device", fixed=("created_at",), hq_fields=("home_location",), authors=BOTH),
    RecordType(ConsentEvent, Scope.SYNCED, owner="member", export="consents", choices={"purpose": CONSENTS},
               authors=BOTH),
    RecordType(Card, Scope.SYNCED, mutable=True, owner="member", export="cards", fixed=("issued_at",), authors=BOTH,
               choices={"status": ("active", "revoked")},
               holds=Holds("status", "revoked", ("status", "revoked_at", "revoked_reason"))),
    RecordType(LedgerEntry, Scope.SYNCED, owner="member", erase=Erase.CLEAR,
               cleared={"item_code": None, "reason": ""}, export="ledger",
               limits={"points": POINTS, "stamps": POINTS, "amount_cents": CENTS, "config_version": (0, 2 ** 31)},
               choices={"kind": ledger.KINDS}),
    RecordType(Treatment, Scope.SYNCED, owner="member", erase=Erase.DROP, export="treatments"),
    RecordType(Membership, Scope.SYNCED, mutable=True, owner="member", erase=Erase.DROP, export="memberships",
               choices={"status": ("active", "cancelled")}, fixed=("plan_code", "started_at")),
    RecordType(BenefitUse, Scope.SYNCED, via=("membership", "membership"), erase=Erase.DROP, export="benefit_uses"),
    RecordType(RecallOverride, Scope.SYNCED, mutable=True, owner="member", erase=Erase.DROP, export="recall_overrides",
               limits={"recall_days": DAYS}, fixed=("item_code",)),
    RecordType(Flag, Scope.SYNCED, mutable=True, owner="member", erase=Erase.CLEAR, cleared={"note": None},
               export="flags", choices={"kind": FLAG_KINDS}, fixed=("kind",)),
    RecordType(Feedback, Scope.SYNCED, owner="member", erase=Erase.CLEAR, cleared={"text": None}, export="feedback",
               limits={"score": (0, 10)}),
    RecordType(FollowUp, Scope.SYNCED, mutable=True, owner="member", erase=Erase.CLEAR,
               cleared={"detail": "", "note": None}, export="follow_ups", choices={"status": ("open", "done")},
               fixed=("kind", "feedback", "created_at"), authors=BOTH),
    RecordType(Appointment, Scope.SYNCED, mutable=True, owner="member", erase=Erase.DROP, export="appointments",
               authors=BOTH, choices={"status": APPOINTMENT_STATUSES}),
    RecordType(AftercareAnswer, Scope.SYNCED, owner="member", erase=Erase.DROP, export="aftercare_answers",
               authors=HQ_ONLY, choices={"step": ("how_are_you", "result_check"),
                                         "feeling": ("good", "unsure", "problem")}),
    RecordType(AftercarePhoto, Scope.SYNCED, owner="member", erase=Erase.DROP, export="aftercare_photos",
               authors=HQ_ONLY, choices={"content_type": ("image/jpeg",)},
               limits={"size": (1, 20_000_000), "width": (1, 20_000), "height": (1, 20_000)}),
    RecordType(ErasureRequest, Scope.SYNCED, mutable=True, owner="member", export="erasure_requests",
               authors=BOTH, choices={"status": ("open", "done", "declined")}),
    RecordType(Staff, Scope.REPORTED, mutable=True, local_fields=("pin_hash", "failed_pins", "locked_until"),
               choices={"role": ("receptionist", "manager")}, fixed=("created_at",), group_wide=False),
    RecordType(AuditLog, Scope.REPORTED, owner="member_id", export="staff_actions",
               cleared_keys=("detail", ("item", "reason"))),
    RecordType(Message, Scope.STATION, owner="member", erase=Erase.DROP, export="messages"),
    RecordType(SetAside, Scope.STATION, owner="member", erase=Erase.DROP, export="set_aside"),
    RecordType(Outbox, Scope.STATION),
    RecordType(RowClock, Scope.STATION),
    RecordType(PairedDevice, Scope.STATION, choices={"role": ("kiosk", "desk")}),
    RecordType(PairingOffer, Scope.STATION),
)}


def record_type(table: str) -> RecordType | None:
    return RECORDS.get(table)


MUTABLE = frozenset(t for t, r in RECORDS.items() if r.mutable)
SYNCED = frozenset(t for t, r in RECORDS.items() if r.synced)
PULLED = frozenset(t for t, r in RECORDS.items() if r.pulled)
EXPORTED = tuple(r.export for r in RECORDS.values() if r.export)


# --- the payload schema ------------------------------------------------------------------------

MAX_TEXT = 4000
_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


def invalid(table: str, record_id: str, op: str, payload: dict, fields: list[str] | None = None, *,
            author: Author | None = Author.STATION, newer: bool = False) -> str | None:
    """Why a synced record cannot be taken as it is (None: it can), as a short stable code such as
    `out_of_range:points` or `missing:kind`. Pure: no database.

    Checks what the model declares: types, lengths, ranges, choices. A field its column needs (not
    null, no default) must be present; one the column can fill may be missing, since a station a
    migration behind does not know it yet (`complete` fills it in). Every field an update names
    must be in it. `author`: who pushes the record (None: not checked, as on a station's pull, where
    HQ checked it). `newer`: fields this version does not know are left out, not refused (a station
    pulls from an HQ a version ahead of it). References to other records and the record as it was
    are checked by whoever holds them (`conflict`).
    """
    kind = RECORDS.get(table)
    if kind is None or not kind.synced:
        return "table_not_synced"
    if author is not None and author not in kind.authors:
        return "author_not_allowed"
    if op == "erase" and not kind.erasable:
        return "erase_not_allowed"
    if payload.get(kind.key) != record_id:
        return "record_id_mismatch"
    columns = kind.model._meta.fields
    for name in payload:
        if (name not in columns or name in kind.local_fields) and not newer:
            return f"unknown_field:{name}"
    for name in fields or ():
        if name not in payload:
            return f"missing:{name}"
    for name, column in columns.items():
        if name in kind.local_fields:
            continue
        if name not in payload:
            if not column.null and column.default is None:
                return f"missing:{name}"
            continue
        reason = _bad_value(kind, name, column, payload[name])
        if reason:
            return f"{reason}:{name}"
    return None


def complete(table: str, payload: dict) -> dict:
    """The record with the fields it left out as their columns fill them (a station a migration behind)."""
    kind = RECORDS[table]
    missing = {name: column.default() if callable(column.default) else column.default
               for name, column in kind.model._meta.fields.items()
               if name not in payload and name not in kind.local_fields}
    return {**payload, **missing} if missing else payload


def conflict(table: str, current: dict | None, payload: dict, fields: list[str] | None = None,
             author: Author = Author.STATION) -> str | None:
    """Why a valid record cannot change the one stored (None: it can). Pure.

    An append-only record is written once: another record under its id is refused unless it is the
    same. A mutable record keeps what it is and whose it is (`RecordType.fixed_fields`), and only HQ
    changes its `hq_fields`. Fields the stored record lacks (written before a migration added them)
    are not compared.
    """
    kind = RECORDS[table]
    if current is None:
        return None
    if not kind.mutable:
        return None if all(_plain(current[name]) == _plain(value) for name, value in payload.items()
                           if name in current) else "record_exists"
    changed = payload if fields is None else [name for name in fields if name in payload]
    for name in kind.fixed_fields + (kind.hq_fields if author is not Author.HQ else ()):
        if name in changed and name in current and _plain(current[name]) != _plain(payload[name]):
            return f"fixed:{name}"
    return None


def _plain(value):
    """Booleans as SQLite stores them, so a row read back compares equal to its payload."""
    return int(value) if isinstance(value, bool) else value


def _bad_value(kind: RecordType, name: str, column: pw.Field, value) -> str | None:
    if value is None:
        return None if column.null else "required"
    if isinstance(column, pw.BooleanField):    # the wire model reads JSON true as 1
        return None if isinstance(value, bool) or (isinstance(value, int) and value in (0, 1)) else "not_boolean"
    if isinstance(column, (pw.IntegerField, pw.AutoField)):
        if isinstance(value, bool) or not isinstance(value, int):
            return "not_integer"
        low, high = kind.limits.get(name, (-2 ** 53, 2 ** 53))
        return None if low <= value <= high else "out_of_range"
    if isinstance(column, pw.FloatField):
        return None if isinstance(value, (int, float)) and math.isfinite(value) else "not_number"
    if not isinstance(value, str) or not storable(value):
        return "not_text"
    if isinstance(column, UtcDateTimeField):
        return None if _MOMENT.fullmatch(value) and _moment(value) else "not_a_time"
    if len(value) > MAX_TEXT:
        return "too_long"
    allowed = kind.choices.get(name)
    return "unknown_value" if allowed is not None and value not in allowed else None


def _moment(value: str) -> bool:
    """A real date in the years the program can mean (fromisoformat: a tenth of strptime's cost)."""
    try:
        return 2000 <= datetime.fromisoformat(value).year < 2200
    except ValueError:
        return False


# --- the member a record belongs to, and what an erasure leaves of it --------------------------

def owner(table: str, record_id: str, payload: dict) -> str | None:
    """The member a record belongs to, when the record names them itself (see `RecordType.via`)."""
    kind = RECORDS.get(table)
    if kind is None or kind.owner is None:
        return None
    value = record_id if kind.owner == kind.key else payload.get(kind.owner)
    return None if value is None else str(value)


def scrub(table: str, payload: dict) -> dict | None:
    """The record as it may stay after its member's erasure; None when it must go entirely."""
    kind = RECORDS.get(table)
    if kind is None or kind.erase is Erase.DROP:
        return None if kind is not None else payload
    cleared = {name: value for name, value in kind.cleared.items() if name in payload}
    if kind.cleared_keys and payload.get(kind.cleared_keys[0]):
        name, keys = kind.cleared_keys
        detail = json.loads(payload[name])
        cleared[name] = json.dumps({k: v for k, v in detail.items() if k not in keys})
    return {**payload, **cleared}


def owned_through(parent: str) -> list[RecordType]:
    """Record types that belong to a member through a record of `parent` (benefit uses through plans)."""
    return [r for r in RECORDS.values() if r.via and r.via[1] == parent]
