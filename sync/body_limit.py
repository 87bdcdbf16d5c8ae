"""A cap on request bodies for the station's and HQ's web servers (ASGI middleware).

A body larger than the cap is refused with 413 before the application reads it: at once by its
Content-Length, or while it streams when it is sent in chunks without one. Nothing else in the
stack limits bodies (uvicorn reads whatever arrives), so without it one request can fill memory.
"""
from __future__ import annotations

import json

from starlette.exceptions import HTTPException


class BodyLimit:
    """`wider`: path prefix -> a larger cap for the routes under it (a phone's photo upload)."""

    def __init__(self, app, max_bytes: int, wider: dict[str, int] | None = None):
        self.app, self.max_bytes, self.wider = app, max_bytes, wider or {}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        max_bytes = next((cap for prefix, cap in self.wider.items() if path.startswith(prefix)), self.max_bytes)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and not (length.isdigit() and int(length) <= max_bytes):
            await _too_large(send, max_bytes)
            return
        received = 0

        async def counted():
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > max_bytes:
                raise HTTPException(413, f"Request body is larger than {max_bytes} bytes.")
            return message

        await self.app(scope, counted, send)


async def _too_large(send, max_bytes: int) -> None:
    body = json.dumps({"error": "too_large", "message": f"Request body is larger than {max_bytes} bytes."}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
