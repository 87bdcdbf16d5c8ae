"""How a synced event changes a row. Pure, and the same function on every station and at HQ.

Append-only rows (ledger entries, consents, visits) merge as a set union: the first copy of an id
stays. Mutable rows merge field by field, last writer wins by (hybrid logical clock, device,
event id). Two kinds of rule, declared in the registry, beat the clock: a value that holds once
written (a revoked card stays revoked), and an erasure (its empty fields win and stay), so a lost
card or a GDPR erasure holds everywhere.
"""
from __future__ import annotations

from loyalty.store.registry import RECORDS

Clock = tuple[int, str, str]
NEVER: Clock = (-1, "", "")


def event_clock(hlc: int, device_id: str, event_id: str) -> Clock:
    return (hlc, device_id, event_id)


def merge_row(table: str, current: dict | None, clocks: dict[str, list], payload: dict,
              fields: list[str] | None, clock: Clock, op: str) -> tuple[dict, dict, bool]:
    """(new row, new clocks, changed?) after applying one event to the current row (None: absent)."""
    mutable = RECORDS[table].mutable
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


def _overrides(table: str, current: dict, payload: dict, op: str) -> dict[str, bool]:
    """Fields forced in (True) or held (False) regardless of the clock."""
    kind = RECORDS[table]
    if kind.holds is not None:
        held = current.get(kind.holds.field) == kind.holds.value
        coming = payload.get(kind.holds.field) == kind.holds.value
        if held and not coming:
            return {name: False for name in kind.holds.fields}
        if coming and not held:
            return {name: True for name in kind.holds.fields}
    if kind.erasable:
        if op == "erase" and not current.get("erased_at"):
            return {name: True for name in payload}
        if current.get("erased_at") and op != "erase":
            return {name: False for name in payload}
    return {}
