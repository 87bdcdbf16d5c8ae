"""What a GDPR erasure (Art. 17) leaves of each synced record: one rule for stations and HQ. Pure.

Personal and health data go: names, contact, birthday, note, what was bought or treated, free
texts, plans. Point and stamp amounts, scores, consents and the audit trail stay under the random
member id, which no longer leads to a person. A record of a dropped table goes as a whole.
"""
from __future__ import annotations

import json

MEMBER_FIELDS = ("first_name", "last_name", "name_key", "last_key", "email", "phone", "phone_key",
                 "birthday_day", "birthday_month", "birthday_set_at", "note", "referred_by")
CLEARED = {
    "member": dict.fromkeys(MEMBER_FIELDS),
    "ledger_entry": {"item_code": None, "reason": ""},
    "feedback": {"text": None},
    "follow_up": {"detail": "", "note": None},
}
DROPPED = frozenset({"treatment", "membership", "benefit_use", "recall_override"})
AUDIT_DETAIL_DROPPED = ("item", "reason")   # a treatment's item code, a staff member's free text


def owner(table: str, record_id: str, payload: dict) -> str | None:
    """The member a synced record belongs to (benefit uses belong through their membership)."""
    if table == "member":
        return record_id
    if table == "audit_log":
        return payload.get("member_id")
    return payload.get("member")


def scrub(table: str, payload: dict) -> dict | None:
    """The record as it may stay after its member's erasure; None when it must go entirely."""
    if table in DROPPED:
        return None
    cleared = {name: value for name, value in CLEARED.get(table, {}).items() if name in payload}
    if table == "audit_log" and payload.get("detail"):
        detail = json.loads(payload["detail"])
        cleared["detail"] = json.dumps({k: v for k, v in detail.items() if k not in AUDIT_DETAIL_DROPPED})
    return {**payload, **cleared}
