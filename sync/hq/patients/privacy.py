"""The member's privacy in the app: consents on and off, the channel they prefer, their data as a
download (GDPR Art. 15), and a request for erasure (Art. 17) that a manager confirms in the staff
app, where the erasure then travels as every erasure does.

Consent changes are consent events (source "app") and the channel an edit of the member record,
both HQ-authored: every station follows them at its next pull.
"""
from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone

from uuid6 import uuid7

from loyalty.errors import Refused
from loyalty.store.models import ConsentEvent, ErasureRequest
from loyalty.store.registry import EXPORTED, RECORDS
from sync.hq import authoring, rows
from sync.hq.db import AppNotice, AppPhoto, AppSession, now, transaction
from sync.protocol import HQ_DEVICE

PURPOSES = ("marketing", "care")      # what the member switches in the app; the program consent is membership


@dataclass(frozen=True)
class Privacy:
    consents: dict[str, bool]         # purpose -> in force
    channel: str | None               # preferred: email | sms | None (e-mail first)
    channels: list[str]               # the channels the member can be reached by
    erasure_requested: datetime | None


def privacy(member_id: str) -> Privacy:
    member = _member(member_id)
    requested = [r for r in rows.owned("erasure_request", member_id) if r["status"] == "open"]
    return Privacy(consents(member_id), member.get("channel"), _channels(member),
                   min((_time(r["requested_at"]) for r in requested), default=None))


def consents(member_id: str) -> dict[str, bool]:
    """The consent in force per purpose: the latest event wins; on a tie, withdrawal wins (as at a station)."""
    state = {"program": False, **dict.fromkeys(PURPOSES, False)}
    for event in sorted(rows.owned("consent_event", member_id), key=lambda e: (e["at"], not e["granted"])):
        state[event["purpose"]] = bool(event["granted"])
    return state


def set_consent(member_id: str, purpose: str, granted: bool) -> Privacy:
    if purpose not in PURPOSES:
        raise Refused("consent_unknown", purpose=purpose)
    _member(member_id)
    event = ConsentEvent(id=str(uuid7()), member=member_id, purpose=purpose, granted=bool(granted), at=_now(),
                         device_id=HQ_DEVICE, staff_id=None, source="app")
    with transaction():
        authoring.write([authoring.Write("consent_event", RECORDS["consent_event"].payload(event))])
    return privacy(member_id)


def set_channel(member_id: str, channel: str | None) -> Privacy:
    with transaction():
        authoring.hold({("member", member_id)})
        member = _member(member_id)
        if channel is not None and channel not in _channels(member):
            raise Refused("channel_unreachable")
        authoring.write([authoring.Write("member", {**member, "channel": channel}, fields=("channel",))])
    return privacy(member_id)


def request_erasure(member_id: str) -> Privacy:
    with transaction():
        authoring.hold({("member", member_id)})
        _member(member_id)
        if any(r["status"] == "open" for r in rows.owned("erasure_request", member_id)):
            raise Refused("erasure_requested_already")
        request = ErasureRequest(id=str(uuid7()), member=member_id, requested_at=_now(), status="open",
                                 device_id=HQ_DEVICE)
        authoring.write([authoring.Write("erasure_request", RECORDS["erasure_request"].payload(request))])
    return privacy(member_id)


def export(member_id: str) -> bytes:
    """Everything HQ holds about the member, by the registry's export sections (as the staff app's
    export), plus what the app itself keeps (devices, messages) and the photos as pictures: a ZIP."""
    _member(member_id)
    sections: dict[str, list[dict]] = {}
    found: dict[str, list[dict]] = {}
    for table, kind in RECORDS.items():
        if kind.owner is not None and kind.synced:
            found[table] = rows.owned(table, member_id)
    for table, kind in RECORDS.items():
        if kind.via is not None:
            parents = [r[RECORDS[kind.via[1]].key] for r in found.get(kind.via[1], [])]
            found[table] = rows.through(table, [str(p) for p in parents])
    for table, kind in RECORDS.items():
        if kind.export in EXPORTED and table in found:
            sections[kind.export] = sorted(found[table], key=lambda r: str(r[kind.key]))
    sections["member"] = sections.get("member", [{}])[0]
    sections["app_devices"] = [
        {"signed_in": _time(s.created_at).isoformat(), "last_used": _time(s.last_seen_at).isoformat(),
         "browser": s.agent, "signed_out": s.revoked_at is not None}
        for s in AppSession.select().where(AppSession.member_id == member_id)]
    sections["app_messages"] = [
        {"kind": n.kind, "at": _time(n.created_at).isoformat(), "channel": n.channel, "status": n.status}
        for n in AppNotice.select().where(AppNotice.member_id == member_id)]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(sections, ensure_ascii=False, indent=2, default=str))
        for photo in AppPhoto.select().where(AppPhoto.member_id == member_id):
            archive.writestr(f"photos/{photo.id}.jpg", bytes(photo.data))
    return buffer.getvalue()


def _member(member_id: str) -> dict:
    member = rows.row("member", member_id)
    if member is None or member.get("erased_at"):
        raise Refused("member_unknown")
    return member


def _channels(member: dict) -> list[str]:
    return [c for c, field in (("email", "email"), ("sms", "phone")) if member.get(field)]


def _time(value) -> datetime:
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, timezone.utc)
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


def _now() -> datetime:
    return datetime.fromtimestamp(now(), timezone.utc)
