"""The HQ server: the stations' sync API, and the web apps that live at HQ mounted beside it."""
from __future__ import annotations

import contextlib

import flet.fastapi as flet_fastapi
from fastapi import FastAPI

from hq.patients import mount_patient_app
from hq.settings import HqSettings, load_hq_settings
from sync.hq.app import create_app as create_sync_api


def create_app(database_url: str, settings: HqSettings | None = None) -> FastAPI:
    app = create_sync_api(database_url)
    mount_patient_app(app, settings or load_hq_settings())
    _run_flet_apps(app)
    return app


def _run_flet_apps(app: FastAPI) -> None:
    """Mounted Flet apps need Flet's session manager running for as long as the server runs."""
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(scope_app):
        await flet_fastapi.app_manager.start()
        async with inner(scope_app):
            yield
        await flet_fastapi.app_manager.shutdown()

    app.router.lifespan_context = lifespan
