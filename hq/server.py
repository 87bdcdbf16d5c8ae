"""The HQ server: the stations' sync API, and the web apps that live at HQ mounted beside it."""
from __future__ import annotations

import contextlib
from typing import Callable

import flet.fastapi as flet_fastapi
from fastapi import FastAPI

from console.app import make_console
from hq.patients import UPLOADS, mount_patient_app
from hq.settings import HqSettings, load_hq_settings
from loyalty.adapters.flet_sessions import mend_lost_disconnects
from sync.hq.app import create_app as create_sync_api


def create_app(database_url: str, settings: HqSettings | None = None) -> FastAPI:
    mend_lost_disconnects()
    app = create_sync_api(database_url, wider_bodies=UPLOADS)
    start_notifier = mount_patient_app(app, settings or load_hq_settings())
    _run_beside(app, start_notifier)
    app.mount("/console", flet_fastapi.app(make_console(), no_cdn=True, app_name="HQ"))
    return app


def _run_beside(app: FastAPI, start_notifier: Callable[[], Callable[[], None]]) -> None:
    """For as long as the server runs (a mounted app's own lifespan never runs): Flet's session
    manager and the patients' app's notifier."""
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(application):
        await flet_fastapi.app_manager.start()
        stop_notifier = start_notifier()
        try:
            async with inner(application) as state:
                yield state
        finally:
            stop_notifier()
            await flet_fastapi.app_manager.shutdown()

    app.router.lifespan_context = lifespan
