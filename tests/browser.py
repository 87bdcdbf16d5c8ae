"""Running the station server in its own process and driving it with headless Chromium.

See ../shared/BROWSER-TESTS.md: Debian's chromium through playwright (never `playwright install`),
the Flet web client served locally (no CDN), accessibility tree switched on before locating.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


@contextmanager
def station_process(home: Path, env: dict[str, str] | None = None, demo: bool = True,
                    apps: str = "kiosk,staff"):
    """`loyalty run --apps APPS` on a free port with its own LOYALTY_HOME; yields the base URL."""
    port = free_port()
    environ = {**os.environ, "LOYALTY_HOME": str(home), "LOYALTY_PORT": str(port),
               "LOYALTY_HOST": "127.0.0.1", **(env or {})}
    environ.pop("LOYALTY_DB", None)
    if demo:
        subprocess.run([sys.executable, "-m", "station.cli", "demo", "--if-empty"], env=environ, cwd=ROOT,
                       check=True, capture_output=True)
    log = open(home / "station.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "station.cli", "run", "--apps", apps], env=environ,
                            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_http(f"http://127.0.0.1:{port}/{apps.split(',')[0]}/")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@contextmanager
def chromium(playwright=None, args: tuple[str, ...] = (), env: dict[str, str] | None = None):
    """A headless Debian Chromium: launched from the given Playwright (the test session's one, see
    `playwright` in conftest.py) or from one of its own; `env` gives it its own HOME, for example."""
    if playwright is None:
        from playwright.sync_api import sync_playwright
        with sync_playwright() as own, chromium(own, args, env) as browser:
            yield browser
        return
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *args], env=env)
    try:
        yield browser
    finally:
        browser.close()


def open_flet_page(browser, url: str, viewport=(1280, 800)):
    """A new page with the Flet app loaded and its accessibility tree on."""
    page = browser.new_page()          # a Browser or a BrowserContext (a paired tablet's)
    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    page.goto(url)
    page.wait_for_selector("flt-semantics-placeholder", state="attached", timeout=60_000)
    page.locator("flt-semantics-placeholder").dispatch_event("click")
    return page


def settled_screenshot(page, path) -> None:
    """A screenshot once the canvas has caught up with the accessibility tree a test just read: on a
    busy machine Flutter's picture lags it by several frames, so wait until two pictures a frame
    apart are the same."""
    last = None
    for _attempt in range(40):
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        picture = page.screenshot()
        if picture == last:
            break
        last = picture
    Path(path).write_bytes(picture)
