"""`loyalty kiosk` opens the running station's kiosk in a browser's kiosk app mode: the real Chromium
it starts is reached over its debugging port (headless here: this machine has no screen)."""
from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager

import pytest
from websockets.sync.client import connect

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


def test_kiosk_command_opens_the_kiosk_full_screen_in_a_browser(tmp_path, artefacts):
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
            with devtools(debug_port, f"{base}/kiosk/") as tab:
                tab.wait_for("document.querySelector('flt-semantics-placeholder') !== null")
                tab.evaluate("document.querySelector('flt-semantics-placeholder').click()")
                tab.wait_for("[...document.querySelectorAll('flt-semantics')].some("
                             "e => e.textContent.includes('Halten Sie Ihren Code hierher')"
                             " || (e.getAttribute('aria-label') || '').includes('Halten Sie Ihren Code hierher'))")
                assert tab.evaluate("location.href") == f"{base}/kiosk/"
                (artefacts / "kiosk-window.png").write_bytes(tab.screenshot())
        finally:
            proc.terminate()
            proc.wait(timeout=20)
        assert window is not None and not os.path.exists(f"/proc/{window}")     # stopping the command closes it


@contextmanager
def devtools(port: int, url: str):
    """The page at `url` in the browser `loyalty kiosk` started, over its DevTools protocol.
    Playwright's connect_over_cdp hung now and then on this browser (its websocket connected, then
    nothing for two minutes, while the page itself answered plain protocol calls at once)."""
    deadline = time.monotonic() + APP_LOAD_TIMEOUT_MS / 1000
    while True:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as answer:
            pages = [t for t in json.load(answer) if t["type"] == "page" and t["url"] == url]
        if pages or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert pages, f"no page at {url} in the kiosk browser"
    with connect(pages[0]["webSocketDebuggerUrl"], max_size=None, open_timeout=30) as socket:
        yield Tab(socket)


class Tab:
    def __init__(self, socket):
        self.socket, self._id = socket, 0

    def call(self, method: str, **params) -> dict:
        self._id += 1
        self.socket.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:    # events the page sends meanwhile are skipped
            message = json.loads(self.socket.recv(timeout=60))
            if message.get("id") == self._id:
                assert "error" not in message, message["error"]
                return message["result"]

    def evaluate(self, expression: str):
        return self.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value")

    def wait_for(self, condition: str, timeout: float = APP_LOAD_TIMEOUT_MS / 1000) -> None:
        """Until `condition` holds in the page; an error meanwhile (no document yet) counts as not yet."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self.evaluate(condition):
                    return
            except AssertionError:
                pass
            assert time.monotonic() < deadline, f"not so within {timeout:.0f} s: {condition}"
            time.sleep(0.2)

    def screenshot(self) -> bytes:
        return base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"])


def _browser_pid(command_pid: int) -> int:
    """The browser process `loyalty kiosk` started (its child)."""
    children = open(f"/proc/{command_pid}/task/{command_pid}/children").read().split()
    assert children, "loyalty kiosk started no browser"
    return int(children[0])
