"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives, for the retention tests."""
from __future__ import annotations

import email
import email.policy
import socket
import threading
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Callable

import pytest
from aiosmtpd.controller import Controller

from loyalty import clock


@dataclass
class Received:
    to: list[str]
    mail: EmailMessage
    at: datetime          # the station clock when it arrived

    @property
    def subject(self) -> str:
        return str(self.mail["Subject"])

    @property
    def text(self) -> str:
        return self.mail.get_body(("plain",)).get_content()

    def images(self) -> list[bytes]:
        return [part.get_content() for part in self.mail.walk() if part.get_content_type() == "image/png"]


class _Handler:
    def __init__(self, sink: "SmtpSink"):
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):
        mail = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.sink.lock:
            self.sink.received.append(Received(list(envelope.rcpt_tos), mail, clock.now()))
        if self.sink.on_data is not None:
            self.sink.on_data(mail)
        return "250 OK"


class SmtpSink:
    def __init__(self):
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.on_data: Callable[[EmailMessage], None] | None = None
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    @property
    def settings(self) -> dict:
        return {"host": "127.0.0.1", "port": self.port, "from": "praxis@example.org", "security": "none",
                "timeout": 10}

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if address in r.to]

    def start(self) -> "SmtpSink":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


@pytest.fixture(scope="module")
def smtp_server():
    """One aiosmtpd server per test module; each test gets it emptied (see `smtp`)."""
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def smtp(smtp_server):
    with smtp_server.lock:
        smtp_server.received.clear()
    smtp_server.on_data = None
    yield smtp_server
    smtp_server.on_data = None
