"""One-time downloads the console offers (`sync.hq.downloads`)."""
from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse, Response

from sync.hq import downloads
from sync.hq.db import hq_db

router = APIRouter(tags=["console"])


@router.get(downloads.PATH + "{token}", summary="A file the console offered, once", include_in_schema=False)
def download(token: str) -> Response:
    with hq_db.connection_context():
        offered = downloads.take(token[:64])
    if offered is None:
        return PlainTextResponse("This download link is used up or expired.", status_code=404)
    return Response(offered.data, media_type=offered.media_type,
                    headers={"Content-Disposition": f'attachment; filename="{offered.filename}"',
                             "Cache-Control": "no-store"})
