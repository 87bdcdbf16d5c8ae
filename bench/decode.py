"""Decode rate and time per image: each decoder alone beside the kiosk cascade, in one run.

Image sets: the real phone photos in ../shared/qr-samples (zxing-cpp's own regression inputs, so
they flatter zxing-cpp) and the project's generated kiosk frames, each letterboxed into 640x480 and
1280x720 as a webcam would deliver them. A read counts only if the expected text is among the
decoded texts. The "+ vs zxing" column says how many images a decoder read that zxing-cpp alone
missed, and in brackets how many of those zxing-cpp had at least reported a symbol for: only
those can a gated fallback stage win back.

OpenCV runs on one thread, so every decoder gets one core, as in the issue's measurements.
"median ms" is wall-clock; "median CPU ms" is the decoding thread's CPU time, which stays
meaningful when other jobs share the machine.
"""

from __future__ import annotations

import argparse
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

from loyalty.adapters import decoding
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
_opencv = cv2.QRCodeDetector()


def _opencv_multi(detector: cv2.QRCodeDetector, img: np.ndarray) -> list[str]:
    """OpenCV raises on payloads that are not UTF-8; that counts as no read."""
    try:
        ok, texts, _, _ = detector.detectAndDecodeMulti(img)
    except (cv2.error, UnicodeDecodeError):
        return []
    return [t for t in texts if t] if ok else []


def read_opencv(img: np.ndarray) -> list[str]:
    return _opencv_multi(_aruco, img)


def read_opencv_plain(img: np.ndarray) -> list[str]:
    return _opencv_multi(_opencv, img)


def read_cascade(img: np.ndarray) -> list[str]:
    return [d.text for d in decoding.decode_frame(img)]


READERS: dict[str, Reader] = {
    "zxing-cpp": read_zxing,
    "pyzbar": read_pyzbar,
    "opencv": read_opencv_plain,
    "opencv-aruco": read_opencv,
    "cascade": read_cascade,
}


def _gray_zxing(gray: np.ndarray, binarizer: zxingcpp.Binarizer = zxingcpp.Binarizer.LocalAverage) -> list[str]:
    return [b.text for b in decoding._zxing(gray, binarizer) if b.valid]


Stage = Callable[[np.ndarray, list], list[str]]
"""A fallback: (working gray frame, crops around the unread symbols) -> texts read."""


def _on_crops(read: Callable[[np.ndarray], list[str]]) -> Stage:
    return lambda gray, crops: [t for c in crops for t in read(c.gray)]


_clahe = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8))

CASCADE_STAGES: dict[str, Stage] = {
    stage.__name__.removeprefix("_stage_"): lambda g, c, stage=stage: [text for _, text, _ in stage(g, c)]
    for stage in decoding.FALLBACKS
}
"""The kiosk cascade's own fallback stages, each run alone."""
_curved = cv2.QRCodeDetector()


def _opencv_curved(gray: np.ndarray) -> list[str]:
    """OpenCV's curved-code decoder on a crop shrunk to 480 px; it raises on non-UTF-8 payloads.

    Left out of the kiosk because it segfaulted in a soak run; the bench's fixed inputs do not hit that."""
    zoom = min(1.0, 480 / max(gray.shape))
    img = gray if zoom == 1.0 else cv2.resize(gray, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_AREA)
    try:
        text, _, _ = _curved.detectAndDecodeCurved(img)
    except (cv2.error, UnicodeDecodeError):
        return []
    return [text] if text else []


