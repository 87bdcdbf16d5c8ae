"""Membership plans (Basic / Premium / VIP): tracked here, paid at the clinic's till."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from loyalty import clock
from loyalty.errors import Refused
from loyalty.periods import current_period
from loyalty.services.context import Actor, audit, current_program, require_staff
from loyalty.services.members import active_member
from loyalty.standing import plan_use
from loyalty.store import BenefitUse, Membership, write
from loyalty.store.outbox import new_id, record


@dataclass(frozen=True)
class PlanStatus:
    membership_id: str
    plan_code: str
    started_at: datetime
    period_start: datetime
    renews_on: datetime
    status: str
    benefits_left: dict[str, int]
    benefits_used: dict[str, int]    # this period
    price_cents: int


def _active(member_id: str) -> Membership | None:
    return (Membership.select().where((Membership.member == member_id) & (Membership.status == "active"))
            .order_by(Membership.started_at.desc()).first())


def plan_status(member_id: str) -> PlanStatus | None:
    membership = _active(member_id)
    if membership is None:
        return None
    plan = current_program().plans.get(membership.plan_code)
    if plan is None:
        return None
    now = clock.now()
    start, _ = current_period(membership.started_at, plan.period_months, now)
    uses = BenefitUse.select(BenefitUse.benefit_code, BenefitUse.period_start).where(
        (BenefitUse.membership == membership.id) & (BenefitUse.period_start == start)).tuples()
    use = plan_use(plan, membership.started_at, uses, now)
    return PlanStatus(membership.id, plan.code, membership.started_at, use.period_start, use.renews_on,
                      membership.status, use.left, use.used, plan.price_cents)


def join_plan(member_id: str, plan_code: str, actor: Actor) -> PlanStatus:
    require_staff(actor)
    if plan_code not in current_program().plans:
        raise Refused("plan_unknown", plan=plan_code)
    with write():
        active_member(member_id)
        if _active(member_id):
            raise Refused("plan_exists")
        record(Membership(id=new_id(), member=member_id, plan_code=plan_code, started_at=clock.now()))
        audit(actor, "join_plan", member_id, plan=plan_code)
    return plan_status(member_id)


def use_benefit(member_id: str, benefit_code: str, actor: Actor) -> PlanStatus:
    require_staff(actor)
    with write():
        status = plan_status(member_id)
        if status is None:
            raise Refused("no_plan")
        if benefit_code not in status.benefits_left:
            raise Refused("benefit_not_in_plan", benefit=benefit_code)
        if status.benefits_left[benefit_code] <= 0:
            raise Refused("benefit_used_up", renews=status.renews_on.date())
        record(BenefitUse(id=new_id(), membership=status.membership_id, benefit_code=benefit_code,
                          used_at=clock.now(), period_start=status.period_start, device_id=actor.device_id,
                          staff_id=actor.staff_id))
        audit(actor, "use_benefit", member_id, benefit=benefit_code)
    return plan_status(member_id)


def cancel_plan(member_id: str, actor: Actor) -> None:
    require_staff(actor)
    with write():
        membership = _active(member_id)
        if membership is None:
            raise Refused("no_plan")
        membership.status, membership.cancelled_at = "cancelled", clock.now()
        record(membership, insert=False)
        audit(actor, "cancel_plan", member_id, plan=membership.plan_code)
