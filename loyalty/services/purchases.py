"""Points for money: purchases, refunds, manager adjustments and undo."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from loyalty import clock, ledger
from loyalty.earning import points_for_purchase, refund_points
from loyalty.errors import Refused
from loyalty.services.context import Actor, audit, current_program, require_manager, require_staff
from loyalty.services.flags import flag_busy_member, flag_negative
from loyalty.services.members import active_member, add_entry, balances, tier_points
from loyalty.store import LedgerEntry, write

UNDO_WINDOW = timedelta(minutes=1)
MAX_PURCHASE_CENTS = 10_000_000   # 100,000 EUR: a typo guard, not a business rule


@dataclass(frozen=True)
class PointsResult:
    entry_id: str
    member_id: str
    points: int           # change, signed
    stamps: int
    balance: int          # points after the change
    note: str | None = None   # e.g. why a purchase earned no points


def award_purchase(member_id: str, amount_cents: int, actor: Actor, *, item_code: str | None = None,
                   category: str = "retail") -> PointsResult:
    """Points for a purchase at the member's tier multiplier; refused where the profile forbids earning.

    Under a profile whose awards need an item (de-clinic) the amount alone earns nothing: the desk
    names what was bought, so a physician's fee is never counted as retail.
    """
    require_staff(actor)
    program = current_program()
    if not isinstance(amount_cents, int) or amount_cents <= 0:
        raise Refused("amount_invalid")
    if amount_cents > MAX_PURCHASE_CENTS:
        raise Refused("amount_too_large", limit_cents=MAX_PURCHASE_CENTS)
    if item_code is not None:
        item = program.catalogue.get(item_code)
        if item is None:
            raise Refused("item_unknown", item=item_code)
        category = item.category
    elif program.compliance.award_needs_item:
        raise Refused("award_needs_item", profile=program.compliance.code,
                      items=[program.catalogue[code].name for code in earning_items()])
    if not program.compliance.earns_points(category):
        raise Refused("no_points_for_category", category=category, profile=program.compliance.code)
    with write():
        active_member(member_id)
        tier = program.tier_for(tier_points(member_id))
        points = points_for_purchase(amount_cents, program.points_per_euro, tier.multiplier)
        entry = add_entry(member_id, ledger.PURCHASE, actor, points=points, amount_cents=amount_cents,
                          item_code=item_code, reason=f"purchase ({category})")
        audit(actor, "award", member_id, entry=entry.id, amount_cents=amount_cents, points=points)
        flag_busy_member(member_id, program.flag_transactions_per_day)
    return PointsResult(entry.id, member_id, points, 0, balances(member_id)[0])


def earning_items() -> list[str]:
    """The catalogue items a purchase earns points on under the profile: all the desk offers."""
    program = current_program()
    return [code for code, item in program.catalogue.items() if program.compliance.earns_points(item.category)]


def refund(purchase_entry_id: str, actor: Actor, amount_cents: int | None = None) -> PointsResult:
    """Reverse a purchase (all or part); never takes back more points than it earned."""
    require_staff(actor)
    with write():
        purchase = LedgerEntry.get_or_none(LedgerEntry.id == purchase_entry_id)
        if purchase is None or purchase.kind != ledger.PURCHASE:
            raise Refused("refund_not_purchase")
        if _undone(purchase.id):
            raise Refused("refund_done")
        before = -sum(r.amount_cents for r in live_refunds([purchase.id]))
        left = purchase.amount_cents - before
        amount = left if amount_cents is None else amount_cents
        if left <= 0:
            raise Refused("refund_done")
        if amount <= 0 or amount > left:
            raise Refused("refund_too_much", left_cents=left)
        back = refund_points(purchase.points, purchase.amount_cents, before, amount)
        entry = add_entry(purchase.member_id, ledger.REFUND, actor, points=-back, amount_cents=-amount,
                          item_code=purchase.item_code, ref=purchase.id, reason="refund")
        balance = balances(purchase.member_id)[0]
        flag_negative(purchase.member_id, balance)
        audit(actor, "refund", purchase.member_id, entry=entry.id, purchase=purchase.id, amount_cents=amount)
    return PointsResult(entry.id, purchase.member_id, -back, 0, balance)


def adjust(member_id: str, points: int, reason: str, actor: Actor, stamps: int = 0) -> PointsResult:
    """Manager correction with a required reason; a new entry, never an edit."""
    require_manager(actor)
    if not reason or not reason.strip():
        raise Refused("reason_required")
    if points == 0 and stamps == 0:
        raise Refused("adjust_zero")
    with write():
        active_member(member_id)
        entry = add_entry(member_id, ledger.ADJUST, actor, points=points, stamps=stamps, reason=reason.strip())
        audit(actor, "adjust", member_id, entry=entry.id, points=points, stamps=stamps, reason=reason.strip())
        balance = balances(member_id)[0]
        flag_negative(member_id, balance)
    return PointsResult(entry.id, member_id, points, stamps, balance)


def undo(entry_id: str, actor: Actor) -> PointsResult:
    """Reverse the staff member's own last action within a minute, as a new entry."""
    require_staff(actor)
    with write():
        entry = LedgerEntry.get_or_none(LedgerEntry.id == entry_id)
        if entry is None or entry.staff_id != actor.staff_id or entry.kind in (ledger.UNDO, ledger.EXPIRE):
            raise Refused("undo_not_allowed")
        if clock.now() - entry.created_at > UNDO_WINDOW:
            raise Refused("undo_too_late")
        if _undone(entry.id):
            raise Refused("undo_done")
        if live_refunds([entry.id]):
            raise Refused("undo_not_allowed")    # refunded in part: undoing too would take points back twice
        reversal = add_entry(entry.member_id, ledger.UNDO, actor, points=-entry.points, stamps=-entry.stamps,
                             amount_cents=-entry.amount_cents, ref=entry.id, reason=f"undo {entry.kind}")
        audit(actor, "undo", entry.member_id, entry=reversal.id, undone=entry.id)
        balance = balances(entry.member_id)[0]
        flag_negative(entry.member_id, balance)
    return PointsResult(reversal.id, entry.member_id, -entry.points, -entry.stamps, balance)


def live_refunds(purchase_ids: list[str]) -> list[LedgerEntry]:
    """The refunds of these purchases that were not undone since (an undone refund gave its money back)."""
    undone = LedgerEntry.select(LedgerEntry.ref).where(LedgerEntry.kind == ledger.UNDO)
    return list(LedgerEntry.select().where(LedgerEntry.ref.in_(purchase_ids) & (LedgerEntry.kind == ledger.REFUND)
                                           & LedgerEntry.id.not_in(undone)))


def _undone(entry_id: str) -> bool:
    return LedgerEntry.select().where((LedgerEntry.ref == entry_id) & (LedgerEntry.kind == ledger.UNDO)).exists()

