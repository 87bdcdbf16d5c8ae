"""`loyalty kiosk` opens the running station's kiosk in a browser's kiosk app mode: the real Chromium
it starts is reached over its debugging port (headless here: this machine has no screen)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.browser import APP_LOAD_TIMEOUT_MS, CHROMIUM, ROOT, free_port, station_process

pytestmark = pytest.mark.browser


def wait_for_debugger(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/version", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError("the kiosk browser did not start")


def test_kiosk_command_opens_the_kiosk_full_screen_in_a_browser(playwright, tmp_path, artefacts):
    with station_process(tmp_path, apps="kiosk") as base:
        debug_port = free_port()
        env = {**os.environ, "LOYALTY_HOME": str(tmp_path), "LOYALTY_PORT": base.rsplit(":", 1)[1],
               "LOYALTY_KIOSK_BROWSER_ARGS": f"--headless=new --no-sandbox --remote-debugging-port={debug_port}"}
        env.pop("LOYALTY_DB", None)
        proc = subprocess.Popen([sys.executable, "-m", "station.cli", "kiosk", "--browser", CHROMIUM], env=env,
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        window = None
        try:
            wait_for_debugger(debug_port, proc)
            window = _browser_pid(proc.pid)
            launched = open(f"/proc/{window}/cmdline", "rb").read().split(b"\0")
            assert b"--kiosk" in launched and f"--app={base}/kiosk/".encode() in launched
            assert f"--user-data-dir={tmp_path / 'kiosk-browser'}".encode() in launched
            browser = playwright.chromium.connect_over_cdp(f"http://127.0.0.1:{debug_port}",
                                                           timeout=APP_LOAD_TIMEOUT_MS)  # a loaded machine
            page = browser.contexts[0].pages[0]
            page.wait_for_selector("flt-semantics-placeholder", state="attached", timeout=60_000)
            page.locator("flt-semantics-placeholder").dispatch_event("click")
            expect(page.get_by_text("Halten Sie Ihren Code hierher").first).to_be_visible(timeout=30_000)
            assert page.url == f"{base}/kiosk/"
            page.screenshot(path=artefacts / "kiosk-window.png")
            browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=20)
        assert window is not None and not os.path.exists(f"/proc/{window}")     # stopping the command closes it


def _browser_pid(command_pid: int) -> int:
    """The browser process `loyalty kiosk` started (its child)."""
    children = open(f"/proc/{command_pid}/task/{command_pid}/children").read().split()
    assert children, "loyalty kiosk started no browser"
    return int(children[0])
