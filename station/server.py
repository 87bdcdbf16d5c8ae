"""The station process: kiosk and staff app as two Flet web apps in one server, one database.

By default it listens on this PC only (127.0.0.1, plain HTTP). With the clinic network on
(`[network] mode = "clinic"` or `loyalty run --network clinic`) it also serves tablets: HTTPS on
`https_port` with the station's certificate, plain HTTP on `port` only for the pairing pages and a
redirect, paired devices checked by `station.gate`, and `<name>.local` announced over mDNS.
"""
from __future__ import annotations

import asyncio
import dataclasses
import logging
import signal
from contextlib import contextmanager

import flet.fastapi as flet_fastapi
import uvicorn
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from loyalty.adapters.camera_share import CameraShare
from loyalty.adapters.flet_sessions import mend_lost_disconnects
from loyalty.config import Config
from loyalty.i18n import t
from loyalty.services import network
from loyalty.services.station import is_demo
from station.gate import DeviceGate, guarded
from sync.body_limit import BodyLimit

APPS = ("kiosk", "staff")
ANY_ADDRESS = "0.0.0.0"
MAX_BODY_BYTES = 64 * 1024    # the only bodies posted here are the SMS provider's replies (well under 1 KB)
log = logging.getLogger(__name__)


def create_app(config: Config, apps: tuple[str, ...] = APPS):
    """The chosen apps mounted under one FastAPI; the Flet web client is served locally (no CDN).

    Both apps by default, sharing one database and live events; a counter machine that only shows
    the kiosk runs `loyalty run --apps kiosk`.
    """
    mend_lost_disconnects()
    app = flet_fastapi.FastAPI()
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES)
    share = CameraShare()   # a kiosk tab lends its tablet camera to the staff-app tab of the same browser

    if "kiosk" in apps:
        from kiosk.app import make_kiosk
        app.mount("/kiosk", flet_fastapi.app(guarded(make_kiosk(config, share), "kiosk"), no_cdn=True,
                                             app_name="Kiosk"))
    if "staff" in apps:
        from staff_app.app import make_staff_app
        app.mount("/staff", flet_fastapi.app(guarded(make_staff_app(config, share), "staff"), no_cdn=True,
                                             app_name="Staff"))

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
    if config.clinic_network:
        from station.pairing import add_pairing_routes
        add_pairing_routes(app, config)
        app.add_middleware(DeviceGate, config=config)

    @app.get("/")
    def index():
        return RedirectResponse("/staff/" if "staff" in apps else "/kiosk/")

    return app


def serve(config: Config, host: str, port: int, apps: tuple[str, ...] = APPS) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    certificate = network.server_certificate(config) if config.clinic_network else None
    app = create_app(config, apps)
    from sync.worker import start_worker
    stop_sync = start_worker(config)     # background HQ sync once the station has joined an HQ
    from station.scheduler import start_scheduler
    stop_scheduler = start_scheduler(config)
    announcement = None
    try:
        if certificate is None:
            print_addresses(config, host, port, apps)
            uvicorn.run(app, host=host, port=port, log_level="warning")
            return
        link = network.station_link(config)
        host_name = network.mdns_host(config)
        if host_name and link.address:
            from loyalty.adapters.lan import announce
            try:
                announcement = announce(host_name.removesuffix(".local"), link.address, config.https_port,
                                        f"Loyalty {host_name.removesuffix('.local')}")
            except OSError as exc:     # no multicast on this network: tablets use the address instead
                log.warning("mDNS: %s could not be announced: %s", host_name, exc)
        for left_out in certificate.left_out:
            log.warning("certificate: the station's CA may not vouch for %s; tablets cannot use it", left_out)
        if announcement is None:
            link = dataclasses.replace(link, mdns_host=None)
        print_addresses(config, "127.0.0.1", port, apps, link)
        asyncio.run(_serve_clinic(app, port, config.https_port, certificate))
    finally:
        if announcement is not None:
            announcement.close()
        stop_scheduler()
        stop_sync.stop()


def print_addresses(config: Config, host: str, port: int, apps: tuple[str, ...],
                    link: network.StationLink | None = None) -> None:
    """What a person needs to open the apps: on this PC, and from a tablet on the clinic network."""
    lang = config.language
    lines = [t("cli.kiosk_at" if app_name == "kiosk" else "cli.staff_at", lang, url=f"http://{host}:{port}/{app_name}/")
             for app_name in apps]
    if link is not None:
        also = t("cli.tablets_or", lang, url=f"https://{link.mdns_host}:{config.https_port}/") if link.mdns_host else ""
        lines.append(t("cli.tablets_at", lang, url=f"{link.https_base}/") + also)
        lines.append(t("cli.pair_hint", lang, url=link.pair_base))
        if link.fingerprint:
            lines.append(t("cli.fingerprint", lang, fingerprint=link.fingerprint))
    else:
        lines.append(t("cli.tablets_off", lang))
    if is_demo():
        lines.append(t("cli.demo_sign_ins", lang))
    print("\n".join(lines), flush=True)


class _Server(uvicorn.Server):
    """One of the two servers of the clinic network; the signals are handled once for both."""

    @contextmanager
    def capture_signals(self):
        yield


async def _serve_clinic(app, port: int, https_port: int, certificate) -> None:
    """Plain HTTP (this PC, pairing pages, redirects) and HTTPS (tablets) on one event loop."""
    servers = [
        _Server(uvicorn.Config(app, host=ANY_ADDRESS, port=port, log_level="warning")),
        _Server(uvicorn.Config(app, host=ANY_ADDRESS, port=https_port, log_level="warning", lifespan="off",
                               ssl_certfile=str(certificate.cert_file), ssl_keyfile=str(certificate.key_file))),
    ]
    loop = asyncio.get_running_loop()

    def stop() -> None:
        for server in servers:
            server.should_exit = True
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
    await asyncio.gather(*(server.serve() for server in servers))
