"""Running the station server in its own process and driving it with headless Chromium.

See ../shared/BROWSER-TESTS.md: Debian's chromium through playwright (never `playwright install`),
the Flet web client served locally (no CDN), accessibility tree switched on before locating.
"""
from __future__ import annotations

import io
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import TimeoutError as PlaywrightTimeout

ROOT = Path(__file__).resolve().parent.parent
ARTEFACTS = ROOT / "artefacts"          # screenshots to look at, and what a failed wait saw
CHROMIUM = "/usr/bin/chromium"
# --disable-3d-apis: no WebGL, so Flutter's CanvasKit draws each page in software in the page's own
# process. With WebGL every page drew through SwiftShader in the one GPU process the whole run
# shares, and twice in about 1,600 pages a page stopped drawing and answering scripts in the middle
# of a test (a tap waited a minute for a frame, a blur ten minutes). Costs about 0.6 s per new page.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-3d-apis", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 120) -> None:
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
def station_database(home: Path):
    """A station's database opened from the test process beside the running station, as a second
    kiosk would write on it; parsed programs are forgotten after, since each station starts at version 1."""
    from loyalty.services import context
    from loyalty.store import close_database, open_database
    open_database(home / "loyalty.db")
    try:
        yield
    finally:
        close_database()
        context._parsed.cache_clear()


STATION_LOGS: list[Path] = []     # every station's log in this run; a failed test shows the fresh ones


def log_tails(since: float, lines: int = 40) -> list[tuple[str, str]]:
    """The last lines of each station log written since `since` (epoch seconds), as report
    sections for a failed test."""
    return [(f"station log {path.parent.name}", "\n".join(path.read_text(errors="replace").splitlines()[-lines:]))
            for path in STATION_LOGS if path.exists() and path.stat().st_mtime >= since]


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
    STATION_LOGS.append(home / "station.log")
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


# Waiting on state, with room for a 2-core machine busy with other jobs: measured with the load
# average at 50, a new page took 12 to 25 s to show its first button (1.3 s on an idle machine), so
# Playwright's 30 s for an action and 5 s for an assertion ran out. These are upper bounds only: a
# test goes on the moment the screen shows what it waits for.
EXPECT_TIMEOUT_MS = 30_000
ACTION_TIMEOUT_MS = 60_000
APP_LOAD_TIMEOUT_MS = 120_000
FIRST_FRAME_TIMEOUT_MS = 30_000
PAGE_ATTEMPTS = 3


@contextmanager
def chromium(playwright=None, args: tuple[str, ...] = (), env: dict[str, str] | None = None):
    """A headless Debian Chromium: launched from the given Playwright (the test session's one, see
    `playwright` in conftest.py) or from one of its own; `env` gives it its own HOME, for example.
    Assertions wait up to EXPECT_TIMEOUT_MS."""
    from playwright.sync_api import expect
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
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


def camera_args(video: Path) -> tuple[str, ...]:
    """Chromium's flags for a camera that plays `video` (y4m or MJPEG, looping) as its only camera.
    Flags are per launch, so a browser with a camera is a browser of its own; the person's answer
    to the browser's question is per context (`permissions=["camera"]` allowed, without it refused)."""
    return ("--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={video}")


def open_flet_page(browser, url: str, viewport=(1280, 800)):
    """A new page with the Flet app loaded, its accessibility tree on and the app's first screen in it
    (the kiosk, the staff app and the console start with a button), drawing frames.

    Flutter builds the tree once its placeholder is clicked; a click that reaches the placeholder
    before the engine listens is lost, and every later locator then waits in vain. So the click is
    repeated until the tree is there.

    Once in a few hundred pages of a long run (CI, staff sign-in), a page got its tree but never
    drew another frame: its first button stayed "not yet stable" for a full minute, since Playwright
    waits for two animation frames before it taps. Such a page is closed and the app opened again
    in a new one, and the run log says so.
    """
    for attempt in range(1, PAGE_ATTEMPTS + 1):
        page = _load_flet_page(browser, url, viewport)
        try:
            page.locator("flt-semantics-host flt-semantics[role=button]").first.click(
                trial=True, timeout=FIRST_FRAME_TIMEOUT_MS)
            return page
        except PlaywrightTimeout:
            if attempt == PAGE_ATTEMPTS:
                raise
            print(f"\n{url}: a new page drew no frame for {FIRST_FRAME_TIMEOUT_MS // 1000} s; opened again",
                  file=sys.stderr)
            page.close()


