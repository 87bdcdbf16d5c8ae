"""`loyalty kiosk`: the kiosk full-screen on a PC with a screen at the counter, in one command.

With `flet-desktop` installed the kiosk runs as a Flet desktop window on this PC's database (as
`loyalty run --apps kiosk` would, beside a running station). Otherwise an installed Chromium,
Chrome or Edge opens the running station's kiosk in kiosk app mode: full-screen, no address bar,
its own profile (so it remembers the camera permission once granted and never restores tabs).
"""
from __future__ import annotations

import importlib.util
import os
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from loyalty.config import Config

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "microsoft-edge",
            "microsoft-edge-stable", "msedge", "chrome")
INSTALLED = (r"%ProgramFiles%\Google\Chrome\Application\chrome.exe",
             r"%ProgramFiles(x86)%\Google\Chrome\Application\chrome.exe",
             r"%ProgramFiles(x86)%\Microsoft\Edge\Application\msedge.exe",
             r"%ProgramFiles%\Microsoft\Edge\Application\msedge.exe",
             "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
             "/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge")
KIOSK_FLAGS = ("--kiosk", "--no-first-run", "--noerrdialogs", "--disable-session-crashed-bubble",
               "--disable-infobars", "--overscroll-history-navigation=0", "--disable-pinch",
               "--disable-features=Translate")


class NoWindow(Exception):
    """Neither flet-desktop nor a Chromium-family browser is installed."""


def find_browser() -> str | None:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    for path in INSTALLED:
        expanded = os.path.expandvars(path)
        if Path(expanded).is_file():
            return expanded
    return None


def browser_command(browser: str, url: str, profile: Path) -> list[str]:
    """The browser in kiosk app mode on `url`; LOYALTY_KIOSK_BROWSER_ARGS adds flags of the site's own."""
    extra = shlex.split(os.environ.get("LOYALTY_KIOSK_BROWSER_ARGS", ""))
    return [browser, *KIOSK_FLAGS, f"--user-data-dir={profile}", *extra, f"--app={url}"]


def open_kiosk(config: Config, url: str | None = None, browser: str | None = None) -> int:
    """Open the kiosk full-screen and wait until the window is closed; returns the exit code."""
    if browser is None and url is None and importlib.util.find_spec("flet_desktop") is not None:
        return _desktop_window(config)
    browser = browser or os.environ.get("LOYALTY_KIOSK_BROWSER") or find_browser()
    if browser is None:
        raise NoWindow("no flet-desktop and no Chromium, Chrome or Edge found: install one of them, "
                       "or open the kiosk address in any browser")
    profile = config.home / "kiosk-browser"
    profile.mkdir(parents=True, exist_ok=True)
    target = url or f"http://127.0.0.1:{config.port}/kiosk/"
    window = subprocess.Popen(browser_command(browser, target, profile))
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))   # so `finally` closes it
    try:
        return window.wait()
    finally:
        if window.poll() is None:      # this command was stopped: the window goes with it
            window.terminate()
            try:
                window.wait(timeout=10)
            except subprocess.TimeoutExpired:
                window.kill()


def _desktop_window(config: Config) -> int:
    import flet as ft

    from kiosk.app import make_kiosk
    from loyalty.store import open_database
    open_database(config.db_path)
    kiosk = make_kiosk(config)

    async def main(page: ft.Page) -> None:
        page.window.full_screen = True
        await kiosk(page)

    ft.run(main, view=ft.AppView.FLET_APP)
    return 0
