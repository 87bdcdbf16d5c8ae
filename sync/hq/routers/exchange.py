"""Push and pull: the station's outbox in, other stations' events and program config out."""
from __future__ import annotations

from fastapi import APIRouter, Depends

from sync.hq import service
from sync.hq.auth import SignedRequest
from sync.hq.db import hq_db
from sync.hq.routers.deps import signed_request
from sync.protocol import PullRequest, PullResponse, PushRequest, PushResponse

router = APIRouter(prefix="/v1/sync", tags=["sync"])


@router.post("/push", response_model=PushResponse, summary="Store a batch of events, one receipt each")
def push(request: PushRequest, signed: SignedRequest = Depends(signed_request)) -> PushResponse:
    with hq_db.connection_context():
        return service.push(signed, request)


@router.post("/pull", response_model=PullResponse, summary="Events after a cursor, in commit order")
def pull(request: PullRequest, signed: SignedRequest = Depends(signed_request)) -> PullResponse:
    with hq_db.connection_context():
        return service.pull(signed, request)
