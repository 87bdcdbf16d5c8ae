"""The HQ server: the stations' sync API, and the web apps that live at HQ mounted beside it."""
from __future__ import annotations

import contextlib

import flet.fastapi as flet_fastapi
from fastapi import FastAPI

from hq.notifier import start_notifier
from hq.patients import mount_patient_app
from hq.settings import HqSettings, load_hq_settings
from sync.hq.app import create_app as create_sync_api


def create_app(database_url: str, settings: HqSettings | None = None) -> FastAPI:
    app = create_sync_api(database_url)
    postman = mount_patient_app(app, settings or load_hq_settings())
    _run_beside(app, postman)
    return app


def _run_beside(app: FastAPI, postman) -> None:
    """For as long as the server runs: Flet's session manager (mounted Flet apps need it) and the
    patients' app's notifier."""
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(scope_app):
        await flet_fastapi.app_manager.start()
        stop_notifier = start_notifier(postman)
        try:
            async with inner(scope_app):
                yield
        finally:
            stop_notifier()
            await flet_fastapi.app_manager.shutdown()

    app.router.lifespan_context = lifespan
