"""What every service needs: who acts, the program in force, ids, audit and the outbox."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

import peewee as pw
from uuid6 import uuid7

from loyalty import clock, events, hlc
from loyalty.errors import Refused
from loyalty.program import Program, parse_program
from loyalty.store import AuditLog, Outbox, ProgramVersion, RowClock, Setting, queries

RECEPTIONIST, MANAGER = "receptionist", "manager"
ROLES = (RECEPTIONIST, MANAGER)


@dataclass(frozen=True)
class Actor:
    """Who does something: the device always, the staff member when one is signed in."""
    device_id: str
    staff_id: str | None = None
    role: str | None = None
    name: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.staff_id is not None


def require_staff(actor: Actor) -> None:
    if not actor.is_staff:
        raise Refused("staff_only")


def require_manager(actor: Actor) -> None:
    if actor.role != MANAGER:
        raise Refused("manager_only")


def new_id() -> str:
    return str(uuid7())


def get_setting(key: str, default: str | None = None) -> str | None:
    value = queries.setting(key)
    return default if value is None else value


def set_setting(key: str, value: str) -> None:
    Setting.insert(key=key, value=value).on_conflict_replace().execute()


def device_id() -> str:
    value = get_setting("device_id")
    if value is None:
        raise RuntimeError("station not initialised: run `loyalty init`")
    return value


GROUP_CARD_KEY = "hq.card_key"
HOME_LOCATION, HQ_SECRET = "hq.location_id", "hq.secret"


def card_key() -> bytes:
    """The key new cards are signed with: the group's from HQ once the station has joined, so a
    card works at every location; before that the station's own."""
    return bytes.fromhex(get_setting(GROUP_CARD_KEY) or get_setting("card_key") or "")


def card_keys() -> tuple[bytes, ...]:
    """Every key a scanned card may be signed with: cards printed before joining HQ keep working."""
    keys = (get_setting(GROUP_CARD_KEY), get_setting("card_key"))
    return tuple(dict.fromkeys(bytes.fromhex(k) for k in keys if k))


def program_version() -> int:
    return ProgramVersion.select(pw.fn.MAX(ProgramVersion.version)).scalar() or 0


def current_program() -> Program:
    """The newest accepted program; a settings change applies at once.

    Parsed once per text, not per version number: two databases (or a database restored from a
    backup) may hold different programs under the same version number.
    """
    return program_in_force()[1]


def program_in_force() -> tuple[int, Program]:
    """The newest program and its version number, in one query."""
    row = queries.newest_program()
    if row is None:
        raise RuntimeError("no program loaded: run `loyalty init`")
    return row[0], _parsed(*row)


@lru_cache(maxsize=8)
def _parsed(version: int, toml_text: str) -> Program:
    return parse_program(toml_text, source=f"program version {version}")


def store_program(toml_text: str, actor: Actor | None = None) -> int:
    """Validate and keep a new program version; raises ProgramError with keys and lines."""
    parse_program(toml_text)
    version = program_version() + 1
    ProgramVersion.create(version=version, toml=toml_text, created_at=clock.now(),
                          created_by=actor.staff_id if actor else None)
    if actor is not None:
        audit(actor, "program_change", version=version)
    events.publish(events.Event("program_changed", {"version": version}))
    return version


# Rows that change after they are written; their fields merge last-writer-wins by clock.
# Every other synced table is append-only and merges as a set union by id.
MUTABLE_TABLES = frozenset({"member", "card", "membership", "flag", "follow_up"})


def record(instance: pw.Model, *, insert: bool = True, op: str = "upsert") -> pw.Model:
    """Save a row and queue it for HQ in the caller's transaction (an update carries its changed fields)."""
    changed = None if insert else sorted(field.name for field in instance.dirty_fields)
    instance.save(force_insert=insert)
    enqueue(instance, op, fields=changed)
    return instance


def enqueue(instance: pw.Model, op: str = "upsert", fields: list[str] | None = None) -> None:
    """Queue the whole row as one event with its own id and the station's next clock value."""
    payload = {name: field.db_value(instance.__data__.get(name))
               for name, field in instance._meta.fields.items()}
    table, record_id, event_id = instance._meta.table_name, str(instance._pk), new_id()
    stamp = next_hlc()
    Outbox.create(record_id=record_id, table=table, op=op, payload=json.dumps(payload, default=str),
                  created_at=clock.now(), event_id=event_id, hlc=stamp,
                  fields=None if fields is None else json.dumps(fields))
    if table in MUTABLE_TABLES:
        row = RowClock.get_or_none(RowClock.tbl == table, RowClock.record_id == record_id)
        clocks = json.loads(row.clocks) if row else {}
        mark = [stamp, get_setting("device_id", ""), event_id]
        clocks.update({name: mark for name in (payload if fields is None else fields)})
        RowClock.insert(tbl=table, record_id=record_id, clocks=json.dumps(clocks)).on_conflict_replace().execute()


def next_hlc() -> int:
    """Advance and keep the station's hybrid logical clock (monotonic across restarts and clock jumps)."""
    value = hlc.tick(int(get_setting("hlc", "0")), int(clock.now().timestamp() * 1000))
    set_setting("hlc", str(value))
    return value


def observe_hlc(remote: int) -> None:
    """Move the station's clock past a value seen from HQ, so later local edits sort after it."""
    value = hlc.receive(int(get_setting("hlc", "0")), remote, int(clock.now().timestamp() * 1000))
    set_setting("hlc", str(value))


def audit(actor: Actor, action: str, member_id: str | None = None, **detail) -> None:
    record(AuditLog(id=new_id(), at=clock.now(), staff_id=actor.staff_id, device_id=actor.device_id,
                    action=action, member_id=member_id, detail=json.dumps(detail, default=str)))
