"""The tablets' own cameras end to end: one station (kiosk and staff app, no station camera), and
per test a Chromium of its own whose camera plays a video made by tests/fake_camera.py.

`clinic_camera_station` is that station on the clinic network (HTTPS at this machine's own address,
tests/lan.py), where a tablet trusts the station's CA and is paired before it may open an app, as
in a clinic. `camera_station` serves plain http on every address: http://127.0.0.1 is a secure
context too, and its own network address over http is the insecure case the kiosk must explain.

A browser context is one device: its pages are tabs that share the device's storage (and so
the id the kiosk and the staff app tell the browser by); a context without the camera
permission is a browser where the person refused the camera.
"""
from __future__ import annotations

import select
import socket
import socketserver
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from loyalty import clock
from loyalty.services import Actor, card_png, check_in, context, device_id, enroll
from loyalty.services.checkin import CHECKED_IN
from loyalty.store import close_database, open_database
from tests import fake_camera
from tests.browser import camera_args, open_flet_page, station_process
from tests.lan import ClinicStation, clinic_station, pair, trusting_chromium
from tests.staff.conftest import prepare_home, sign_in_as

TABLET = {"width": 1280, "height": 800}
# Counts the page's camera requests, so a test can tell whether a tab opened the camera itself.
COUNT_CAMERA_REQUESTS = """
window.cameraRequests = 0;
if (navigator.mediaDevices) {
  const ask = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = (constraints) => { window.cameraRequests += 1; return ask(constraints); };
}
"""
# What a browser sees when a USB camera is unplugged: its video track ends and the picture freezes.
UNPLUG = """() => {
  let ended = 0;
  for (const video of document.querySelectorAll('video')) {
    for (const track of (video.srcObject ? video.srcObject.getVideoTracks() : [])) {
      track.stop(); track.dispatchEvent(new Event('ended')); ended += 1;
    }
  }
  return ended;
}"""
CAMERA_PLAYING = "() => [...document.querySelectorAll('video')].some(v => v.readyState >= 2 && !v.paused)"


@dataclass
class CameraStation:
    base: str
    home: Path
    clinic: ClinicStation | None = None      # on the clinic network: its CA and pairing links

    @property
    def kiosk(self) -> str:
        return f"{self.base}/kiosk/"

    @property
    def staff(self) -> str:
        return f"{self.base}/staff/"

    @contextmanager
    def db(self):
        """The station's SQLite file, opened from the test process beside the running station."""
        open_database(self.home / "loyalty.db")
        try:
            yield
        finally:
            close_database()
            context._parsed.cache_clear()

    def new_patient(self, first_name: str) -> str:
        """A patient who joined just now; returns their card's code."""
        with self.db():
            result = enroll(first_name, Actor(device_id()), email=f"{first_name.lower()}@example.org",
                            consent_program=True, age_confirmed=True)
            return result.card_token

    def returning_patient(self, first_name: str) -> str:
        """A patient who joined and came three weeks ago; returns their card's code."""
        past = clock.MovableClock(clock.now() - timedelta(days=21))
        clock.set_source(past)
        try:
            token = self.new_patient(first_name)
            with self.db():
                assert check_in(token, Actor(device_id())).status == CHECKED_IN
        finally:
            clock.set_source(None)
        return token

    def printed_card(self, token: str, path: Path, fps: int = fake_camera.FPS, **clip) -> Path:
        """A y4m of the card as the station prints it, held up to the camera."""
        with self.db():
            png = card_png(token)
        return fake_camera.write_y4m(path, fake_camera.printed_card_clip(png, fps=fps, **clip), fps)

    def visits(self, token: str) -> int:
        from loyalty import ledger
        from loyalty.services import find_card
        from loyalty.store import LedgerEntry
        with self.db():
            card, _problem = find_card(token)
            return LedgerEntry.select().where((LedgerEntry.member == card.member_id)
                                              & (LedgerEntry.kind == ledger.VISIT)).count()


def camera_home(tmp_path_factory, name: str) -> Path:
    """The demo team (Chef / 1234, Empfang / 0000), German, a welcome shown for 6 s."""
    home = tmp_path_factory.mktemp(name)
    prepare_home(home)
    (home / "station.toml").write_text('[station]\nlanguage = "de"\n\n[kiosk]\nwelcome_s = 6\n', encoding="utf-8")
    return home


@pytest.fixture(scope="session")
def camera_station(tmp_path_factory):
    home = camera_home(tmp_path_factory, "camera-station")
    with station_process(home, demo=False, apps="kiosk,staff") as base:
        yield CameraStation(base, home)


@contextmanager
def plain_http_forward(address: str, target: str):
    """`http://address:port` passed on byte for byte to the station at `target` (http://127.0.0.1:port):
    a port forward set up by hand on the station PC, the one way left for a tablet to reach the
    kiosk over plain http, since the station itself serves the network over HTTPS only. Yields
    the forward's base URL."""
    host, port = target.removeprefix("http://").rsplit(":", 1)

    class Pipe(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            with socket.create_connection((host, int(port))) as upstream:
                ends = {self.request: upstream, upstream: self.request}
                while True:
                    ready, _, _ = select.select(list(ends), [], [], 30)
                    chunks = [(end, end.recv(65536)) for end in ready]
                    if not ready or any(not chunk for _end, chunk in chunks):
                        return
                    for end, chunk in chunks:
                        ends[end].sendall(chunk)

    server = socketserver.ThreadingTCPServer((address, 0), Pipe)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://{address}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def clinic_camera_station(tmp_path_factory, lan_address):
    home = camera_home(tmp_path_factory, "camera-clinic")
    with clinic_station(home, lan_address, demo=False) as station:
        yield CameraStation(station.https, home, station)


@contextmanager
def paired_tablet(playwright, station: CameraStation, role: str, video: Path):
    """A tablet on the clinic network whose camera plays `video`: it trusts the station's CA, is
    paired as `role` (kiosk or desk) and the person allowed the camera."""
    with trusting_chromium(playwright, station.clinic.ca_file, args=camera_args(video)) as browser:
        yield pair(browser, station.clinic, role, f"Kamera-Tablet {role}", viewport=TABLET, permissions=["camera"])


def device(browser, camera: bool = True):
    """A tablet: a browser context, with or without the person's permission to use the camera."""
    ctx = browser.new_context(viewport=TABLET, permissions=["camera"] if camera else [])
    ctx.add_init_script(COUNT_CAMERA_REQUESTS)
    return ctx


def open_kiosk(tablet, station: CameraStation, url: str | None = None):
    page = open_flet_page(tablet, url or station.kiosk)
    expect(page.get_by_role("button", name="Mitmachen")).to_be_visible(timeout=60_000)
    return page


def kiosk_with_card(station: CameraStation, camera_browser, folder: Path, first_name: str, **clip):
    """A patient who joined just now holds their printed card up to a kiosk tablet's camera (the
    video loops): (card code, tablet, kiosk page)."""
    token = station.new_patient(first_name)
    tablet = device(camera_browser(station.printed_card(token, folder / f"{first_name}.y4m", **clip)))
    return token, tablet, open_kiosk(tablet, station)


def open_desk(tablet, station: CameraStation, name: str = "Empfang", pin: str = "0000"):
    page = open_flet_page(tablet, station.staff)
    sign_in_as(page, name, pin)
    expect(page.get_by_text(f"Hallo {name}", exact=False)).to_be_visible()
    return page
