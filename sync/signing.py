"""Request signatures: HMAC-SHA256 over method, path, timestamp, nonce and body hash. Pure.

A device signs every request with the key it got at enrolment; HQ recomputes the signature,
refuses a timestamp outside the window, and refuses a nonce it has seen (a replayed request).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

from loyalty.tokens import same_text

WINDOW_SECONDS = 300
HEADERS = ("X-Device", "X-Timestamp", "X-Nonce", "X-Signature")


def signing_string(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    return "\n".join(["v1", method.upper(), path, timestamp, nonce, hashlib.sha256(body).hexdigest()]).encode()


def signature(secret: str, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    return hmac.new(bytes.fromhex(secret), signing_string(method, path, timestamp, nonce, body),
                    hashlib.sha256).hexdigest()


def sign(device_id: str, secret: str, method: str, path: str, body: bytes, now: float) -> dict[str, str]:
    timestamp, nonce = f"{now:.3f}", secrets.token_hex(16)
    return {"X-Device": device_id, "X-Timestamp": timestamp, "X-Nonce": nonce,
            "X-Signature": signature(secret, method, path, timestamp, nonce, body)}


def verify(secret: str, method: str, path: str, timestamp: str, nonce: str, body: bytes, sig: str) -> bool:
    return same_text(sig, signature(secret, method, path, timestamp, nonce, body))


def fresh(timestamp: str, now: float) -> bool:
    try:
        return abs(float(timestamp) - now) <= WINDOW_SECONDS
    except ValueError:
        return False


def token_hash(token: str) -> str:
    """What HQ keeps of a one-time code, link or session token: its SHA-256, never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_hex(32)
