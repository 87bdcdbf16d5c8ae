"""Aftercare photos: taken with the phone's camera or picked from its gallery, uploaded to HQ,
kept for the treating team only.

Each upload is size-limited, opened as a picture (anything else is refused), turned upright by
its orientation tag, scaled to at most 2048 pixels a side and saved again as JPEG: the camera's
metadata (place, time, device) does not survive. A photo waits for its check-in for a day; sent
with the answer it documents, it is the clinicians' to see, never used for marketing, erased with
the member and included in their data export.
"""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from loyalty.errors import Refused
from sync.hq.db import AppPhoto, now, transaction

MAX_UPLOAD = 10 * 1024 * 1024      # bytes a phone may send for one photo
MAX_PIXELS = 50_000_000            # a decompression bomb is refused before it is decoded
LONGEST_SIDE = 2048
QUALITY = 85
PER_ANSWER = 4
PENDING_SECONDS = 24 * 3600        # a photo never sent with its check-in goes after a day


@dataclass(frozen=True)
class Photo:
    photo_id: str
    size: int
    width: int
    height: int


def store_upload(member_id: str, photo_id: str, data: bytes) -> Photo:
    """Keep an uploaded picture for the member, re-encoded without metadata, until it is sent."""
    if not data:
        raise Refused("photo_empty")
    if len(data) > MAX_UPLOAD:
        raise Refused("photo_too_large", megabytes=MAX_UPLOAD // (1024 * 1024))
    jpeg, width, height = clean_jpeg(data)
    with transaction():
        AppPhoto.delete().where(AppPhoto.answer_id.is_null()
                                & (AppPhoto.created_at < now() - PENDING_SECONDS)).execute()
        waiting = AppPhoto.select().where((AppPhoto.member_id == member_id) & AppPhoto.answer_id.is_null()).count()
        if waiting >= PER_ANSWER:
            raise Refused("photo_too_many", max=PER_ANSWER)
        if AppPhoto.get_or_none(AppPhoto.id == photo_id) is not None:
            raise Refused("photo_exists")
        AppPhoto.create(id=photo_id, member_id=member_id, data=jpeg, content_type="image/jpeg", size=len(jpeg),
                        width=width, height=height, sha256=hashlib.sha256(jpeg).hexdigest(), created_at=now())
    return Photo(photo_id, len(jpeg), width, height)


def clean_jpeg(data: bytes) -> tuple[bytes, int, int]:
    """The picture upright, at most 2048 px a side, as a JPEG with no metadata at all."""
    try:
        with Image.open(io.BytesIO(data)) as picture:
            if picture.width * picture.height > MAX_PIXELS:
                raise Refused("photo_too_large", megabytes=MAX_UPLOAD // (1024 * 1024))
            picture.load()
            upright = ImageOps.exif_transpose(picture).convert("RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError):
        raise Refused("photo_not_a_picture") from None
    upright.thumbnail((LONGEST_SIDE, LONGEST_SIDE))
    clean = Image.new("RGB", upright.size)          # pixels only: no info, EXIF, XMP or ICC profile travels on
    clean.paste(upright)
    buffer = io.BytesIO()
    clean.save(buffer, format="JPEG", quality=QUALITY, optimize=True)
    return buffer.getvalue(), clean.width, clean.height


def pending(member_id: str) -> list[Photo]:
    """The member's photos waiting to be sent with a check-in, oldest first."""
    return [Photo(p.id, p.size, p.width, p.height) for p in
            AppPhoto.select(AppPhoto.id, AppPhoto.size, AppPhoto.width, AppPhoto.height)
            .where((AppPhoto.member_id == member_id) & AppPhoto.answer_id.is_null()
                   & (AppPhoto.created_at >= now() - PENDING_SECONDS)).order_by(AppPhoto.created_at)]


def discard(member_id: str, photo_id: str) -> None:
    with transaction():
        if not AppPhoto.delete().where((AppPhoto.id == photo_id) & (AppPhoto.member_id == member_id)
                                       & AppPhoto.answer_id.is_null()).execute():
            raise Refused("photo_unknown")


def picture(member_id: str, photo_id: str) -> bytes:
    """The member's own photo (to see what they send); nobody else's."""
    found = AppPhoto.get_or_none((AppPhoto.id == photo_id) & (AppPhoto.member_id == member_id))
    if found is None:
        raise Refused("photo_unknown")
    return bytes(found.data)


def for_clinicians(photo_id: str) -> bytes | None:
    """A photo sent with a check-in, for a station's staff app; None for any other id."""
    found = AppPhoto.get_or_none((AppPhoto.id == photo_id) & AppPhoto.answer_id.is_null(False))
    return bytes(found.data) if found else None
