"""QR decoding for the kiosk camera: a cascade that is cheap on empty frames.

zxing-cpp reads almost everything (also mirrored and light-on-dark codes) in a few ms, so it runs
on every frame. A fallback runs only when zxing-cpp saw a QR symbol it could not decode
(`return_errors=True` reports it), so a frame without a code costs exactly one zxing-cpp call.
Which fallbacks stay is decided by `python -m bench.decode` on real phone photos; see
/work/shared/DECODING-NOTES.md for the measured figures and traps.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import cv2
import numpy as np
import zxingcpp

MAX_SIDE = 1280
"""Frames are shrunk to this long side first: halves zxing-cpp's time and costs it almost no reads."""

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
    found = [("zxing-cpp", b.text, _zxing_quad(b)) for b in results if b.valid]
    if not found and results:
        # A symbol is there but local thresholding lost it (blur, glare): a global threshold
        # wins some back for one more ~1 ms call. pyzbar, OpenCV and a 2x upscale were measured
        # here too and read nothing more on the real photos (bench.decode, second table).
        found = [("zxing-cpp-global", b.text, _zxing_quad(b))
                 for b in _zxing(gray, zxingcpp.Binarizer.GlobalHistogram) if b.valid]

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
