"""QR decoding for the kiosk camera: a cascade that is cheap on empty frames.

zxing-cpp reads almost everything (also mirrored and light-on-dark codes) in a few ms, so it runs
on every frame. The fallbacks run only when zxing-cpp saw a QR symbol it could not decode
(`return_errors=True` reports it and where it is), so a frame without a code costs exactly one
zxing-cpp call. Each fallback stays only because `python -m bench.decode` measured it reading
frames the stages before it missed; see /work/shared/DECODING-NOTES.md for figures and traps.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
import zxingcpp

MAX_SIDE = 1280
"""Frames are shrunk to this long side first: halves zxing-cpp's time and costs it almost no reads."""
CROP_MARGIN = 0.25
"""Margin around a reported symbol when cropping, as a share of its size: keeps the quiet zone."""
ZOOM_MAX_SIDE = 1000
"""The zoomed crop's long side at most: the zoom is for small codes, and a big crop would cost more."""

Point = tuple[float, float]
Quad = tuple[Point, Point, Point, Point]


@dataclass(frozen=True)
class Decoded:
    """One decoded QR code: exact payload text, corners in input-frame pixels, which stage read it."""

    text: str
    points: Quad
    decoder: str
    ms: float


def _to_gray(img: np.ndarray) -> np.ndarray:
    """Contiguous 8-bit gray: a flipped view (frame[:, ::-1]) has negative strides zxing-cpp rejects."""
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    img = np.ascontiguousarray(img)
    if img.ndim == 2:
        return img
    code = cv2.COLOR_BGRA2GRAY if img.shape[2] == 4 else cv2.COLOR_BGR2GRAY
    return cv2.cvtColor(img, code)


def _zxing(gray: np.ndarray, binarizer: zxingcpp.Binarizer = zxingcpp.Binarizer.LocalAverage) -> list[zxingcpp.Barcode]:
    """zxing-cpp restricted to QR Model 2 (the QR family includes Micro QR, which false-reads).

    Plain text mode gives the payload itself, not a human-readable rendering of it. Mirrored codes
    are handled by the QR reader itself; try_invert covers dark-mode codes.
    """
    return zxingcpp.read_barcodes(
        gray,
        formats=zxingcpp.BarcodeFormat.QRCodeModel2,
        try_rotate=True,
        try_invert=True,
        try_downscale=True,
        text_mode=zxingcpp.TextMode.Plain,
        binarizer=binarizer,
        return_errors=True,
    )


def _zxing_quad(b: zxingcpp.Barcode) -> Quad:
    p = b.position
    tl, tr, br, bl = ((float(q.x), float(q.y)) for q in (p.top_left, p.top_right, p.bottom_right, p.bottom_left))
    return tl, tr, br, bl


Found = list[tuple[str, str, Quad]]
"""(decoder, text, corners in the working frame's pixels) per read."""


@dataclass(frozen=True)
class _Crop:
    """A region around a symbol zxing-cpp saw but could not decode, cut from the working frame."""

    gray: np.ndarray
    x0: int
    y0: int

    def to_frame(self, quad: Quad, zoom: float) -> Quad:
        tl, tr, br, bl = ((x / zoom + self.x0, y / zoom + self.y0) for x, y in quad)
        return tl, tr, br, bl


def _crops(gray: np.ndarray, unread: list[zxingcpp.Barcode]) -> list[_Crop]:
    """One crop per distinct unread symbol (zxing-cpp may report the same one twice, normal and mirrored)."""
    crops: list[_Crop] = []
    seen: list[tuple[int, int]] = []
    h, w = gray.shape
    for b in unread:
        xs, ys = zip(*_zxing_quad(b))
        side = max(max(xs) - min(xs), max(ys) - min(ys), 8.0)
        centre = (round((min(xs) + max(xs)) / 2), round((min(ys) + max(ys)) / 2))
        if any(abs(centre[0] - cx) < side / 2 and abs(centre[1] - cy) < side / 2 for cx, cy in seen):
            continue
        seen.append(centre)
        m = CROP_MARGIN * side
        x0, y0 = max(0, int(min(xs) - m)), max(0, int(min(ys) - m))
        x1, y1 = min(w, int(max(xs) + m) + 1), min(h, int(max(ys) + m) + 1)
        crops.append(_Crop(np.ascontiguousarray(gray[y0:y1, x0:x1]), x0, y0))
    return crops


def _stage_global(gray: np.ndarray, crops: list[_Crop]) -> Found:
    """Global threshold: local thresholding loses some codes under uneven light or on crumpled paper."""
    return [("zxing-cpp-global", b.text, _zxing_quad(b)) for b in _zxing(gray, zxingcpp.Binarizer.GlobalHistogram)
            if b.valid]


def _stage_sharpen_zoom(gray: np.ndarray, crops: list[_Crop]) -> Found:
    """Small, soft codes (far from the camera, out of focus): unsharp-mask the crop and zoom it 2x,
    so zxing-cpp samples modules that were 2-3 px wide and blurred at a readable size."""
    found: Found = []
    for crop in crops:
        soft = cv2.GaussianBlur(crop.gray, (0, 0), 1.5)
        sharp = cv2.addWeighted(crop.gray, 2.0, soft, -1.0, 0)
        zoom = max(1.0, min(2.0, ZOOM_MAX_SIDE / max(crop.gray.shape)))
        big = sharp if zoom == 1.0 else cv2.resize(sharp, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_CUBIC)
        found += [("zxing-cpp-zoom", b.text, crop.to_frame(_zxing_quad(b), zoom)) for b in _zxing(big) if b.valid]
    return found


FALLBACKS: tuple[Callable[[np.ndarray, list[_Crop]], Found], ...] = (_stage_global, _stage_sharpen_zoom)
"""Tried in order while nothing is read, only after zxing-cpp reported a symbol it could not decode.

OpenCV's curved-code decoder (QRCodeDetector.detectAndDecodeCurved) read one more real photo and
crumpled generated cards, but it segfaulted in a soak run (OpenCV 5.0.0, call 1766 of random crops
of unreadable symbols; cf. opencv#19626, #22892). A crash would take the whole station process
down, so it is measured in bench.decode only, not run here."""


def decode_frame(frame: np.ndarray) -> list[Decoded]:
    """Decode every QR Model 2 code in a BGR or grayscale frame; points are in the frame's pixels."""
    t0 = time.perf_counter()
    gray = _to_gray(frame)
    scale = 1.0
    long_side = max(gray.shape[:2])
    if long_side > MAX_SIDE:
        scale = MAX_SIDE / long_side
        gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)

    results = _zxing(gray)
    found: Found = [("zxing-cpp", b.text, _zxing_quad(b)) for b in results if b.valid]
    if not found and results:
        crops = _crops(gray, results)
        for stage in FALLBACKS:
            found = stage(gray, crops)
            if found:
                break

    ms = (time.perf_counter() - t0) * 1000
    out: list[Decoded] = []
    seen: set[str] = set()
    for decoder, text, quad in found:
        if text in seen:
            continue
        seen.add(text)
        tl, tr, br, bl = ((x / scale, y / scale) for x, y in quad)
        out.append(Decoded(text, (tl, tr, br, bl), decoder, ms))
    return out
