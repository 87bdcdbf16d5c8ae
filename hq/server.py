"""The HQ server: the stations' sync API, and the web apps that live at HQ mounted beside it."""
from __future__ import annotations

import contextlib

import flet.fastapi as flet_fastapi
from fastapi import FastAPI

from console.app import make_console
from sync.hq.app import create_app as create_sync_api


def create_app(database_url: str) -> FastAPI:
    app = create_sync_api(database_url)
    _run_flet_sessions(app)
    app.mount("/console", flet_fastapi.app(make_console(), no_cdn=True, app_name="HQ"))
    return app


def _run_flet_sessions(app: FastAPI) -> None:
    """Flet's session manager runs for the server's lifetime (a mounted app's own lifespan never runs)."""
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(application):
        await flet_fastapi.app_manager.start()
        try:
            async with inner(application) as state:
                yield state
        finally:
            await flet_fastapi.app_manager.shutdown()

    app.router.lifespan_context = lifespan
