"""What every service needs: who acts, the program in force, the card keys, the audit trail."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

import peewee as pw

from loyalty import clock, events
from loyalty.errors import Refused
from loyalty.program import Program, parse_program
from loyalty.store import AuditLog, ProgramVersion, db, queries, rezone
from loyalty.store.outbox import new_id, record
from loyalty.store.settings import GROUP_CARD_KEY, OWN_CARD_KEY, get_setting

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


def card_key() -> bytes:
    """The key new cards are signed with: the group's from HQ once the station has joined, so a
    card works at every location; before that the station's own."""
    return bytes.fromhex(get_setting(GROUP_CARD_KEY) or get_setting(OWN_CARD_KEY) or "")


def card_keys() -> tuple[bytes, ...]:
    """Every key a scanned card may be signed with: cards printed before joining HQ keep working."""
    keys = (get_setting(GROUP_CARD_KEY), get_setting(OWN_CARD_KEY))
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
    program = parse_program(toml_text)
    version = program_version() + 1
    ProgramVersion.create(version=version, toml=toml_text, created_at=clock.now(),
                          created_by=actor.staff_id if actor else None)
    if actor is not None:
        audit(actor, "program_change", version=version)
    rezone(db, program.timezone)
    events.publish(events.Event("program_changed", {"version": version}))
    return version


def audit(actor: Actor, action: str, member_id: str | None = None, **detail) -> None:
    record(AuditLog(id=new_id(), at=clock.now(), staff_id=actor.staff_id, device_id=actor.device_id,
                    action=action, member_id=member_id, detail=json.dumps(detail, default=str)))
