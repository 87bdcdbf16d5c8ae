"""A browser that goes away while Flet is sending to it must still end its page's session.

In flet-web 1.0.5, `FletApp.handle` waits for its send loop after the receive loop has ended; when
the last send failed (the tab was closed while a screen was being drawn), that wait raises and
`handle` returns before it disconnects the session. The page then never hears `on_disconnect` or
`on_close` and lives on: in the kiosk tests' station log a page closed during a welcome stayed
registered with the station camera, took the next patient's check-in as a second screen, and kept
the camera paused for that welcome's whole time, so a friend's code at the join form went unread.
`mend_lost_disconnects()` makes `handle` disconnect the session whatever way it ends.
"""
from __future__ import annotations

import logging

from flet_web.fastapi import flet_app

log = logging.getLogger(__name__)


def mend_lost_disconnects() -> None:
    """Wrap `FletApp.handle` once per process (station and HQ call it at start-up)."""
    original = flet_app.FletApp.handle
    if getattr(original, "mended", False):
        return

    async def handle(app: flet_app.FletApp, websocket) -> None:
        try:
            await original(app, websocket)
        except Exception:
            session = app._FletApp__session
            if session is None:
                raise
            log.info("browser went away while a screen was sent; its session ends now")
            await flet_app.app_manager.disconnect_session(app._FletApp__get_unique_session_id(session.id),
                                                          app._FletApp__session_timeout_seconds)

    handle.mended = True
    flet_app.FletApp.handle = handle
