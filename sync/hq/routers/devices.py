"""Enrolment: a station trades a one-time code for its own signing key."""
from __future__ import annotations

from fastapi import APIRouter

from sync.hq import service
from sync.hq.db import hq_db
from sync.protocol import EnrolRequest, EnrolResponse

router = APIRouter(prefix="/v1/devices", tags=["devices"])


@router.post("/enrol", response_model=EnrolResponse, summary="Redeem a one-time enrolment code")
def enrol(request: EnrolRequest) -> EnrolResponse:
    with hq_db.connection_context():
        return service.enrol(request)
