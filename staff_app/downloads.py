"""Files the staff app hands to the browser (GDPR export, card PDF, CSV lists) by a one-time link.

A browser page cannot be given bytes by Flet's web client directly, so the station server serves
`/download/<token>`: the token is random, works once and expires after ten minutes.
"""
from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass

LIFETIME_S = 600.0
_files: dict[str, "Offered"] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Offered:
    data: bytes
    filename: str
    media_type: str
    expires: float


def offer(data: bytes, filename: str, media_type: str) -> str:
    """Keep the file for one download; returns the path to link to."""
    token = secrets.token_urlsafe(24)
    now = time.monotonic()
    with _lock:
        for key in [k for k, f in _files.items() if f.expires < now]:
            del _files[key]
        _files[token] = Offered(data, filename, media_type, now + LIFETIME_S)
    return f"/download/{token}"


def take(token: str) -> Offered | None:
    """The file behind a token, once; None when unknown, used or expired."""
    with _lock:
        offered = _files.pop(token, None)
    if offered is None or offered.expires < time.monotonic():
        return None
    return offered