REJECTED: dict[str, Stage] = {
    "opencv curved, crop": _on_crops(_opencv_curved),
    "zxing-cpp 2x upscaled frame": lambda g, c: _gray_zxing(
        cv2.resize(g, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    ),
    "zxing-cpp CLAHE": lambda g, c: _gray_zxing(_clahe.apply(g)),
    "zxing-cpp median 3x3": lambda g, c: _gray_zxing(cv2.medianBlur(g, 3)),
    "zxing-cpp crop, global threshold": _on_crops(lambda g: _gray_zxing(g, zxingcpp.Binarizer.GlobalHistogram)),
    "pyzbar": lambda g, c: _pyzbar_gray(g),
    "pyzbar inverted": lambda g, c: _pyzbar_gray(255 - g),
    "opencv-aruco": lambda g, c: read_opencv(cv2.cvtColor(g, cv2.COLOR_GRAY2BGR)),
    "opencv-aruco crop": _on_crops(lambda g: read_opencv(cv2.cvtColor(g, cv2.COLOR_GRAY2BGR))),
}
"""Candidates measured and left out: they read nothing the cascade's stages do not (second table)."""


def letterbox(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Fit img into size keeping its aspect, padded with the median colour of the image's edge.

    Many samples are cropped to the code with no quiet zone; repeating their edge pixels would smear
    the finder patterns outwards. The edge's median keeps a light surround light (and a dark one,
    for inverted codes, dark), as the paper or screen around a code is in a real camera view."""
    w, h = size
    ih, iw = img.shape[:2]
    s = min(w / iw, h / ih)
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR
    r = cv2.resize(img, (round(iw * s), round(ih * s)), interpolation=interp)
    rh, rw = r.shape[:2]
    top, left = (h - rh) // 2, (w - rw) // 2
    edge = np.concatenate([img[0], img[-1], img[:, 0], img[:, -1]])
    colour = np.median(edge, axis=0).tolist()
    return cv2.copyMakeBorder(r, top, h - rh - top, left, w - rw - left, cv2.BORDER_CONSTANT, value=colour)


def sample_images() -> list[tuple[str, np.ndarray, str]]:
    out = []
    for path in sorted(SAMPLES.glob("*/*")):
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        img = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if img is None:
            print(f"  cannot read {path}, skipped")
            continue
        out.append((str(path.relative_to(SAMPLES)), img, path.with_suffix(".txt").read_bytes().decode("utf-8")))
    return out


def generated_images() -> list[tuple[str, np.ndarray, str]]:
    return [(f"{name}-{i}", make(text, i), text)
            for name, make in imagegen.VARIANTS.items() for i, text in enumerate(imagegen.TOKENS)]


def hard_images(seeds: int) -> list[tuple[str, np.ndarray, str]]:
    """The generated frames the cascade reads only in part (crumpled cards), `seeds` of each."""
    tokens = imagegen.TOKENS
    return [(f"{name}-{s}", make(tokens[s % len(tokens)], s), tokens[s % len(tokens)])
            for name, make in imagegen.HARD.items() for s in range(seeds)]


def run_set(label: str, images: list[tuple[str, np.ndarray, str]], size: tuple[int, int]) -> list[str]:
    frames = [(letterbox(img, size), expected) for _, img, expected in images]
    zxing_hits: list[bool] = []
    zxing_saw = [any(not b.valid for b in decoding._zxing(cv2.cvtColor(f, cv2.COLOR_BGR2GRAY))) for f, _ in frames]
    rows = []
    for name, reader in READERS.items():
        hits, times, cpu = [], [], []
        stages: Counter[str] = Counter()
        for frame, expected in frames:
            t0, c0 = time.perf_counter(), time.thread_time()
            texts = reader(frame)
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.thread_time() - c0) * 1000)
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
                    f"| {statistics.median(times):6.1f} | {statistics.median(cpu):6.1f} | {extra} | {by_stage} |")
    return rows


def fallback_rows(label: str, images: list[tuple[str, np.ndarray, str]], size: tuple[int, int]) -> list[str]:
    """On zxing-cpp's seen-but-missed frames: what each fallback reads alone, and what only it reads.

    "only this" counts frames no cascade stage other than this candidate reads; for a cascade
    stage that is what the cascade would lose without it.
    """
    missed = []
    for _, img, expected in images:
        gray = cv2.cvtColor(letterbox(img, size), cv2.COLOR_BGR2GRAY)
        results = decoding._zxing(gray)
        if any(not b.valid for b in results) and expected not in [b.text for b in results if b.valid]:
            missed.append((gray, decoding._crops(gray, results), expected))
    if not missed:
        return [f"| {label} {size[0]}x{size[1]} | 0 | - | - | - | - |"]
    hits: dict[str, list[bool]] = {}
    ms: dict[str, float] = {}
    for name, stage in {**CASCADE_STAGES, **REJECTED}.items():
        c0 = time.thread_time()
        hits[name] = [expected in stage(gray, crops) for gray, crops, expected in missed]
        ms[name] = (time.thread_time() - c0) * 1000 / len(missed)
    rows = []
    for name in hits:
        others = [hits[o] for o in CASCADE_STAGES if o != name]
        only = sum(h and not any(o[i] for o in others) for i, h in enumerate(hits[name]))
        kind = "cascade" if name in CASCADE_STAGES else "left out"
        rows.append(f"| {label} {size[0]}x{size[1]} | {len(missed)} | {name} ({kind}) | {sum(hits[name])} "
                    f"| {only} | {ms[name]:.1f} |")
    return rows


def false_read_rows(label: str, frames: list[np.ndarray], size: tuple[int, int]) -> list[str]:
    """Frames without a card: any text a decoder returns is a false read."""
    boxed = [letterbox(f, size) for f in frames]
    rows = []
    for name, reader in READERS.items():
        times, cpu, false = [], [], 0
        for frame in boxed:
            t0, c0 = time.perf_counter(), time.thread_time()
            false += bool(reader(frame))
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.thread_time() - c0) * 1000)
        rows.append(f"| {label} {size[0]}x{size[1]} | {name} | {false}/{len(boxed)} | {statistics.median(times):6.1f} "
                    f"| {statistics.median(cpu):6.1f} |")
    return rows


def main(sizes: tuple[tuple[int, int], ...] = SIZES, hard_seeds: int = 24, no_code_seeds: int = 8) -> None:
    cv2.setNumThreads(1)
    sets = []
    if SAMPLES.is_dir():
        sets.append(("qr-samples", sample_images()))
    else:
        print(f"{SAMPLES} not found: real-photo rows skipped")
    sets.append(("generated", generated_images()))
    sets.append(("generated crumpled", hard_images(hard_seeds)))
    print(
        "| images | decoder | read | rate | median ms | median CPU ms | + vs zxing (symbol seen) "
        "| cascade reads by stage |"
    )
    print("|---|---|---:|---:|---:|---:|---|---|")
    for label, images in sets:
        for size in sizes:
            for row in run_set(label, images, size):
                print(row)
    print()
    print("| images | symbol seen, not read | fallback stage | reads | only this | CPU ms per frame |")
    print("|---|---:|---|---:|---:|---:|")
    for label, images in sets:
        for size in sizes:
            for row in fallback_rows(label, images, size):
                print(row)
    print()
    print("| images | decoder | false reads | median ms | median CPU ms |")
    print("|---|---|---:|---:|---:|")
    for label, frames in (("empty scenes", imagegen.empty_scenes(no_code_seeds)),
                          ("unreadable symbols", imagegen.unreadable_symbols(no_code_seeds))):
        for size in sizes:
            for row in false_read_rows(label, frames, size):
                print(row)


def _size(text: str) -> tuple[int, int]:
    w, h = text.lower().split("x")
    return int(w), int(h)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=lambda t: tuple(_size(s) for s in t.split(",")), default=SIZES,
                        help="frame sizes, e.g. 640x480,1280x720 (the default)")
    parser.add_argument("--hard-seeds", type=int, default=24, help="crumpled-card frames (default 24)")
    parser.add_argument("--no-code-seeds", type=int, default=8,
                        help="frames without a code: empty scenes (+2) and unreadable symbols (x3), default 8")
    args = parser.parse_args()
    main(args.sizes, args.hard_seeds, args.no_code_seeds)
