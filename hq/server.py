"""The HQ server: the stations' sync API, and the web apps that live at HQ mounted beside it."""
from __future__ import annotations

import contextlib
from typing import Callable

import flet.fastapi as flet_fastapi
from fastapi import FastAPI

from hq.patients import mount_patient_app
from hq.settings import HqSettings, load_hq_settings
from sync.hq.app import create_app as create_sync_api


def create_app(database_url: str, settings: HqSettings | None = None) -> FastAPI:
    app = create_sync_api(database_url)
    start_notifier = mount_patient_app(app, settings or load_hq_settings())
    _run_beside(app, start_notifier)
    return app


def _run_beside(app: FastAPI, start_notifier: Callable[[], Callable[[], None]]) -> None:
    """For as long as the server runs: Flet's session manager (mounted Flet apps need it) and the
    patients' app's notifier."""
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(scope_app):
        await flet_fastapi.app_manager.start()
        stop_notifier = start_notifier()
        try:
            async with inner(scope_app):
                yield
        finally:
            stop_notifier()
            await flet_fastapi.app_manager.shutdown()

    app.router.lifespan_context = lifespan
