"""Web Push subscriptions of the app's devices, HQ's VAPID key, and handing a notice to them.

A device subscribes in the app (patient_app/static/push.html, with the browser's push service);
HQ keeps the endpoint and keys per signed-in device. Sending goes through the `Pusher` the HQ
process gives (loyalty/adapters/webpush.py), which answers "sent", "gone" (the browser dropped
the subscription: it is deleted here) or "failed". Only endpoints of known push services are
taken, so a forged subscription cannot make HQ send requests into its own network.
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from uuid6 import uuid7

from loyalty.errors import Refused
from sync.hq.db import AppPush, AppPushKey, AppSession, now, transaction
from sync.hq.patients import signin

# The push services of the browsers patients use (Chrome/Edge/Samsung, Firefox, Safari, Windows).
PUSH_HOSTS = ("fcm.googleapis.com", "updates.push.services.mozilla.com", "push.services.mozilla.com",
              "web.push.apple.com", "notify.windows.com")
MAX_FIELD = 600


@dataclass(frozen=True)
class PushTarget:
    endpoint: str
    p256dh: str
    auth: str


Pusher = Callable[[PushTarget, str], str]     # (device, JSON payload) -> "sent" | "gone" | "failed"


def vapid_keys() -> tuple[str, str]:
    """(private key PEM, public key base64url): made once, on first use, kept in HQ's database."""
    found = AppPushKey.get_or_none(AppPushKey.id == 1)
    if found is None:
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
        point = key.public_key().public_bytes(serialization.Encoding.X962,
                                              serialization.PublicFormat.UncompressedPoint)
        with transaction():
            AppPushKey.insert(id=1, private_pem=pem, public_key=_b64(point)).on_conflict_ignore().execute()
        found = AppPushKey.get_by_id(1)
    return found.private_pem, found.public_key


def subscribe(token: str, subscription: dict, hosts: tuple[str, ...] = PUSH_HOSTS) -> None:
    """Keep the subscription of the device whose session token came with it."""
    found = signin.session(token)
    if found is None:
        raise Refused("session_unknown")
    endpoint = str(subscription.get("endpoint") or "")
    keys = subscription.get("keys") if isinstance(subscription.get("keys"), dict) else {}
    p256dh, auth = str(keys.get("p256dh") or ""), str(keys.get("auth") or "")
    if not _known_service(endpoint, hosts) or not p256dh or not auth or max(map(len, (p256dh, auth))) > MAX_FIELD:
        raise Refused("push_subscription_invalid")
    with transaction():
        AppPush.delete().where((AppPush.endpoint == endpoint) | (AppPush.session_id == found.session_id)).execute()
        AppPush.create(id=str(uuid7()), member_id=found.member_id, session_id=found.session_id, endpoint=endpoint,
                       p256dh=p256dh, auth=auth, created_at=now())


def unsubscribe(member_id: str, session_id: str) -> None:
    with transaction():
        AppPush.delete().where((AppPush.member_id == member_id) & (AppPush.session_id == session_id)).execute()


def subscribed(member_id: str, session_id: str | None = None) -> bool:
    """Does the member (or this one device of theirs) get push messages?"""
    query = (AppPush.select().join(AppSession, on=(AppSession.id == AppPush.session_id))
             .where((AppPush.member_id == member_id) & AppSession.revoked_at.is_null()))
    return (query.where(AppPush.session_id == session_id) if session_id else query).exists()


def deliver(member_id: str, payload: dict, pusher: Pusher) -> bool:
    """Send to every device of the member that subscribed; True when at least one took it."""
    targets = list(AppPush.select().join(AppSession, on=(AppSession.id == AppPush.session_id))
                   .where((AppPush.member_id == member_id) & AppSession.revoked_at.is_null()))
    text = json.dumps(payload, ensure_ascii=False)
    delivered = False
    for target in targets:
        result = pusher(PushTarget(target.endpoint, target.p256dh, target.auth), text)
        with transaction():
            if result == "gone":
                AppPush.delete().where(AppPush.id == target.id).execute()
            elif result == "sent":
                AppPush.update(last_sent_at=now()).where(AppPush.id == target.id).execute()
        delivered = delivered or result == "sent"
    return delivered


def _known_service(endpoint: str, hosts: tuple[str, ...]) -> bool:
    parts = urlsplit(endpoint)
    host = (parts.hostname or "").lower()
    secure = parts.scheme == "https" or (parts.scheme == "http" and host in ("127.0.0.1", "localhost"))
    return secure and len(endpoint) <= MAX_FIELD and any(host == h or host.endswith("." + h) for h in hosts)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
