"""Card tokens in the QR code: `LY1:<card id>:<tag>`, no personal data, QR alphanumeric mode.

The card id is 80 random bits, the tag a truncated HMAC-SHA256 over version and id with the
program's card key, both in RFC 4648 base32 (A-Z, 2-7), so the whole token is upper-case ASCII.
A station checks a code against each key it holds (the group's key from HQ, its own from before
it joined); the tag says which one signed it, so the printed code needs no key id.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

VERSION = "LY1"
_ID_CHARS = 16      # 80 bits
_TAG_CHARS = 12     # 60 bits
_SHAPE = re.compile(rf"LY1:([A-Z2-7]{{{_ID_CHARS}}}):([A-Z2-7]{{{_TAG_CHARS}}})")


def same_text(given: str, expected: str) -> bool:
    """Constant-time comparison of a text that came from outside (any characters) with one we made.

    As bytes: `hmac.compare_digest` raises TypeError on a non-ASCII str, which became a 500 for
    `/unsubscribe/<id>.care.éé` and a non-ASCII `X-Signature`.
    """
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode("utf-8", "surrogateescape"))


class TokenError(ValueError):
    """reason: foreign (not one of ours), malformed (ours but broken), tampered (tag mismatch)."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class Token:
    card_id: str
    text: str


def new_card_id() -> str:
    return base64.b32encode(secrets.token_bytes(10)).decode()


def new_key() -> bytes:
    return secrets.token_bytes(32)


def _tag(card_id: str, key: bytes) -> str:
    mac = hmac.new(key, f"{VERSION}:{card_id}".encode(), hashlib.sha256).digest()
    return base64.b32encode(mac[:8]).decode()[:_TAG_CHARS]


def make_token(card_id: str, key: bytes) -> str:
    return f"{VERSION}:{card_id}:{_tag(card_id, key)}"


# A USB scanner set to a US layout, typing into a German-layout machine, swaps Y/Z and turns ':' into 'Ö'.
_QWERTZ = str.maketrans({"Y": "Z", "Z": "Y", "Ö": ":", "ö": ":"})


def parse_token(text: str, *keys: bytes) -> Token:
    """Check a scanned text against the given keys. Raises TokenError; never touches the database.

    A text garbled by a keyboard-layout mismatch is tried once more as re-mapped; the HMAC tag
    decides which reading is genuine, so the re-mapping cannot accept a forged code.
    """
    try:
        return _parse(text, keys)
    except TokenError as first:
        swapped = text.translate(_QWERTZ)
        if swapped == text:
            raise
        try:
            return _parse(swapped, keys)
        except TokenError:
            raise first from None


def _parse(text: str, keys: tuple[bytes, ...]) -> Token:
    cleaned = text.strip().upper()
    if not cleaned.startswith("LY"):
        raise TokenError("foreign")
    match = _SHAPE.fullmatch(cleaned)
    if not match:
        raise TokenError("malformed")
    card_id, tag = match.groups()
    if not any(hmac.compare_digest(tag, _tag(card_id, key)) for key in keys):
        raise TokenError("tampered")
    return Token(card_id, cleaned)


# --- the personal sign-in link of the welcome e-mail ----------------------------------------------

WELCOME_DAYS = 30     # a welcome e-mail's app link works this long, once


def welcome_token(member_id: str, expires: int, key: bytes) -> str:
    """`<member id>.<expiry, Unix seconds>.<tag>`: made by the station that sends the welcome e-mail,
    checked by HQ with the same group card key (domain-separated from card tags)."""
    return f"{member_id}.{expires}.{_welcome_tag(member_id, expires, key)}"


def check_welcome_token(token: str, key: bytes, now: float) -> str | None:
    """The member id of a genuine, unexpired link; None otherwise."""
    parts = token.split(".")
    if len(parts) != 3 or not parts[1].isdigit() or len(parts[0]) > 64:
        return None
    member_id, expires, tag = parts[0], int(parts[1]), parts[2]
    if not hmac.compare_digest(tag, _welcome_tag(member_id, expires, key)) or expires < now:
        return None
    return member_id


def _welcome_tag(member_id: str, expires: int, key: bytes) -> str:
    return hmac.new(key, f"app-welcome:{member_id}:{expires}".encode(), hashlib.sha256).hexdigest()[:32]
