"""The station's and HQ's Flet pages hear that their browser left even when the last message to
it failed (flet-web 1.0.5 skips the disconnect then; see loyalty/adapters/flet_sessions.py).

The real `FletApp.handle` runs against a WebSocket that opens a session like the browser does and
then goes away, the screen's first message failing on the closed socket."""
from __future__ import annotations

import asyncio
import threading

import msgpack
import pytest
from fastapi import WebSocketDisconnect
from flet_web.fastapi import flet_app
from starlette.datastructures import URL

from loyalty.adapters.flet_sessions import mend_lost_disconnects


class LeavingBrowser:
    """Registers as a new client, then is gone: every send fails, the next receive says so."""
    client = None
    headers: dict[str, str] = {}
    cookies: dict[str, str] = {}
    url = URL("ws://station/kiosk/ws")

    def __init__(self) -> None:
        self.registered = False

    async def accept(self) -> None:
        pass

    async def receive_bytes(self) -> bytes:
        if not self.registered:
            self.registered = True
            register = [1, {"session_id": None, "page_name": "kiosk", "page": {
                "route": "/", "width": 1280, "height": 800, "platform": "linux", "platform_brightness": "light",
                "media": {}, "multi_view": False, "pwa": False, "web": True, "debug": False, "wasm": False,
                "test": False}}]
            return b"\x00" + msgpack.packb(register)
        raise WebSocketDisconnect(1006)   # the page's first screen is queued by now: its send fails

    async def send_bytes(self, data: bytes) -> None:
        raise RuntimeError("the browser is gone")


@pytest.fixture
def sessions(monkeypatch):
    left: list[str] = []

    async def disconnect_session(session_id: str, timeout: int) -> None:
        left.append(session_id)
    monkeypatch.setattr(flet_app.app_manager, "disconnect_session", disconnect_session)
    return left


def _serve(main) -> None:
    async def run() -> None:
        app = flet_app.FletApp(asyncio.get_running_loop(), flet_app.app_manager.executor, main, None)
        try:
            await asyncio.wait_for(app.handle(LeavingBrowser()), 10)
        except RuntimeError:
            pass
    worker = threading.Thread(target=asyncio.run, args=(run(),))   # the test run's Playwright holds a loop here
    worker.start()
    worker.join()


def test_a_browser_that_left_while_its_screen_was_sent_ends_its_session(sessions, monkeypatch):
    monkeypatch.setattr(flet_app.FletApp, "handle", flet_app.FletApp.handle)   # restored after the test
    mend_lost_disconnects()

    async def main(page) -> None:
        page.title = "Kiosk"
        page.update()
    _serve(main)
    assert len(sessions) == 1
