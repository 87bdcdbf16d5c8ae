"""A network camera on 127.0.0.1 that tests can unplug, plug back in and stall.

It serves an MJPEG stream (multipart/x-mixed-replace, as IP cameras and many USB-camera bridges do)
that cv2.VideoCapture reads through its FFmpeg backend: the same FrameSource path a real camera
URL takes, with no mock in between.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cv2
import numpy as np
import pytest


class MjpegCamera:
    """`url` stays the same across unplug()/plug(), as a camera's address does."""

    def __init__(self, fps: float = 20.0) -> None:
        self.fps = fps
        self.frames: list[bytes] = []
        self.stalled = threading.Event()
        self.connections = 0
        self._online = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/camera.mjpg"

    def show(self, frames: list[np.ndarray]) -> None:
        """What the camera sees from now on, looped."""
        self.frames = [cv2.imencode(".jpg", f, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes() for f in frames]

    def plug(self) -> None:
        camera = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                camera.connections += 1
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                i = 0
                try:
                    while camera._online.is_set():
                        if not camera.stalled.is_set():
                            jpg = camera.frames[i % len(camera.frames)]
                            self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n"
                                             % len(jpg) + jpg + b"\r\n")
                            self.wfile.flush()
                            i += 1
                        time.sleep(1 / camera.fps)
                except OSError:
                    pass  # the reader hung up

            def log_message(self, *args) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self._online.set()
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def unplug(self) -> None:
        """Close the port and end every open stream: readers see end of stream, then refusal."""
        self._online.clear()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@pytest.fixture
def mjpeg_camera() -> Iterator[MjpegCamera]:
    camera = MjpegCamera()
    try:
        yield camera
    finally:
        camera.unplug()
