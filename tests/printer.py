"""A network receipt printer (port 9100 style) on 127.0.0.1 that keeps every job's bytes."""
from __future__ import annotations

import socket
import threading


class PrinterServer:
    """Listens like a network receipt printer (port 9100 style) and keeps every job's bytes."""

    def __init__(self) -> None:
        self.jobs: list[bytes] = []
        self.received = threading.Event()
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(4)
        self.port = self._sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with conn:
                chunks = []
                while data := conn.recv(65536):
                    chunks.append(data)
            self.jobs.append(b"".join(chunks))
            self.received.set()

    def close(self) -> None:
        self._sock.close()
