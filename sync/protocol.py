"""The wire format shared by station and HQ: events, push receipts, pull pages, cursors. Pure.

An event is one outbox row: a whole record as JSON plus the fields it changed and its clock.
Limits are part of the protocol, so a hostile request is refused by validation, never half-stored.
"""
from __future__ import annotations

import hashlib
import json
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from loyalty.text import storable

PROTOCOL = 1
MAX_BATCH = 500
MAX_PAGE = 1000
MAX_BODY_BYTES = 2 * 1024 * 1024
MAX_PAYLOAD_KEYS = 64
MAX_REFUSED = 20   # refused records a station report lists (the newest); the count covers all
MAX_BIGINT = 2 ** 63 - 1      # PostgreSQL's bigint and SQLite's INTEGER: one more and the database raises
MAX_INT = 2 ** 31 - 1         # PostgreSQL's integer, the column of counts in a station report
SECONDS = dict(ge=0, le=1e11, allow_inf_nan=False)   # a moment as seconds since 1970, before the year 5000

Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
Ident = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


def _storable_text(text: str) -> str:
    if not storable(text):
        raise ValueError("text must be valid Unicode without NUL")
    return text


Text = Annotated[str, AfterValidator(_storable_text)]
Scalar = str | int | float | bool | None

ACCEPTED, DUPLICATE, REJECTED = "accepted", "duplicate", "rejected"
STORED = (ACCEPTED, DUPLICATE)
CLOCK_AHEAD = "clock_ahead"     # the one rejection a station answers by sending the event again, newly stamped
HQ_DEVICE = "hq"                # the device id on records HQ writes itself; no station may enrol under it


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Event(Strict):
    """One local write: `payload` is the whole row (field name -> stored value)."""
    id: Ident
    device_id: Ident
    seq: int = Field(ge=0, le=MAX_BIGINT)
    table: Name
    record_id: Annotated[Text, StringConstraints(min_length=1, max_length=64)]
    op: Literal["upsert", "erase"]
    hlc: int = Field(ge=0, le=MAX_BIGINT)
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


class RefusedRecord(Strict):
    """One of the station's writes that HQ refused (kept at the station with HQ's reason)."""
    table: Annotated[Text, StringConstraints(max_length=40)]
    record_id: Annotated[Text, StringConstraints(max_length=64)]
    reason: Annotated[Text, StringConstraints(max_length=200)]
    at: float = Field(**SECONDS)


class StationReport(Strict):
    """What a station says about itself with each pull, for the HQ console's list of stations.

    Optional in the pull, so stations from before it still sync; a station whose HQ predates it
    leaves it out after HQ refuses it once (`sync.station`).
    """
    software: Annotated[Text, StringConstraints(max_length=40)]
    program_version: int = Field(ge=0, le=MAX_INT)   # the HQ program version it took last (0: none yet)
    program_digest: Annotated[Text, StringConstraints(max_length=64)]   # SHA-256 of the program it runs
    program_problem: Annotated[Text, StringConstraints(max_length=500)] | None = None   # a version it refused
    queue_length: int = Field(ge=0, le=MAX_INT)  # writes waiting to be sent when the round began
    rejected: int = Field(ge=0, le=MAX_INT)      # writes HQ refused, kept at the station
    set_aside: int = Field(default=0, ge=0, le=MAX_INT)   # pulled records the station could not apply
    refused: list[RefusedRecord] = Field(default_factory=list, max_length=MAX_REFUSED)
    station_time: float = Field(**SECONDS)       # the station's clock (seconds since 1970) as it sent this


class PullRequest(Strict):
    protocol: Literal[1] = PROTOCOL
    cursor: Annotated[str, StringConstraints(max_length=100)] = ""
    limit: int = Field(default=500, ge=1, le=MAX_PAGE)
    config_version: int = Field(default=0, ge=0, le=MAX_BIGINT)
    report: StationReport | None = None


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
    name: Annotated[Text, StringConstraints(max_length=100)] = ""


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
    """(epoch, position); an empty cursor starts from the beginning. Raises ValueError for a cursor
    HQ never handed out (only ASCII digits, at most MAX_BIGINT: `int()` reads '²' and '٣' too)."""
    if not cursor:
        return None, 0
    epoch, _, position = cursor.rpartition(":")
    if not epoch or not (position.isascii() and position.isdigit()) or int(position) > MAX_BIGINT:
        raise ValueError(f"not a cursor: {cursor!r}")
    return epoch, int(position)


JOIN_PREFIX = "loyalty-join:"   # an enrolment QR code: HQ's address and a one-time code


def join_text(hq_url: str, code: str) -> str:
    """What the console's enrolment QR code holds; `loyalty hq join` takes it as it is."""
    return f"{JOIN_PREFIX}{hq_url.rstrip('/')}#{code}"


def parse_join_text(text: str) -> tuple[str, str] | None:
    """(HQ address, code) from a scanned or pasted join text; None when it is not one."""
    if not text.startswith(JOIN_PREFIX) or "#" not in text:
        return None
    url, _, code = text[len(JOIN_PREFIX):].rpartition("#")
    return (url, code) if url.startswith(("http://", "https://")) and code else None


def program_digest(toml_text: str) -> str:
    """A program text's fingerprint: a station reports the one it runs, HQ compares it with its versions."""
    return hashlib.sha256(toml_text.encode()).hexdigest()
