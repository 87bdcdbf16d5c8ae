"""Who is asking: the device whose key signed the request, checked against the database each time.

The signature is checked before anything else is answered: an unknown device and a wrong key get
the same 401 (checked against a throw-away key, so it takes as long), and only a request signed
with the device's own key learns that it is revoked or that its clock is off. A revoked device is
refused at its next request (no cached sessions); a nonce is stored in the request's own
transaction, so the same signed request is accepted once across all server processes.
"""
from __future__ import annotations

from dataclasses import dataclass

from sync import signing
from sync.hq.db import Device, Nonce, now
from sync.hq.errors import ApiError

_UNKNOWN_DEVICE_KEY = signing.new_secret()


@dataclass(frozen=True)
class SignedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


def authenticate(request: SignedRequest) -> Device:
    """The active device that signed this request; call inside the request's transaction."""
    values = [request.headers.get(name.lower()) for name in signing.HEADERS]
    if not all(values):
        raise ApiError(401, "unsigned", "Request is not signed: send X-Device, X-Timestamp, X-Nonce, X-Signature.")
    device_id, timestamp, nonce, sig = values
    moment = now()
    device = Device.get_or_none(Device.id == device_id[:64])
    secret = device.secret if device is not None else _UNKNOWN_DEVICE_KEY
    if not signing.verify(secret, request.method, request.path, timestamp, nonce[:64], request.body, sig) \
            or device is None:
        raise ApiError(401, "bad_signature", "The request is not signed with the key of an enrolled device.")
    if device.status != "active":
        raise ApiError(403, "device_revoked", "This device has been revoked; enrol it again with a new code.")
    if not signing.fresh(timestamp, moment):
        raise ApiError(401, "stale_timestamp", "Request time is too far from HQ time.", server_time=moment)
    # Only this device's expired nonces: requests of different devices never wait on each other here.
    (Nonce.delete().where((Nonce.device_id == device.id) & (Nonce.seen_at < moment - 2 * signing.WINDOW_SECONDS))
     .execute())
    # One statement, no savepoint: a nonce stored before (or by a request committing now) inserts nothing.
    insert = Nonce.insert(device_id=device.id, nonce=nonce[:64], seen_at=moment).on_conflict_ignore()
    if not insert.as_rowcount().execute():
        raise ApiError(401, "replayed", "This request was already received (replayed nonce).")
    return device
