"""Erasure requests patients make in the app (GDPR Art. 17): a manager confirms one here, and the
erasure then travels as every erasure does, or declines it (a duty to keep records, say)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from loyalty import clock
from loyalty.errors import Refused
from loyalty.services.context import Actor, audit, require_manager
from loyalty.services.members import empty_wal_after_erasure, erase_in_transaction
from loyalty.store import ErasureRequest, Member, write
from loyalty.store.outbox import record


@dataclass(frozen=True)
class ErasureRequestRow:
    request_id: str
    member_id: str
    first_name: str
    last_name: str | None
    email: str | None
    phone: str | None
    requested_at: datetime


def erasure_requests() -> list[ErasureRequestRow]:
    """Open requests, oldest first (the law gives a month to answer)."""
    query = (ErasureRequest.select(ErasureRequest, Member).join(Member)
             .where(ErasureRequest.status == "open").order_by(ErasureRequest.requested_at))
    return [ErasureRequestRow(r.id, r.member.id, r.member.first_name or "", r.member.last_name, r.member.email,
                              r.member.phone, r.requested_at) for r in query]


def confirm_erasure_request(request_id: str, actor: Actor) -> None:
    require_manager(actor)
    with write():
        request = _open(request_id)
        if Member.get_by_id(request.member_id).erased_at is None:
            erase_in_transaction(request.member_id, actor)
        _close(request, "done", actor)
    empty_wal_after_erasure(request.member_id)


def decline_erasure_request(request_id: str, actor: Actor) -> None:
    require_manager(actor)
    with write():
        _close(_open(request_id), "declined", actor)


def _open(request_id: str) -> ErasureRequest:
    request = ErasureRequest.get_or_none(ErasureRequest.id == request_id)
    if request is None or request.status != "open":
        raise Refused("erasure_request_closed")
    return request


def _close(request: ErasureRequest, status: str, actor: Actor) -> None:
    request.status, request.decided_at, request.decided_by = status, clock.now(), actor.staff_id
    record(request, insert=False)
    audit(actor, f"erasure_request_{status}", request.member_id, request=request.id)
