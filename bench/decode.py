"""Decode rate and time per image: each decoder alone beside the kiosk cascade, in one run.

Image sets: the real phone photos in ../shared/qr-samples (zxing-cpp's own regression inputs, so
they flatter zxing-cpp) and the project's generated kiosk frames, each letterboxed into 640x480 and
1280x720 as a webcam would deliver them. A read counts only if the expected text is among the
decoded texts. The "+ vs zxing" column says how many images a decoder read that zxing-cpp alone
missed, and in brackets how many of those zxing-cpp had at least reported a symbol for: only
those can a gated fallback stage win back.
"""

from __future__ import annotations

import os
import statistics
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import zxingcpp
from pyzbar import pyzbar

from kiosk import decoding
from tests import imagegen

SAMPLES = Path(os.environ.get("LOYALTY_QR_SAMPLES")
               or Path(__file__).resolve().parents[1].parent / "shared" / "qr-samples")
"""Beside the project checkout; LOYALTY_QR_SAMPLES overrides it for checkouts elsewhere (worktrees)."""
SIZES = ((640, 480), (1280, 720))
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp"}

Reader = Callable[[np.ndarray], list[str]]


def read_zxing(img: np.ndarray) -> list[str]:
    return [b.text for b in decoding._zxing(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)) if b.valid]


def _pyzbar_gray(gray: np.ndarray) -> list[str]:
    """ZBar, QR only; it has raised on odd images (pyzbar#83), which counts as no read."""
    try:
        symbols = pyzbar.decode(gray, symbols=[pyzbar.ZBarSymbol.QRCODE])
    except Exception as exc:
        print(f"  pyzbar raised {exc!r}")
        return []
    return [s.data.decode("utf-8", errors="replace") for s in symbols]


def read_pyzbar(img: np.ndarray) -> list[str]:
    return _pyzbar_gray(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY))


_aruco = cv2.QRCodeDetectorAruco()


def read_opencv(img: np.ndarray) -> list[str]:
    """OpenCV raises on payloads that are not UTF-8; that counts as no read."""
    try:
        ok, texts, _, _ = _aruco.detectAndDecodeMulti(img)
    except (cv2.error, UnicodeDecodeError):
        return []
    return [t for t in texts if t] if ok else []


def read_cascade(img: np.ndarray) -> list[str]:
    return [d.text for d in decoding.decode_frame(img)]


READERS: dict[str, Reader] = {
    "zxing-cpp": read_zxing,
    "pyzbar": read_pyzbar,
    "opencv-aruco": read_opencv,
    "cascade": read_cascade,
}


def _gray_zxing(gray: np.ndarray, binarizer: zxingcpp.Binarizer) -> list[str]:
    return [b.text for b in decoding._zxing(gray, binarizer) if b.valid]


FALLBACKS: dict[str, Callable[[np.ndarray], list[str]]] = {
    "zxing-cpp global threshold": lambda g: _gray_zxing(g, zxingcpp.Binarizer.GlobalHistogram),
    "zxing-cpp 2x upscaled": lambda g: _gray_zxing(cv2.resize(g, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC),
                                                   zxingcpp.Binarizer.LocalAverage),
    "pyzbar": _pyzbar_gray,
    "pyzbar inverted": lambda g: _pyzbar_gray(255 - g),
    "opencv-aruco": lambda g: read_opencv(cv2.cvtColor(g, cv2.COLOR_GRAY2BGR)),
}
"""Candidate cascade stages, tried on frames where zxing-cpp saw a symbol but read nothing right."""


