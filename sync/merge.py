"""How a synced event changes a row. Pure, and the same function on every station and at HQ.

Append-only rows (ledger entries, consents, visits) merge as a set union: the first copy of an id
stays. Mutable rows merge field by field, last writer wins by (hybrid logical clock, device,
event id). Two rules beat the clock: a revoked card stays revoked, and an erased member stays
erased (the erasure's empty fields win), so a lost card or a GDPR erasure holds everywhere.
"""
from __future__ import annotations

Clock = tuple[int, str, str]
NEVER: Clock = (-1, "", "")


def event_clock(hlc: int, device_id: str, event_id: str) -> Clock:
    return (hlc, device_id, event_id)


def merge_row(table: str, current: dict | None, clocks: dict[str, list], payload: dict,
              fields: list[str] | None, clock: Clock, op: str, mutable: bool) -> tuple[dict, dict, bool]:
    """(new row, new clocks, changed?) after applying one event to the current row (None: absent)."""
    changed_fields = list(payload) if fields is None else [f for f in fields if f in payload]
    if current is None:
        return dict(payload), {f: list(clock) for f in changed_fields} if mutable else {}, True
    if not mutable:
        return current, clocks, False
    row, new_clocks = dict(current), dict(clocks)
    wins = _overrides(table, current, payload, op)
    for name in changed_fields:
        held = tuple(new_clocks.get(name, NEVER))
        forced = wins.get(name)
        if forced is False:
            continue
        if forced or clock > held:
            row[name] = payload[name]
            new_clocks[name] = list(clock)
    return row, new_clocks, row != current or new_clocks != clocks


CARD_REVOCATION = ("status", "revoked_at", "revoked_reason")


def _overrides(table: str, current: dict, payload: dict, op: str) -> dict[str, bool]:
    """Fields forced in (True) or held (False) regardless of the clock."""
    if table == "card":
        held, coming = current.get("status") == "revoked", payload.get("status") == "revoked"
        if held and not coming:
            return {name: False for name in CARD_REVOCATION}
        if coming and not held:
            return {name: True for name in CARD_REVOCATION}
    if table == "member":
        if op == "erase" and not current.get("erased_at"):
            return {name: True for name in payload}
        if current.get("erased_at") and op != "erase":
            return {name: False for name in payload}
    return {}
