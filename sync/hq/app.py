"""The HQ FastAPI application: plain `def` handlers, one Peewee connection per request.

Every refusal is a 4xx with a code and a message: oversized bodies before they are read (or as
they stream, when sent without a length), malformed JSON and schema violations by validation,
bad signatures and replays by auth. A database that is down answers 503, so a station retries later.
Each server process tidies the database when it starts (`service.start_up`).
"""
from __future__ import annotations

import contextlib

import peewee as pw
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from sync.body_limit import BodyLimit
from sync.hq import service
from sync.hq.db import close_hq, hq_db, open_hq
from sync.hq.errors import ApiError
from sync.hq.routers import devices, downloads, exchange, photos
from sync.protocol import MAX_BODY_BYTES


def create_app(database_url: str, wider_bodies: dict[str, int] | None = None) -> FastAPI:
    """`wider_bodies`: path prefix -> the body limit of a web app HQ serves beside the API (a photo)."""
    open_hq(database_url)
    with hq_db.connection_context():
        service.start_up()

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        yield
        close_hq()

    app = FastAPI(title="Loyalty HQ", version="1", lifespan=lifespan,
                  description="Device enrolment and offline-first sync for loyalty stations.")
    app.include_router(devices.router)
    app.include_router(exchange.router)
    app.include_router(downloads.router)
    app.include_router(photos.router)

    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES, wider=wider_bodies or {})

    @app.exception_handler(ApiError)
    async def api_error(_request, exc: ApiError):
        return JSONResponse(exc.body(), status_code=exc.status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request, exc: StarletteHTTPException):
        return _error(exc.status_code, "too_large" if exc.status_code == 413 else "http_error", str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def invalid(_request, exc: RequestValidationError):
        problems = [f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors()[:10]]
        return JSONResponse({"error": "invalid_request", "message": "; ".join(problems) or "Invalid request."},
                            status_code=422)

    @app.exception_handler(pw.OperationalError)
    @app.exception_handler(pw.InterfaceError)
    async def database_down(_request, _exc):
        return _error(503, "database_unavailable", "HQ database is not reachable; try again later.")

    @app.get("/v1/health", tags=["health"], summary="Liveness")
    def health() -> dict:
        return {"status": "ok"}

    return app


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status)
