"""Files the console hands to the browser (a member's GDPR export) by a one-time link.

Kept in the HQ database, not in memory: HQ runs several server processes, and the browser's
download request may reach another one than the console page that offered the file. A link works
once and for ten minutes; the file is deleted when taken or found expired.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from sync.hq.db import Download, now, transaction
from sync.signing import token_hash

LIFETIME_S = 600.0
PATH = "/v1/downloads/"


@dataclass(frozen=True)
class Offered:
    data: bytes
    filename: str
    media_type: str


def offer(data: bytes, filename: str, media_type: str) -> str:
    """Keep the file for one download; returns the path to link to."""
    token = secrets.token_urlsafe(24)
    moment = now()
    with transaction():
        Download.delete().where(Download.expires_at < moment).execute()
        Download.create(token_hash=token_hash(token), data=data, filename=filename, media_type=media_type,
                        expires_at=moment + LIFETIME_S)
    return PATH + token


def take(token: str) -> Offered | None:
    """The file behind a token, once; None when unknown, used or expired."""
    with transaction():
        row = Download.get_or_none(Download.token_hash == token_hash(token))
        if row is None:
            return None
        Download.delete().where(Download.token_hash == row.token_hash).execute()
    if row.expires_at < now():
        return None
    return Offered(bytes(row.data), row.filename, row.media_type)

