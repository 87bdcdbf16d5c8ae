"""Aftercare photos for the clinical team: a station's staff app fetches one over the signed link."""
from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from sync.hq.auth import SignedRequest, authenticate
from sync.hq.db import hq_db, transaction
from sync.hq.errors import ApiError
from sync.hq.patients import photos
from sync.hq.routers.deps import signed_request
from sync.protocol import PhotoRequest

router = APIRouter(prefix="/v1/photos", tags=["photos"])


@router.post("/fetch", summary="An aftercare photo sent with a check-in (JPEG)",
             responses={200: {"content": {"image/jpeg": {}}}})
def fetch(request: PhotoRequest, signed: SignedRequest = Depends(signed_request)) -> Response:
    with hq_db.connection_context():
        with transaction():
            authenticate(signed)
            data = photos.for_clinicians(request.photo_id)
    if data is None:
        raise ApiError(404, "unknown_photo", "No photo sent with a check-in has this id.")
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "no-store"})
