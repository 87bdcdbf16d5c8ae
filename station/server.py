"""The station process: kiosk and staff app as two Flet web apps in one server, one database."""
from __future__ import annotations

import logging

import flet.fastapi as flet_fastapi
import uvicorn
from starlette.responses import RedirectResponse

from loyalty.config import Config


def create_app(config: Config):
    """Both apps mounted under one FastAPI; the Flet web client is served locally (no CDN)."""
    from kiosk.app import make_kiosk
    from staff_app.app import make_staff_app

    app = flet_fastapi.FastAPI()

    @app.get("/")
    def index():
        return RedirectResponse("/staff/")

    app.mount("/kiosk", flet_fastapi.app(make_kiosk(config), no_cdn=True, app_name="Kiosk"))
    app.mount("/staff", flet_fastapi.app(make_staff_app(config), no_cdn=True, app_name="Staff"))
    return app


def serve(config: Config, host: str, port: int) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(config)
    print(f"kiosk:     http://{host}:{port}/kiosk/", flush=True)
    print(f"staff app: http://{host}:{port}/staff/  (demo: Chef / 1234, Empfang / 0000)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
