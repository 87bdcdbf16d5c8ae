"""One browser, one camera: the kiosk tab lends its camera's next read to the staff-app tab.

A counter PC or tablet may show the kiosk and the staff app side by side in one browser. A browser
may give a camera to one tab at a time (tablets commonly do), so the staff app's "scan card" must
not open the camera while the kiosk reads it: it borrows the kiosk's next accepted code instead.

Browsers are told apart by an id kept in the browser's own storage (`browser_id()`): the kiosk
and the staff app are served from one address, so their tabs share it. The station process holds
one CameraShare for both apps.
"""
from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

import flet as ft

BROWSER_KEY = "loyalty.browser"

Borrower = Callable[[str | None], None]
"""Gets the code the kiosk read, or None when the kiosk stopped reading (then open your own camera)."""


async def browser_id() -> str:
    """This browser's id, made on first use; call it from a task of the page (flet's context)."""
    prefs = ft.SharedPreferences()
    value = await prefs.get(BROWSER_KEY)
    if not isinstance(value, str) or not value:
        value = uuid.uuid4().hex
        await prefs.set(BROWSER_KEY, value)
    return value


class CameraShare:
    """Which browsers have a kiosk reading their camera, and who borrowed the next read."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders: dict[str, int] = {}
        self._borrowers: dict[str, list[Borrower]] = {}

    def hold(self, browser: str) -> Callable[[], None]:
        """The kiosk reads this browser's camera until the returned release is called; borrowers
        left waiting when the last kiosk lets go are told None."""
        with self._lock:
            self._holders[browser] = self._holders.get(browser, 0) + 1
        released = False

        def release() -> None:
            nonlocal released
            with self._lock:
                if released:
                    return
                released = True
                left = self._holders[browser] - 1
                if left:
                    self._holders[browser] = left
                    return
                del self._holders[browser]
                waiting = self._borrowers.pop(browser, [])
            for borrower in waiting:
                borrower(None)
        return release

    def in_use(self, browser: str) -> bool:
        with self._lock:
            return browser in self._holders

    def borrow(self, browser: str, borrower: Borrower) -> Callable[[], None] | None:
        """Have the kiosk's next accepted code; None when no kiosk reads this browser's camera.
        Returns the function that cancels the wait."""
        with self._lock:
            if browser not in self._holders:
                return None
            self._borrowers.setdefault(browser, []).append(borrower)

        def cancel() -> None:
            with self._lock:
                waiting = self._borrowers.get(browser, [])
                if borrower in waiting:
                    waiting.remove(borrower)
                if not waiting:
                    self._borrowers.pop(browser, None)
        return cancel

    def lent(self, browser: str) -> bool:
        with self._lock:
            return bool(self._borrowers.get(browser))

    def hand_over(self, browser: str, code: str) -> bool:
        """Give `code` to everyone waiting for it (each staff tab that asked), once; True when
        it went to a borrower instead of the kiosk."""
        with self._lock:
            waiting = self._borrowers.pop(browser, [])
        for borrower in waiting:
            borrower(code)
        return bool(waiting)
