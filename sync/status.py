"""What the staff app shows about sync: last success, queue length, last error, HQ address."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from loyalty.store import Outbox
from loyalty.store.settings import get_setting
from sync.station import CONFIG_VERSION, LAST_ERROR, LAST_SUCCESS, OFFLINE, URL


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
    )
