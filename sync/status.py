"""What the staff app shows about sync: last success, queue length, last error, HQ address."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from loyalty.services.context import get_setting
from loyalty.store import Outbox
from sync.station import LAST_ERROR, LAST_SUCCESS, URL


@dataclass(frozen=True)
class SyncState:
    hq_url: str | None             # None: this station does not sync
    last_success_at: datetime | None
    queue_length: int              # local writes HQ has not confirmed yet
    rejected: int                  # writes HQ refused (kept locally, with a reason)
    last_error: str | None


def sync_state() -> SyncState:
    def moment(key: str) -> datetime | None:
        value = get_setting(key)
        return datetime.fromisoformat(value) if value else None
    return SyncState(
        hq_url=get_setting(URL),
        last_success_at=moment(LAST_SUCCESS),
        queue_length=Outbox.select().where(Outbox.receipt.is_null()).count(),
        rejected=Outbox.select().where(Outbox.receipt == "rejected").count(),
        last_error=get_setting(LAST_ERROR) or None,
    )
