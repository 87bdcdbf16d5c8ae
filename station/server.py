"""The station process: kiosk and staff app as two Flet web apps in one server, one database."""
from __future__ import annotations

import logging

import flet.fastapi as flet_fastapi
import uvicorn
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from loyalty.adapters.camera_share import CameraShare
from loyalty.config import Config

APPS = ("kiosk", "staff")


def create_app(config: Config, apps: tuple[str, ...] = APPS):
    """The chosen apps mounted under one FastAPI; the Flet web client is served locally (no CDN).

    Both apps by default, sharing one database and live events; a counter machine that only shows
    the kiosk runs `loyalty run --apps kiosk`.
    """
    app = flet_fastapi.FastAPI()
    share = CameraShare()   # a kiosk tab lends its tablet camera to the staff-app tab of the same browser

    if "kiosk" in apps:
        from kiosk.app import make_kiosk
        app.mount("/kiosk", flet_fastapi.app(make_kiosk(config, share), no_cdn=True, app_name="Kiosk"))
    if "staff" in apps:
        from staff_app.app import make_staff_app
        app.mount("/staff", flet_fastapi.app(make_staff_app(config, share), no_cdn=True, app_name="Staff"))

        @app.get("/download/{token}")
        def download(token: str):
            """One-time links for files the staff app offers (GDPR export, card PDF, CSV lists)."""
            from staff_app.downloads import take
            offered = take(token)
            if offered is None:
                return PlainTextResponse("This download link is used up or expired.", status_code=404)
            return Response(offered.data, media_type=offered.media_type,
                            headers={"Content-Disposition": f'attachment; filename="{offered.filename}"'})

    from station.messages import add_message_routes
    add_message_routes(app, config)

    @app.get("/")
    def index():
        return RedirectResponse("/staff/" if "staff" in apps else "/kiosk/")

    return app


def serve(config: Config, host: str, port: int, apps: tuple[str, ...] = APPS) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(config, apps)
    from sync.worker import start_worker
    stop_sync = start_worker(config)     # background HQ sync; a no-op without [hq] in station.toml
    if "kiosk" in apps:
        print(f"kiosk:     http://{host}:{port}/kiosk/", flush=True)
    if "staff" in apps:
        print(f"staff app: http://{host}:{port}/staff/  (demo: Chef / 1234, Empfang / 0000)", flush=True)
    from station.scheduler import start_scheduler
    stop_scheduler = start_scheduler(config)
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        stop_scheduler()
        stop_sync.stop()
