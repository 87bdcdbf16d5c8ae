"""Treatments: recorded with their recall date; points only where the profile allows earning."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from loyalty import clock, ledger
from loyalty.earning import points_for_purchase
from loyalty.errors import Refused
from loyalty.services.context import Actor, audit, current_program, require_staff
from loyalty.services.members import active_member, add_entry, tier_points
from loyalty.services.recalls import recall_days_for
from loyalty.store import Treatment, write
from loyalty.store.outbox import new_id, record


@dataclass(frozen=True)
class TreatmentResult:
    treatment_id: str
    entry_id: str
    points: int
    recall_due: datetime | None
    note: str | None     # why no points were given, for the receptionist


def record_treatment(member_id: str, item_code: str, actor: Actor, *, price_cents: int | None = None,
                     recall_days: int | None = None) -> TreatmentResult:
    require_staff(actor)
    program = current_program()
    item = program.catalogue.get(item_code)
    if item is None:
        raise Refused("item_unknown", item=item_code)
    if recall_days is not None and not 1 <= recall_days <= 3650:
        raise Refused("recall_invalid")
    price = item.price_cents if price_cents is None else price_cents
    if price < 0:
        raise Refused("amount_invalid")
    now = clock.now()
    days = recall_days if recall_days is not None else recall_days_for(member_id, item_code)
    due = now + timedelta(days=days) if days else None
    with write():
        active_member(member_id)
        earns = program.compliance.earns_points(item.category)
        points = 0
        if earns:
            points = points_for_purchase(price, program.points_per_euro,
                                         program.tier_for(tier_points(member_id)).multiplier)
        entry = add_entry(member_id, ledger.TREATMENT, actor, points=points, amount_cents=price,
                          item_code=item_code, reason="treatment")
        treatment = record(Treatment(id=new_id(), member=member_id, item_code=item_code, performed_at=now,
                                     recall_due=due, entry=entry.id, device_id=actor.device_id,
                                     staff_id=actor.staff_id))
        audit(actor, "treatment", member_id, entry=entry.id, item=item_code)
    note = None if earns else "no_points_for_category"
    return TreatmentResult(treatment.id, entry.id, points, due, note)
