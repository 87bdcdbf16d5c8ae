"""Tablets paired with the station: a manager offers a one-time code, the tablet redeems it.

A paired tablet holds a random secret in a cookie; the station keeps only its hash, so a copy of
the database opens nothing. A kiosk device opens the kiosk only, a desk device the staff app (where
each person still signs in with name and PIN). Revoking a device shuts it out from its next
request on, and the station closes its open screens within a second.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from loyalty import clock
from loyalty.errors import Refused
from loyalty.services.context import Actor, audit, require_manager
from loyalty.store import PairedDevice, PairingOffer, Staff, write
from loyalty.store.outbox import new_id
from loyalty.store.settings import device_id

KIOSK, DESK = "kiosk", "desk"
DEVICE_ROLES = (KIOSK, DESK)
APPS = {KIOSK: "kiosk", DESK: "staff"}          # the one app each role opens
OFFER_LIFETIME = timedelta(minutes=10)
SEEN_EVERY = timedelta(minutes=1)               # last seen is written at most once a minute per device
MAX_NAME = 40


@dataclass(frozen=True)
class Offer:
    code: str
    role: str
    name: str
    expires_at: datetime


@dataclass(frozen=True)
class Pairing:
    device_id: str
    role: str
    name: str
    credential: str          # what the tablet keeps in its cookie: "<device id>.<secret>"


@dataclass(frozen=True)
class DeviceInfo:
    device_id: str
    name: str
    role: str
    paired_at: datetime
    paired_by: str | None    # the manager's name
    last_seen_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def may_open(role: str | None, app: str) -> bool:
    """Whether a device of this role may open this app ("kiosk" or "staff")."""
    return role is not None and APPS.get(role) == app


def offer_pairing(role: str, name: str, actor: Actor) -> Offer:
    """A one-time code, valid ten minutes, that pairs one tablet with this role and name."""
    require_manager(actor)
    if role not in DEVICE_ROLES:
        raise Refused("device_role")
    name = " ".join((name or "").split())
    if not name or len(name) > MAX_NAME:
        raise Refused("device_name", most=MAX_NAME)
    code = secrets.token_urlsafe(16)
    now = clock.now()
    with write():
        PairingOffer.create(code_hash=_hash(code), role=role, name=name, created_at=now, created_by=actor.staff_id,
                            expires_at=now + OFFER_LIFETIME)
        audit(actor, "device_offer", role=role, name=name)
    return Offer(code, role, name, now + OFFER_LIFETIME)


def open_offer(code: str) -> Offer | None:
    """The offer behind a code while it can still be used (for the confirmation page); else None."""
    row = _usable(code)
    return Offer(code, row.role, row.name, row.expires_at) if row else None


def offer_paired(code: str) -> bool:
    """Whether a tablet has redeemed this code (the staff app waits for it)."""
    row = PairingOffer.get_or_none(PairingOffer.code_hash == _hash(code))
    return row is not None and row.device is not None


def pair_device(code: str) -> Pairing:
    """Redeem a pairing code: one new device, the code used up, in one transaction."""
    with write():
        row = _usable(code)
        if row is None:
            raise Refused("pairing_code")
        secret = secrets.token_urlsafe(32)
        device = new_id()
        PairedDevice.create(id=device, name=row.name, role=row.role, secret_hash=_hash(secret),
                            paired_at=clock.now(), paired_by=row.created_by, last_seen_at=clock.now())
        PairingOffer.update(device=device).where(PairingOffer.code_hash == row.code_hash).execute()
        audit(Actor(device_id()), "device_paired", role=row.role, name=row.name, device=device)
    return Pairing(device, row.role, row.name, f"{device}.{secret}")


def device_for(credential: str | None) -> DeviceInfo | None:
    """The device a cookie belongs to (revoked ones too), None for anything else.

    Notes the time it was seen, at most once a minute, so a tablet at the counter does not write
    on every request.
    """
    if not credential or credential.count(".") != 1 or len(credential) > 200:
        return None
    device, secret = credential.split(".")
    row = PairedDevice.get_or_none(PairedDevice.id == device)
    if row is None or not hmac.compare_digest(row.secret_hash, _hash(secret)):
        return None
    now = clock.now()
    if row.revoked_at is None and (row.last_seen_at is None or now - row.last_seen_at >= SEEN_EVERY):
        with write():
            PairedDevice.update(last_seen_at=now).where(PairedDevice.id == device).execute()
        row.last_seen_at = now
    return _info(row, {})


def device_state(device: str) -> DeviceInfo | None:
    """A device by id, as it is now (an open screen checks it every second)."""
    row = PairedDevice.get_or_none(PairedDevice.id == device)
    return _info(row, {}) if row else None


def list_devices(actor: Actor) -> list[DeviceInfo]:
    """Every device paired here, active ones first, newest first (manager)."""
    require_manager(actor)
    names = {s.id: s.name for s in Staff.select(Staff.id, Staff.name)}
    rows = PairedDevice.select().order_by(PairedDevice.revoked_at.is_null(False), PairedDevice.paired_at.desc())
    return [_info(row, names) for row in rows]


def revoke_device(device: str, actor: Actor) -> DeviceInfo:
    """Shut a device out at once; its tablet sees only the pairing page from then on (manager)."""
    require_manager(actor)
    with write():
        row = PairedDevice.get_or_none(PairedDevice.id == device)
        if row is None:
            raise Refused("device_unknown")
        if row.revoked_at is None:
            row.revoked_at, row.revoked_by = clock.now(), actor.staff_id
            row.save()
            audit(actor, "device_revoke", role=row.role, name=row.name, device=device)
    return _info(row, {})


def _usable(code: str) -> PairingOffer | None:
    if not isinstance(code, str) or not 10 <= len(code) <= 64:
        return None
    row = PairingOffer.get_or_none(PairingOffer.code_hash == _hash(code))
    if row is None or row.device is not None or row.expires_at <= clock.now():
        return None
    return row


def _hash(secret: str) -> str:
    """SHA-256 is enough: the secrets are 128 and 256 random bits, not words a person chose."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _info(row: PairedDevice, names: dict[str, str]) -> DeviceInfo:
    return DeviceInfo(row.id, row.name, row.role, row.paired_at, names.get(row.paired_by), row.last_seen_at,
                      row.revoked_at)
