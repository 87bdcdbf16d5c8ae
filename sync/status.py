"""What the staff app shows about sync: last success, queue length, last error, HQ address, and
what this station pulled but could not apply (set aside)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from loyalty.store import Outbox, SetAside
from loyalty.store.settings import get_setting
from sync.station import CONFIG_VERSION, LAST_ERROR, LAST_SUCCESS, OFFLINE, URL

SET_ASIDE_SHOWN = 5


@dataclass(frozen=True)
class SetAsideEntry:
    """One pulled event this station could not apply, as the manager sees it."""
    table: str
    record_id: str
    device_id: str      # the station that wrote it
    reason: str         # HQ's reason codes: out_of_range:points, unknown_reference:member, clock_ahead
    at: datetime


@dataclass(frozen=True)
class SyncState:
    hq_url: str | None             # None: this station does not sync
    last_success_at: datetime | None
    queue_length: int              # local writes HQ has not confirmed yet
    rejected: int                  # writes HQ refused (kept locally, with a reason)
    last_error: str | None
    device_id: str | None = None   # this station's id at HQ (what an administrator revokes)
    offline: bool = False          # the last error is "HQ cannot be reached", not a refusal
    program_version: int = 0       # the HQ program version this station runs (0: its own program)
    set_aside: int = 0             # pulled events this station could not apply
    set_aside_latest: tuple[SetAsideEntry, ...] = ()   # the newest few of them


def sync_state() -> SyncState:
    def moment(key: str) -> datetime | None:
        value = get_setting(key)
        return datetime.fromisoformat(value) if value else None
    error = get_setting(LAST_ERROR) or None
    url = get_setting(URL)
    unsent = Outbox.select().where(Outbox.receipt.is_null())
    return SyncState(
        hq_url=url,
        last_success_at=moment(LAST_SUCCESS),
        # A station without HQ keeps its outbox unsent forever: not counted on every staff-app poll.
        queue_length=unsent.count() if url else 0,
        rejected=Outbox.select().where(Outbox.receipt == "rejected").count() if url else 0,
        last_error=error,
        device_id=get_setting("device_id"),
        offline=bool(error) and get_setting(OFFLINE) == "1",
        program_version=int(get_setting(CONFIG_VERSION, "0") or 0),
        set_aside=SetAside.select().count() if url else 0,
        set_aside_latest=tuple(SetAsideEntry(row.tbl, row.record_id, row.device_id, row.reason, row.at)
                               for row in SetAside.select().order_by(SetAside.at.desc(), SetAside.event_id.desc())
                               .limit(SET_ASIDE_SHOWN)) if url else (),
    )
