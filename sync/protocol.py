"""The wire format shared by station and HQ: events, push receipts, pull pages, cursors. Pure.

An event is one outbox row: a whole record as JSON plus the fields it changed and its clock.
Limits are part of the protocol, so a hostile request is refused by validation, never half-stored.
"""
from __future__ import annotations

import hashlib
import json
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

PROTOCOL = 1
MAX_BATCH = 500
MAX_PAGE = 1000
MAX_BODY_BYTES = 2 * 1024 * 1024
MAX_PAYLOAD_KEYS = 64

Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
Ident = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
Scalar = str | int | float | bool | None

ACCEPTED, DUPLICATE, REJECTED = "accepted", "duplicate", "rejected"
STORED = (ACCEPTED, DUPLICATE)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Event(Strict):
    """One local write: `payload` is the whole row (field name -> stored value)."""
    id: Ident
    device_id: Ident
    seq: int = Field(ge=0)
    table: Name
    record_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    op: Literal["upsert", "erase"]
    hlc: int = Field(ge=0, lt=2 ** 63)
    fields: list[Name] | None = Field(default=None, max_length=MAX_PAYLOAD_KEYS)
    payload: dict[Name, Annotated[Scalar, Field(union_mode="left_to_right")]] = Field(max_length=MAX_PAYLOAD_KEYS)

    def digest(self) -> str:
        """What identifies the content: a resent event must match it, or the id is being reused."""
        body = {k: v for k, v in self.model_dump().items()}
        return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


class PushRequest(Strict):
    protocol: Literal[1] = PROTOCOL
    batch_id: Ident
    events: list[Event] = Field(max_length=MAX_BATCH)


class Receipt(Strict):
    id: str
    status: Literal["accepted", "duplicate", "rejected"]
    reason: str | None = None


class PushResponse(Strict):
    receipts: list[Receipt]
    server_hlc: int


class PullRequest(Strict):
    protocol: Literal[1] = PROTOCOL
    cursor: Annotated[str, StringConstraints(max_length=100)] = ""
    limit: int = Field(default=500, ge=1, le=MAX_PAGE)
    config_version: int = Field(default=0, ge=0)


class ProgramConfig(Strict):
    version: int
    toml: str


class PullResponse(Strict):
    events: list[Event]
    cursor: str
    has_more: bool
    epoch: str
    server_hlc: int
    config: ProgramConfig | None = None


class EnrolRequest(Strict):
    code: Annotated[str, StringConstraints(min_length=8, max_length=64)]
    device_id: Ident
    name: Annotated[str, StringConstraints(max_length=100)] = ""


class EnrolResponse(Strict):
    device_id: str
    secret: str
    location: str
    server_time: float
    card_key: str          # hex; the group's card key, so a card issued anywhere scans everywhere
    location_id: str       # the station's location: members who join here get their reminders from here


class PhotoRequest(Strict):
    """An aftercare photo a station's staff app shows a clinician; the picture itself stays at HQ."""
    photo_id: Ident


def batch_id(event_ids: list[str]) -> str:
    """The same events make the same batch, so a resent batch gets the stored receipts back."""
    return hashlib.sha256("\n".join(event_ids).encode()).hexdigest()[:40]


def make_cursor(epoch: str, position: int) -> str:
    """Opaque to stations: the HQ stream's epoch and the commit-ordered position read up to."""
    return f"{epoch}:{position}"


def parse_cursor(cursor: str) -> tuple[str | None, int]:
    """(epoch, position); an empty or unreadable cursor starts from the beginning."""
    epoch, _, position = cursor.rpartition(":")
    if not epoch or not position.isdigit():
        return None, 0
    return epoch, int(position)
