"""How many points a purchase earns and what points are worth: pure functions."""
from __future__ import annotations

from loyalty.program import Program, Reward


def points_for_purchase(amount_cents: int, per_euro: int, multiplier: float) -> int:
    """Full euros times points per euro times the tier multiplier, rounded down."""
    if amount_cents <= 0:
        return 0
    return int((amount_cents // 100) * per_euro * multiplier)


def refund_points(purchase_points: int, purchase_cents: int, refunded_cents_before: int, refund_cents: int) -> int:
    """Points to take back for a (partial) refund, proportional, never more than the purchase earned."""
    if purchase_cents <= 0:
        return 0
    total_after = min(purchase_cents, refunded_cents_before + refund_cents)
    back_after = purchase_points * total_after // purchase_cents
    back_before = purchase_points * refunded_cents_before // purchase_cents
    return back_after - back_before


def credit_value_cents(points: int, program: Program) -> int:
    """Money credit for points at the program's rate (500 points = 50 EUR), rounded down to a cent."""
    return points * program.redeem_value_cents // program.redeem_points


def redemption_value_cents(reward: Reward, points: int, program: Program) -> int:
    if reward.partial and reward.cost_points and points != reward.cost_points:
        return points * reward.value_cents // reward.cost_points
    return reward.value_cents
