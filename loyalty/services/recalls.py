"""Per-member recall intervals: the clinician may set a patient's own interval for a treatment."""
from __future__ import annotations

from loyalty import clock
from loyalty.errors import Refused
from loyalty.services.context import Actor, audit, current_program, require_staff
from loyalty.services.members import get_member
from loyalty.store import write
from loyalty.store.models import RecallOverride
from loyalty.store.outbox import record


def set_recall_override(member_id: str, item_code: str, recall_days: int | None, actor: Actor) -> None:
    """Set the member's interval for an item (None: back to the catalogue default)."""
    require_staff(actor)
    if item_code not in current_program().catalogue:
        raise Refused("item_unknown", item=item_code)
    if recall_days is not None and (isinstance(recall_days, bool) or not 1 <= recall_days <= 3650):
        raise Refused("recall_invalid")
    with write():
        get_member(member_id)
        key = f"{member_id}:{item_code}"
        existing = RecallOverride.get_or_none(RecallOverride.id == key)
        if recall_days is None:
            if existing is not None:
                existing.recall_days = 0
                existing.set_at, existing.set_by = clock.now(), actor.staff_id
                record(existing, insert=False)
        else:
            record(RecallOverride(id=key, member=member_id, item_code=item_code, recall_days=recall_days,
                                  set_at=clock.now(), set_by=actor.staff_id), insert=existing is None)
        audit(actor, "recall_override", member_id, item=item_code, days=recall_days)


def recall_days_for(member_id: str, item_code: str) -> int | None:
    """The member's own interval if set, else the catalogue's."""
    override = RecallOverride.get_or_none(RecallOverride.id == f"{member_id}:{item_code}")
    if override is not None and override.recall_days:
        return override.recall_days
    item = current_program().catalogue.get(item_code)
    return item.recall_days if item else None
