"""A camera the test controls: an MJPEG stream on 127.0.0.1 that the kiosk opens with cv2.VideoCapture.

One station process then serves a whole sequence of scans: the test shows an empty frame, a card,
a video clip made with cv2.VideoWriter (read back through cv2.VideoCapture), and so on. `show()`
records when the new picture went out, so the bench can measure frame-in to welcome-on-screen.
"""
from __future__ import annotations

import http.server
import socketserver
import threading
import time
from pathlib import Path

import cv2
import numpy as np


class MjpegCamera:
    def __init__(self, first: np.ndarray, fps: float = 20.0) -> None:
        self.fps = fps
        self._jpeg = self._encode(first)
        self._clip: list[bytes] = []
        self._changed_at = time.monotonic()
        self._lock = threading.Lock()
        camera = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                period = 1.0 / camera.fps
                try:
                    while not camera._stopped.is_set():
                        jpeg = camera._next()
                        self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n"
                                         % len(jpeg) + jpeg + b"\r\n")
                        camera._stopped.wait(period)
                except OSError:
                    pass

            def log_message(self, *args) -> None:
                pass

        self._stopped = threading.Event()
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/camera.mjpg"

    def start(self) -> MjpegCamera:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._server.shutdown()
        self._server.server_close()

    def show(self, frame: np.ndarray) -> float:
        """Send this picture from now on; returns the monotonic time of the switch."""
        jpeg = self._encode(frame)
        with self._lock:
            self._jpeg, self._clip = jpeg, []
            self._changed_at = time.monotonic()
            return self._changed_at

    def play(self, video: str | Path, then: np.ndarray) -> float:
        """Send the frames of a video file once, then keep sending `then`."""
        capture = cv2.VideoCapture(str(video))
        frames = []
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            frames.append(self._encode(frame))
        capture.release()
        if not frames:
            raise ValueError(f"no frames in {video}")
        with self._lock:
            self._clip, self._jpeg = frames, self._encode(then)
            self._changed_at = time.monotonic()
            return self._changed_at

    def _next(self) -> bytes:
        with self._lock:
            return self._clip.pop(0) if self._clip else self._jpeg

    @staticmethod
    def _encode(frame: np.ndarray) -> bytes:
        ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 85])
        if not ok:
            raise ValueError("JPEG encoding failed")
        return buf.tobytes()