def _load_flet_page(browser, url: str, viewport):
    page = browser.new_page()          # a Browser or a BrowserContext (a paired tablet's, a device's tabs)
    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    page.set_default_timeout(ACTION_TIMEOUT_MS)
    load_flet_app(page, url)
    return page


def load_flet_app(page, url: str) -> None:
    """Load the app into this page (a phone's kept profile opens with its own tab) and switch its
    accessibility tree on, clicking the placeholder until the tree is there (see `open_flet_page`)."""
    page.goto(url)
    placeholder = page.locator("flt-semantics-placeholder")
    tree = page.locator("flt-semantics-host flt-semantics[role=button]").first
    deadline = time.monotonic() + APP_LOAD_TIMEOUT_MS / 1000
    placeholder.wait_for(state="attached", timeout=APP_LOAD_TIMEOUT_MS)
    while True:
        if placeholder.count():
            placeholder.dispatch_event("click")
        try:
            tree.wait_for(state="attached", timeout=5_000)
            return
        except PlaywrightTimeout:
            if time.monotonic() > deadline:
                raise


def load_after_autofocus(page, url: str) -> None:
    """Load the app and switch its accessibility tree on only once a field has taken its autofocus:
    the order a screen reader makes (it comes to a page already drawn), and the one a loaded
    machine made in whole runs."""
    page.goto(url)
    page.locator("input.flt-text-editing").wait_for(state="attached")
    page.locator("flt-semantics-placeholder").dispatch_event("click")


# The value of Flutter's own editing box when it holds the keyboard focus (else null): an app that
# focused a field before its accessibility tree was switched on (autofocus) keeps editing there.
OWN_EDITING_BOX = "(e => e && e.classList.contains('flt-text-editing') ? e.value : null)(document.activeElement)"


def type_in(page, label: str, text: str, keys: bool = False) -> None:
    """Type into a field as a person does and make sure the app has it. A tap that lands while the
    screen is redrawn gives the field no focus, and a fill while the focus moves can reach the
    browser's input box but not the app: so the value is read back once the field has lost the
    focus (it then shows what the app holds), and typed again until it is right. Keys go to the
    focused window, so the page is brought to the front first (two phones are two windows).

    `keys` presses the keys one by one in every try: the patients' app on a phone in a background
    window did not take a filled value. Otherwise the last two tries press keys: once, under a load
    of 12 on two cores, four fills in a row left a field empty. If the field does not take the text,
    the error says what each try saw, and a screenshot is kept in artefacts/."""
    box = page.get_by_role("textbox", name=re.compile("^" + re.escape(label)))
    seen = []
    for attempt in range(4):
        page.bring_to_front()
        box.click()
        missed = _typed(page, box, text, keys=keys or attempt >= 2)
        if missed is None:
            return
        seen.append(missed)
    shot = ARTEFACTS / f"type_in-failed-{re.sub(r'[^A-Za-z0-9]+', '-', label)}-{int(time.time())}.png"
    shot.parent.mkdir(exist_ok=True)
    page.screenshot(path=shot)
    raise AssertionError(f"the field {label!r} did not take {text!r}: {'; '.join(seen)} (screenshot {shot.name})")


def _typed(page, box, text: str, keys: bool) -> str | None:
    """One try at typing into the tapped field: None once the app holds the text, else what was seen."""
    from playwright.sync_api import expect
    try:
        expect(box).to_be_focused(timeout=10_000)
    except AssertionError:
        return _typed_in_own_box(page, text)
    if keys:
        _press_keys(page, text)
    else:
        box.fill(text)
    try:
        expect(box).to_have_value(text, timeout=10_000)
    except AssertionError:
        return f"value {box.input_value(timeout=5_000)!r}"
    held = app_holds(box, text)
    return None if held is None else f"the app holds {held!r}"


