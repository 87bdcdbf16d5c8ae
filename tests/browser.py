"""Running the station server in its own process and driving it with headless Chromium.

See ../shared/BROWSER-TESTS.md: Debian's chromium through playwright (never `playwright install`),
the Flet web client served locally (no CDN), accessibility tree switched on before locating.
"""
from __future__ import annotations

import os
import re
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


def launch(playwright, camera: Path | None = None):
    """Debian's Chromium; with `camera`, that video file (y4m or MJPEG, looping) is its only camera.

    The camera is a launch flag, so a browser with a camera is a browser of its own: one Playwright
    instance launches as many as needed (the sync API allows one Playwright instance per thread).
    Permission to use the camera is given per context (`permissions=["camera"]`), as a person
    answers the browser's question per site; a context without it is refused.
    """
    args = list(CHROMIUM_ARGS)
    if camera is not None:
        args += ["--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={camera}"]
    return playwright.chromium.launch(executable_path=CHROMIUM, args=args)


@contextmanager
def chromium(camera: Path | None = None):
    """A Playwright instance and one browser, for scripts (bench); tests use the session fixtures."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        browser = launch(pw, camera)
        try:
            yield browser
        finally:
            browser.close()


def open_flet_page(browser, url: str, viewport=(1280, 800)):
    """A new page with the Flet app loaded and its accessibility tree on. `browser` may also be a
    browser context (pages of one context share the browser's storage, as tabs of one device do)."""
    if hasattr(browser, "new_context"):
        page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    else:
        page = browser.new_page()
        page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    page.goto(url)
    page.wait_for_selector("flt-semantics-placeholder", state="attached", timeout=60_000)
    page.locator("flt-semantics-placeholder").dispatch_event("click")
    return page


FRAMES = "n => new Promise(done => { const next = k => k ? requestAnimationFrame(() => next(k - 1)) : done(); " \
         "next(n); })"   # let n animation frames pass


def shot(page, path, tries: int = 12) -> None:
    """Screenshot once Flutter's canvas has caught up: the accessibility tree can be ahead of it by
    many frames (the canvas is drawn in software here, and text may wait for a fallback font), so
    let 20 frames pass, then wait until two pictures in a row are the same. A live camera picture
    never holds still; then the last of `tries` is kept."""
    last = None
    page.evaluate(FRAMES, 20)
    for _ in range(tries):
        page.evaluate(FRAMES, 2)
        picture = page.screenshot()
        if picture == last:
            break
        last = picture
    Path(path).write_bytes(last)


def resize(page, width: int, height: int) -> None:
    """Change the window size and wait until the kiosk has scaled its screen to it (on the server's
    resize event): every labelled node inside the window, and together spanning most of its width
    or height, as the scaled 1200x720 design does."""
    page.set_viewport_size({"width": width, "height": height})
    page.wait_for_function(
        """([w, h]) => {
             const boxes = [...document.querySelectorAll('flt-semantics')].map(e => e.getBoundingClientRect())
                                                                             .filter(r => r.width > 0);
             if (!boxes.length) return false;
             const left = Math.min(...boxes.map(r => r.left)), right = Math.max(...boxes.map(r => r.right));
             const top = Math.min(...boxes.map(r => r.top)), bottom = Math.max(...boxes.map(r => r.bottom));
             const inside = left >= -1 && top >= -1 && right <= w + 1 && bottom <= h + 1;
             return inside && (right - left >= 0.75 * w || bottom - top >= 0.75 * h);
           }""", arg=[width, height])


def pick(page, dropdown: str, option: str) -> None:
    """Open the dropdown whose name starts with `dropdown` and pick `option`; a tap that lands while
    the screen redraws is lost, so open it again until the choice is there."""
    from playwright.sync_api import expect
    item = page.get_by_role("button", name=option, exact=True)
    for _ in range(3):
        page.get_by_role("button", name=re.compile("^" + re.escape(dropdown))).click()
        try:
            expect(item).to_be_visible(timeout=3000)
            break
        except AssertionError:
            page.wait_for_timeout(300)
    item.click()

