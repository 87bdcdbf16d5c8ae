"""Links to a member's own files (a calendar entry, the data export), signed and short-lived.

A link names the member, the file and its expiry, with a tag only HQ can make (`hq_app_secret`),
so it works in any HQ process and for nobody but the member it was made for.
"""
from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlencode

from sync.hq.db import AppSecret, now

LINK_SECONDS = 15 * 60


def link(member_id: str, kind: str, ref: str, seconds: int = LINK_SECONDS) -> str:
    """A relative address under the app: `files/<kind>/<ref>?m=..&e=..&s=..`."""
    expires = int(now()) + seconds
    query = urlencode({"m": member_id, "e": expires, "s": _tag(member_id, kind, ref, expires)})
    return f"files/{kind}/{ref}?{query}"


def check(kind: str, ref: str, member_id: str, expires: str, tag: str) -> bool:
    if not expires.isdigit() or int(expires) < now():
        return False
    return hmac.compare_digest(tag, _tag(member_id, kind, ref, int(expires)))


def _tag(member_id: str, kind: str, ref: str, expires: int) -> str:
    key = bytes.fromhex(AppSecret.get_by_id(1).secret)
    return hmac.new(key, f"{kind}:{ref}:{member_id}:{expires}".encode(), hashlib.sha256).hexdigest()[:40]
