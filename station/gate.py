"""Who may open what when the station serves the clinic network.

The station PC itself (a loopback client) works as it always did. Everyone else: plain HTTP
answers with a redirect to HTTPS, except the pages a tablet needs before it trusts the station
and the endpoints that check their own token (unsubscribe links, the SMS provider's hook). Over
HTTPS a paired kiosk device opens the kiosk only, a paired desk device the staff app and its
downloads; an unpaired or revoked device sees the pairing page and nothing else.

An open app screen is watched too: within a second of its device being revoked it is sent to the
pairing page, and the app's WebSocket is refused from then on.
"""
from __future__ import annotations

import asyncio
import inspect
import ipaddress
import logging
import re
from contextvars import ContextVar
from typing import Any, Callable

import flet as ft
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection, Request
from starlette.responses import RedirectResponse, Response

from loyalty.config import Config
from loyalty.services import devices
from loyalty.services.network import station_link
from station import pairing

log = logging.getLogger(__name__)
OPEN_PATHS = ("/pair", "/trust", "/unsubscribe/", "/sms/inbound")
APP_PATHS = (("/kiosk", "kiosk"), ("/staff", "staff"), ("/download/", "staff"))
WATCH_SECONDS = 1.0
_HOST = re.compile(r"^[A-Za-z0-9.\-]{1,253}$|^\[[0-9A-Fa-f:.]+\]$")

# The paired device of the request being handled; a Flet session started from it keeps its value.
CURRENT_DEVICE: ContextVar[str | None] = ContextVar("loyalty_device", default=None)


def is_loopback(scope) -> bool:
    client = scope.get("client")
    try:
        return client is not None and ipaddress.ip_address(client[0]).is_loopback
    except ValueError:
        return False


class DeviceGate:
    """ASGI middleware in front of the whole station app (clinic network only)."""

    def __init__(self, app, config: Config):
        self.app = app
        self.config = config

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket") or is_loopback(scope):
            return await self.app(scope, receive, send)
        path = scope["path"]
        if path.startswith(OPEN_PATHS):
            return await self.app(scope, receive, send)
        if scope["scheme"] not in ("https", "wss"):
            return await self._refuse(scope, receive, send, self._to_https(scope))
        app_name = next((name for prefix, name in APP_PATHS if path == prefix or path.startswith(prefix + "/")
                         or (prefix.endswith("/") and path.startswith(prefix))), None)
        credential = HTTPConnection(scope).cookies.get(pairing.COOKIE)
        device = await run_in_threadpool(devices.device_for, credential)
        if device is None or not device.active:
            page = pairing.unpaired_page(Request(scope), self.config, revoked=device is not None, status=403)
            return await self._refuse(scope, receive, send, page)
        if app_name is None:
            if path == "/":
                return await RedirectResponse(f"/{devices.APPS[device.role]}/")(scope, receive, send)
            return await self.app(scope, receive, send)
        if not devices.may_open(device.role, app_name):
            return await self._refuse(scope, receive, send, pairing.wrong_app_page(Request(scope), self.config,
                                                                                   device.role))
        token = CURRENT_DEVICE.set(device.device_id)
        try:
            if scope["type"] == "http" and path in ("/kiosk/", "/staff/"):
                send = _renewing(send, credential)
            return await self.app(scope, receive, send)
        finally:
            CURRENT_DEVICE.reset(token)

    def _to_https(self, scope) -> RedirectResponse:
        host = HTTPConnection(scope).headers.get("host", "").rsplit(":", 1)[0] if scope.get("headers") else ""
        if host.count(":") and not host.startswith("["):     # a bare IPv6 address without its port
            host = ""
        if not _HOST.match(host or ""):
            host = ""
        base = f"https://{host}:{self.config.https_port}" if host else station_link(self.config).https_base
        query = scope.get("query_string", b"").decode("latin-1")
        return RedirectResponse(base + scope["path"] + (f"?{query}" if query else ""), status_code=307)

    @staticmethod
    async def _refuse(scope, receive, send, response) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        await response(scope, receive, send)


def _renewing(send, credential: str):
    """Send the device's cookie again with each page, so it never reaches the browser's age limit."""
    async def wrapped(message):
        if message["type"] == "http.response.start":
            cookie = Response()
            pairing.set_device_cookie(cookie, credential)
            headers = list(message.get("headers", []))
            headers += [(k, v) for k, v in cookie.raw_headers if k == b"set-cookie"]
            message = {**message, "headers": headers}
        await send(message)
    return wrapped


def guarded(main: Callable[[ft.Page], Any], app_name: str) -> Callable[[ft.Page], Any]:
    """The app's `main` (plain or async), watched while it runs on a paired device (loopback
    sessions have none)."""
    def watch(page: ft.Page) -> None:
        device = CURRENT_DEVICE.get()
        if device is not None:
            page.run_task(_watch, page, device, app_name)

    if inspect.iscoroutinefunction(main):
        async def run_async(page: ft.Page):
            watch(page)
            return await main(page)
        return run_async

    def run(page: ft.Page):
        watch(page)
        return main(page)
    return run


async def _watch(page: ft.Page, device: str, app_name: str) -> None:
    """Every second: is the device still paired for this app? If not, leave for the pairing page."""
    while True:
        await asyncio.sleep(WATCH_SECONDS)
        try:
            state = await asyncio.to_thread(devices.device_state, device)
        except Exception:      # a locked database now and then: look again in a second
            log.exception("device check failed")
            continue
        if state is None or not state.active or not devices.may_open(state.role, app_name):
            try:
                await ft.UrlLauncher().launch_url("/pair/", web_only_window_name="_self")
            except Exception:  # the tablet is not connected: its WebSocket is refused when it comes back
                pass
            return
