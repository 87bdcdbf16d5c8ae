"""The card slip on a receipt printer: python-escpos against a real TCP server on 127.0.0.1."""
from __future__ import annotations

import socket

import pytest
from escpos.exceptions import DeviceNotFoundError

from loyalty.adapters.printer import PrinterConfig, print_card

TOKEN = "LY1:ABCDEFGHIJKLMNOP:QRSTUVWXYZ23"


def test_kiosk_printer_sends_the_qr_the_name_and_a_cut(printer_server):
    printer_server.received.clear()
    print_card(PrinterConfig("127.0.0.1", printer_server.port), TOKEN, program_name="Praxis Vital",
               first_name="Zoë", bonus_points=50, lang="de")
    assert printer_server.received.wait(10)
    job = printer_server.jobs[-1]
    assert job.startswith(b"\x1b@")                              # printer reset first
    assert b"\x1d(k" in job and TOKEN.encode() in job            # native QR carrying the token
    assert b"Praxis Vital" in job and b"+50 Punkte" in job and b"n\x84chsten" in job   # umlaut in CP437
    assert b"\x1dV" in job                                       # paper cut at the end


def test_kiosk_printer_away_raises_and_config_needs_a_host():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]          # nothing listens here once the socket is closed
    with pytest.raises((OSError, DeviceNotFoundError)):
        print_card(PrinterConfig("127.0.0.1", port, timeout=1), TOKEN, program_name="P", first_name="A",
                   bonus_points=0, lang="en")
    assert PrinterConfig.from_config({}) is None
    assert PrinterConfig.from_config({"host": "10.0.0.5", "native_qr": False}) == PrinterConfig(
        "10.0.0.5", native_qr=False
    )
