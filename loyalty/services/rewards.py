"""Redeeming rewards: balance and the compliance profile are checked before anything is written."""
from __future__ import annotations

from dataclasses import dataclass

from loyalty import ledger
from loyalty.earning import redemption_value_cents
from loyalty.errors import Refused
from loyalty.program import Program, Reward
from loyalty.services.context import Actor, audit, current_program, require_staff
from loyalty.services.members import active_member, add_entry, balances
from loyalty.store import write
from loyalty.store.registry import POINTS


@dataclass(frozen=True)
class RedeemResult:
    entry_id: str
    member_id: str
    reward_code: str
    points: int          # points spent (positive)
    stamps: int          # stamps spent (positive)
    value_cents: int     # credit or donation value given
    balance: int         # points left


@dataclass(frozen=True)
class RewardOption:
    code: str
    name: dict[str, str]
    kind: str
    cost_points: int | None
    cost_stamps: int | None
    affordable: bool
    partial: bool
    items: tuple[str, ...]   # catalogue items it may be applied to (chosen at the desk); () for none


def compliance_refusal(program: Program, reward: Reward, item_code: str | None) -> Refused | None:
    """Why this reward may not be given on this item under the program's profile, or None."""
    target = item_code or reward.item
    if target is None:
        if reward.kind in ("discount", "free_item") and not reward.applies_to:
            return Refused("reward_needs_item")
        return None
    item = program.catalogue.get(target)
    if item is None:
        return Refused("item_unknown", item=target)
    profile = program.compliance
    if not profile.reward_may_apply(reward.kind, item.category) and reward.kind in ("discount", "free_item"):
        return Refused(f"forbidden_{item.category}", profile=profile.code)
    if reward.kind in ("perk", "donation"):
        return Refused("reward_not_for_items")
    if reward.applies_to and item.category not in reward.applies_to:
        return Refused("reward_not_for_category", category=item.category)
    if reward.kind == "free_item" and not profile.gift_allowed(item.category, item.price_cents):
        return Refused("gift_cap", category=item.category)
    return None


def reward_options(member_id: str) -> list[RewardOption]:
    """The rewards this member could have now, each with the items the profile lets it apply to,
    so the desk offers only what `redeem` accepts; forbidden rewards are never in the program at all."""
    program = current_program()
    points, stamps = balances(member_id)
    return [RewardOption(r.code, r.name, r.kind, r.cost_points, r.cost_stamps,
                         (r.cost_points is not None and (points >= r.cost_points or (r.partial and points > 0)))
                         or (r.cost_stamps is not None and stamps >= r.cost_stamps), r.partial,
                         applicable_items(program, r))
            for r in program.rewards.values()]


def applicable_items(program: Program, reward: Reward) -> tuple[str, ...]:
    """The catalogue items a reward without a fixed item may be applied to under the profile."""
    if reward.item is not None or reward.kind not in ("discount", "free_item"):
        return ()
    return tuple(code for code in program.catalogue if compliance_refusal(program, reward, code) is None)


def redeem(member_id: str, reward_code: str, actor: Actor, *, points: int | None = None,
           item_code: str | None = None) -> RedeemResult:
    require_staff(actor)
    program = current_program()
    reward = program.rewards.get(reward_code)
    if reward is None:
        raise Refused("reward_unknown", reward=reward_code)
    problem = compliance_refusal(program, reward, item_code)
    if problem:
        raise problem
    with write():
        active_member(member_id)
        balance, stamps = balances(member_id)
        if reward.cost_stamps is not None:
            if stamps < reward.cost_stamps:
                raise Refused("not_enough_stamps", have=stamps, need=reward.cost_stamps)
            spend_points, spend_stamps, value = 0, reward.cost_stamps, reward.value_cents
        else:
            spend_points = reward.cost_points if points is None else points
            if points is not None and not reward.partial and points != reward.cost_points:
                raise Refused("partial_not_allowed", cost=reward.cost_points)
            if spend_points <= 0:
                raise Refused("amount_invalid")
            if spend_points > POINTS[1]:
                raise Refused("points_too_many", limit=POINTS[1])
            if spend_points > balance:
                raise Refused("not_enough_points", have=balance, need=spend_points)
            spend_stamps = 0
            value = redemption_value_cents(reward, spend_points, program)
        entry = add_entry(member_id, ledger.REDEEM, actor, points=-spend_points, stamps=-spend_stamps,
                          amount_cents=value, reward_code=reward.code, item_code=item_code,
                          reason=f"redeem {reward.code}")
        audit(actor, "redeem", member_id, entry=entry.id, reward=reward.code, points=spend_points)
    return RedeemResult(entry.id, member_id, reward.code, spend_points, spend_stamps, value, balance - spend_points)