def letterbox(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Fit img into size keeping its aspect; pad by repeating the edge so quiet zones stay light
    (or dark, for inverted codes) instead of gaining a black border."""
    w, h = size
    ih, iw = img.shape[:2]
    s = min(w / iw, h / ih)
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR
    r = cv2.resize(img, (round(iw * s), round(ih * s)), interpolation=interp)
    rh, rw = r.shape[:2]
    top, left = (h - rh) // 2, (w - rw) // 2
    return cv2.copyMakeBorder(r, top, h - rh - top, left, w - rw - left, cv2.BORDER_REPLICATE)


def sample_images() -> list[tuple[str, np.ndarray, str]]:
    out = []
    for path in sorted(SAMPLES.glob("*/*")):
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        img = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if img is None:
            print(f"  cannot read {path}, skipped")
            continue
        out.append((str(path.relative_to(SAMPLES)), img, path.with_suffix(".txt").read_text(encoding="utf-8")))
    return out


def generated_images() -> list[tuple[str, np.ndarray, str]]:
    return [(f"{name}-{i}", make(text, i), text)
            for name, make in imagegen.VARIANTS.items() for i, text in enumerate(imagegen.TOKENS)]


def run_set(label: str, images: list[tuple[str, np.ndarray, str]], size: tuple[int, int]) -> list[str]:
    frames = [(letterbox(img, size), expected) for _, img, expected in images]
    zxing_hits: list[bool] = []
    zxing_saw = [any(not b.valid for b in decoding._zxing(cv2.cvtColor(f, cv2.COLOR_BGR2GRAY))) for f, _ in frames]
    rows = []
    for name, reader in READERS.items():
        hits, times = [], []
        stages: Counter[str] = Counter()
        for frame, expected in frames:
            t0 = time.perf_counter()
            texts = reader(frame)
            times.append((time.perf_counter() - t0) * 1000)
            hits.append(expected in texts)
            if name == "cascade" and hits[-1]:
                stages.update(d.decoder for d in decoding.decode_frame(frame) if d.text == expected)
        if name == "zxing-cpp":
            zxing_hits = hits
            extra = ""
        else:
            gained = [i for i, hit in enumerate(hits) if hit and not zxing_hits[i]]
            extra = f"+{len(gained)} ({sum(zxing_saw[i] for i in gained)})"
        by_stage = ", ".join(f"{k} {v}" for k, v in sorted(stages.items())) if stages else ""
        rate = 100 * sum(hits) / len(frames)
        rows.append(f"| {label} {size[0]}x{size[1]} | {name} | {sum(hits)}/{len(frames)} | {rate:5.1f} % "
                    f"| {statistics.median(times):6.1f} | {extra} | {by_stage} |")
    return rows


def fallback_rows(label: str, images: list[tuple[str, np.ndarray, str]], size: tuple[int, int]) -> list[str]:
    """How many of zxing-cpp's seen-but-missed frames each candidate reads, alone and beyond the cascade."""
    missed = []
    for _, img, expected in images:
        frame = letterbox(img, size)
        results = decoding._zxing(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))
        if any(not b.valid for b in results) and expected not in [b.text for b in results if b.valid]:
            missed.append((frame, expected))
    if not missed:
        return [f"| {label} {size[0]}x{size[1]} | 0 | - | - | - |"]
    cascade_hits = [expected in read_cascade(frame) for frame, expected in missed]
    rows = []
    for name, reader in FALLBACKS.items():
        hits = [expected in reader(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)) for frame, expected in missed]
        beyond = sum(h and not c for h, c in zip(hits, cascade_hits))
        rows.append(f"| {label} {size[0]}x{size[1]} | {len(missed)} | {name} | {sum(hits)} | {beyond} |")
    return rows


def main() -> None:
    sets = []
    if SAMPLES.is_dir():
        sets.append(("qr-samples", sample_images()))
    else:
        print(f"{SAMPLES} not found: real-photo rows skipped")
    sets.append(("generated", generated_images()))
    print("| images | decoder | read | rate | median ms | + vs zxing (symbol seen) | cascade reads by stage |")
    print("|---|---|---:|---:|---:|---|---|")
    for label, images in sets:
        for size in SIZES:
            for row in run_set(label, images, size):
                print(row)
    print()
    print("| images | symbol seen, not read | fallback stage | reads | beyond the cascade |")
    print("|---|---:|---|---:|---:|")
    for label, images in sets:
        for size in SIZES:
            for row in fallback_rows(label, images, size):
                print(row)


if __name__ == "__main__":
    main()
