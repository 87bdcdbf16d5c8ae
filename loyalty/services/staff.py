"""Staff members: roles, PINs hashed with Argon2, lock-out after repeated wrong PINs, audit log."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError

from loyalty import clock
from loyalty.contacts import clean_name
from loyalty.errors import Refused
from loyalty.services.context import ROLES, Actor, audit, require_manager
from loyalty.store import AuditLog, Staff, write
from loyalty.store.outbox import new_id, record
from loyalty.store.settings import device_id

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
_hasher = PasswordHasher()   # argon2id defaults: tens of milliseconds per guess


@dataclass(frozen=True)
class StaffInfo:
    staff_id: str
    name: str
    role: str
    active: bool
    locked_until: datetime | None


@dataclass(frozen=True)
class AuditRow:
    at: datetime
    staff_name: str | None
    device_id: str
    action: str
    member_id: str | None
    detail: dict


def _check_pin(pin: str) -> None:
    if not (isinstance(pin, str) and pin.isdigit() and 4 <= len(pin) <= 8):
        raise Refused("pin_format")


def _info(staff: Staff) -> StaffInfo:
    return StaffInfo(staff.id, staff.name, staff.role, staff.active, staff.locked_until)


def create_staff(name: str, role: str, pin: str, actor: Actor | None) -> StaffInfo:
    """The first manager is created without an actor (at `loyalty init`); everyone else by a manager."""
    if actor is not None:
        require_manager(actor)
    elif Staff.select().exists():
        raise Refused("manager_only")
    name = clean_name(name)
    if not name:
        raise Refused("name_required")
    if role not in ROLES:
        raise Refused("role_unknown", role=role)
    _check_pin(pin)
    with write():
        if Staff.select().where(Staff.name == name).exists():
            raise Refused("staff_exists", name=name)
        staff = record(Staff(id=new_id(), name=name, role=role, pin_hash=_hasher.hash(pin), created_at=clock.now()))
        audit(actor or Actor(device_id()), "staff_create", detail_name=name, role=role)
    return _info(staff)


def sign_in(name: str, pin: str, device: str) -> Actor:
    """A wrong PIN counts; after MAX_FAILURES the account is locked for LOCKOUT.

    Each attempt is counted before its PIN is checked, in one write transaction, so guesses sent
    at the same moment (20 at once measured) cannot all pass the lock-out check first: at most
    MAX_FAILURES of them reach the hash. A right PIN clears the count again.
    """
    staff, locked = _count_attempt(name, pin)
    try:
        _hasher.verify(staff.pin_hash, pin or "")
    except VerificationError:
        with write():
            audit(Actor(device, staff.id, staff.role, staff.name), "sign_in_failed", locked=locked)
        if locked:
            raise Refused("locked", minutes=int(LOCKOUT.total_seconds() // 60)) from None
        raise Refused("sign_in_failed") from None
    actor = Actor(device, staff.id, staff.role, staff.name)
    with write():
        Staff.update(failed_pins=0, locked_until=None).where(Staff.id == staff.id).execute()
        audit(actor, "sign_in")
    return actor


def _count_attempt(name: str, pin: str) -> tuple[Staff, bool]:
    """The staff member, and whether this attempt used up the last try; refused when unknown or locked.

    Station-only fields (`local_fields`), so a plain update: the count never travels to HQ.
    """
    now = clock.now()
    with write():
        staff = Staff.get_or_none((Staff.name == name) & (Staff.active == True))  # noqa: E712
        if staff is not None and staff.locked_until and staff.locked_until > now:
            raise Refused("locked", minutes=max(1, int((staff.locked_until - now).total_seconds() // 60) + 1))
        locks = staff is not None and staff.failed_pins + 1 >= MAX_FAILURES
        if staff is not None:
            staff.failed_pins += 1
            if locks:
                staff.locked_until, staff.failed_pins = now + LOCKOUT, 0
            Staff.update(failed_pins=staff.failed_pins, locked_until=staff.locked_until).where(
                Staff.id == staff.id).execute()
    if staff is None:
        _hasher.hash(pin or "0000")   # same cost whether or not the name exists
        raise Refused("sign_in_failed")
    return staff, locks


def list_staff() -> list[StaffInfo]:
    return [_info(s) for s in Staff.select().order_by(Staff.name)]


def _get(staff_id: str) -> Staff:
    staff = Staff.get_or_none(Staff.id == staff_id)
    if staff is None:
        raise Refused("staff_unknown")
    return staff


def _last_manager(staff: Staff) -> bool:
    others = Staff.select().where((Staff.role == "manager") & (Staff.active == True) & (Staff.id != staff.id))  # noqa: E712
    return staff.role == "manager" and not others.exists()


def change_role(staff_id: str, role: str, actor: Actor) -> StaffInfo:
    require_manager(actor)
    if role not in ROLES:
        raise Refused("role_unknown", role=role)
    with write():
        staff = _get(staff_id)
        if role != "manager" and _last_manager(staff):
            raise Refused("last_manager")
        staff.role = role
        record(staff, insert=False)
        audit(actor, "staff_role", staff=staff_id, role=role)
    return _info(staff)


def reset_pin(staff_id: str, pin: str, actor: Actor) -> StaffInfo:
    require_manager(actor)
    _check_pin(pin)
    with write():
        staff = _get(staff_id)
        staff.pin_hash, staff.failed_pins, staff.locked_until = _hasher.hash(pin), 0, None
        record(staff, insert=False)
        audit(actor, "staff_pin_reset", staff=staff_id)
    return _info(staff)


def deactivate(staff_id: str, actor: Actor) -> StaffInfo:
    require_manager(actor)
    with write():
        staff = _get(staff_id)
        if _last_manager(staff):
            raise Refused("last_manager")
        staff.active = False
        record(staff, insert=False)
        audit(actor, "staff_deactivate", staff=staff_id)
    return _info(staff)


def audit_log(actor: Actor, *, action: str | None = None, staff_id: str | None = None,
              member_id: str | None = None, since: datetime | None = None, limit: int = 200) -> list[AuditRow]:
    require_manager(actor)
    query = AuditLog.select().order_by(AuditLog.at.desc()).limit(limit)
    if action:
        query = query.where(AuditLog.action == action)
    if staff_id:
        query = query.where(AuditLog.staff_id == staff_id)
    if member_id:
        query = query.where(AuditLog.member_id == member_id)
    if since:
        query = query.where(AuditLog.at >= since)
    names = {s.id: s.name for s in Staff.select(Staff.id, Staff.name)}
    return [AuditRow(r.at, names.get(r.staff_id), r.device_id, r.action, r.member_id, json.loads(r.detail))
            for r in query]
