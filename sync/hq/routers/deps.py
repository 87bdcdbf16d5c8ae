"""Request pieces the handlers need. Async only to read the body: no database work happens here,
because FastAPI may run a sync dependency on another thread than the handler."""
from __future__ import annotations

from fastapi import Request

from sync.hq.auth import SignedRequest


async def signed_request(request: Request) -> SignedRequest:
    return SignedRequest(method=request.method, path=request.url.path,
                         headers={k.lower(): v for k, v in request.headers.items()}, body=await request.body())