def app_holds(box, text: str) -> str | None:
    """None if the app, not only the browser's input box, holds `text`; else what it holds.

    A fill can reach the box while Flutter is not yet listening to it: the box then shows the text
    and the app has none (a whole run once signed in with an empty password while every box read
    right). So the box is emptied without telling the app and tapped again: Flutter then writes
    what it holds back into the box. The field is left without the focus, as a person leaves it."""
    from playwright.sync_api import expect
    box.evaluate("input => { input.blur(); input.value = ''; }")
    box.click()
    try:
        expect(box).to_have_value(text, timeout=10_000)
        return None
    except AssertionError:
        return box.input_value(timeout=5_000)
    finally:
        box.evaluate("input => input.blur()")


def _typed_in_own_box(page, text: str) -> str | None:
    """A page whose field took its autofocus before the accessibility tree was on (the sign-in of the
    console and of the patients' app, when the app drew faster than the tree was switched on) edits
    every field in Flutter's own box: the field's node never takes the focus and shows no value.
    There the keys go to that box and its value is what is checked."""
    if page.evaluate(OWN_EDITING_BOX) is None:
        return "no focus"
    _press_keys(page, text)
    try:
        page.wait_for_function(f"{OWN_EDITING_BOX} === {json.dumps(text)}", timeout=10_000)
        return None
    except PlaywrightTimeout:
        return f"Flutter's own box {page.evaluate(OWN_EDITING_BOX)!r}"


def _press_keys(page, text: str) -> None:
    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
    page.keyboard.type(text)


def pick(page, dropdown: str, option: str) -> None:
    """Open the dropdown whose name starts with `dropdown` and pick `option`; the menu closing
    afterwards means the choice was taken."""
    from playwright.sync_api import expect
    item = page.get_by_role("button", name=option, exact=True)
    tap_until(page.get_by_role("button", name=re.compile("^" + re.escape(dropdown))), item)
    item.click()
    expect(item).to_have_count(0)


FRAMES = "n => new Promise(done => { const next = k => k ? requestAnimationFrame(() => next(k - 1)) : done(); " \
         "next(n); })"   # let n animation frames pass


def tap_until(target, shown, tries: int = 3) -> None:
    """Tap `target` until `shown` is on screen: a tap that lands while the screen is redrawn (a
    result list replaced as the search runs, a filter menu after the last choice) is lost. Tapped
    again only after a long wait, so a tap that was merely slow is not made twice."""
    from playwright.sync_api import expect
    for _ in range(tries):
        target.click()
        try:
            expect(shown).to_be_visible()
            return
        except AssertionError:
            continue
    expect(shown).to_be_visible()


def switch_language(page, to: str) -> None:
    """Switch the app to English or German with its button in the top bar. The switch is done
    once the button offers the way back; a tap in the frames after a new window size can be lost
    (a fresh run's switch after a phone-size picture never came), so it is tapped again then."""
    back = {"English": "Deutsch", "Deutsch": "English"}[to]
    tap_until(page.get_by_role("button", name=to, exact=True), page.get_by_role("button", name=back, exact=True))


def shot(page, path, tries: int = 40) -> None:
    """A screenshot of what a person sees once the screen has settled: the accessibility tree runs
    ahead of the canvas (the first frames of a new page are empty), and a dialog fades in or a
    scrolled column glides for a few frames after its nodes are there. Two pictures in a row that
    match and are not one flat colour mean it is drawn and nothing moves any more (a blinking
    cursor can make one pair differ, so more pairs are tried). A live camera picture never holds
    still: then the last of `tries` is kept."""
    from PIL import Image
    picture = page.screenshot()
    for _ in range(tries):
        page.evaluate(FRAMES, 2)
        again = page.screenshot()
        low, high = Image.open(io.BytesIO(again)).convert("L").getextrema()
        if again == picture and low != high:
            break
        picture = again
    Path(path).write_bytes(picture)


def resize(page, width: int, height: int) -> None:
    """A new window size, once Flutter has laid the page out for it (its root node takes the size)."""
    page.set_viewport_size({"width": width, "height": height})
    page.wait_for_function(
        """([w, h]) => { const root = document.querySelector("flt-semantics-host > flt-semantics");
                         return root && root.style.width === w + "px" && root.style.height === h + "px"; }""",
        arg=[width, height])


def wait_until(condition, page, timeout_s: float = 30.0) -> None:
    """Poll a condition on what the page shows (a box that moves, a list that grows) until it holds."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the page did not get there in time")
        page.wait_for_timeout(50)
