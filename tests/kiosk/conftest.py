"""Kiosk fixtures: one station process with a camera the tests control, one browser, and a page
of its own for every test.

The station's camera is an MJPEG stream on 127.0.0.1 (tests/kiosk/kiosk_camera.py) opened through
cv2.VideoCapture, so one station process serves every test's scans; each test scans cards of
members it enrols itself, so no test depends on what another one scanned. The receipt printer is
a real TCP server on 127.0.0.1 that keeps the ESC/POS bytes it receives; mail goes to a real SMTP
server on 127.0.0.1.
"""
from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.browser import open_flet_page, station_process

import imagegen
from kiosk_camera import MjpegCamera
from printer import PrinterServer


@pytest.fixture(scope="session")
def printer_server():
    server = PrinterServer()
    yield server
    server.close()


class MailSink:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 for the station's configured mail."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller
        self.messages: list[bytes] = []
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                sink.messages.append(envelope.content)
                return "250 OK"

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


@pytest.fixture(scope="session")
def mail_sink():
    sink = MailSink()
    yield sink
    sink.stop()


EMPTY = imagegen.empty_frame(size=(1280, 720))


@pytest.fixture(scope="session")
def camera():
    cam = MjpegCamera(EMPTY).start()
    yield cam
    cam.stop()


@pytest.fixture(scope="session")
def kiosk_home(tmp_path_factory, printer_server, mail_sink) -> Path:
    home = tmp_path_factory.mktemp("kiosk-station")
    (home / "station.toml").write_text(
        # Screens stay up long enough for a test on a loaded machine to look at them and tap
        # "Done" itself; the idle time-out has a station of its own (test_kiosk_idle_timeout...).
        "[station]\nlanguage = \"de\"\n\n[kiosk]\nwelcome_s = 90\nfeedback_s = 120\nidle_s = 120\n\n"
        f"[printer]\nhost = \"127.0.0.1\"\nport = {printer_server.port}\ntimeout = 5\n\n"
        f"[smtp]\nhost = \"127.0.0.1\"\nport = {mail_sink.port}\nfrom = \"praxis@example.org\"\nsecurity = \"none\"\n",
        encoding="utf-8")
    return home


@pytest.fixture(scope="session")
def kiosk_url(kiosk_home, camera):
    with station_process(kiosk_home, env={"LOYALTY_CAMERA": camera.url}, apps="kiosk") as base:
        yield f"{base}/kiosk/"


@pytest.fixture
def kiosk_page(kiosk_url, browser, camera):
    """A kiosk page of this test's own on the idle screen; the camera shows nothing before and after."""
    camera.show(EMPTY)
    page = open_flet_page(browser, kiosk_url, viewport=(1280, 800))
    page.get_by_role("button", name="Mitmachen").wait_for()
    yield page
    camera.show(EMPTY)
    page.close()


@pytest.fixture
def station_db(kiosk_home):
    """The station's own SQLite file, opened from the test process (WAL: both may read and write)."""
    from loyalty.store import close_database, open_database
    open_database(kiosk_home / "loyalty.db")
    yield
    close_database()


@pytest.fixture
def enrol(station_db):
    """Enrol a member of the test's own, as the kiosk does: (member id, card token)."""
    from loyalty.services import Actor, card_token, device_id, enroll

    def member(first_name: str) -> tuple[str, str]:
        joined = enroll(first_name, Actor(device_id()), email=f"{first_name.lower()}.kiosk@example.org",
                        consent_program=True, age_confirmed=True)
        return joined.member_id, card_token(joined.member_id)
    return member
