"""`loyalty decode FILE...`: run the kiosk's decoder on saved images and clips, for support and demos."""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

import cv2

from loyalty.adapters.capture import DEFAULT_FPS
from loyalty.adapters.debounce import Debouncer
from loyalty.adapters.decoding import Decoded, decode_frame

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"}


def decode_file(path: str | Path) -> dict[str, Any]:
    """Decode an image or a video file; JSON-ready dict, with an "error" key if it cannot be read.

    Image: {"file", "codes": [{"text", "points", "decoder"}], "ms"}.
    Video: {"file", "codes": [{"text", "points", "decoder", "first_frame", "frames_seen"}] (points
    and decoder of the first sighting), "check_ins": [{"text", "frame"}] (what the kiosk's debounce
    would accept, on the file's own clock), "frames", "ms" (all frames), "median_ms" (per frame)}.
    Every frame is decoded; none is skipped as a live camera would.
    """
    path = Path(path)
    if not path.is_file():
        return {"file": str(path), "error": "no such file"}
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return _decode_image(path)
    return _decode_video(path)


def _decode_image(path: Path) -> dict[str, Any]:
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        return {"file": str(path), "error": "not a readable image"}
    t0 = time.perf_counter()
    decoded = decode_frame(img)
    ms = (time.perf_counter() - t0) * 1000
    codes = [{"text": d.text, "points": _points(d), "decoder": d.decoder} for d in decoded]
    return {"file": str(path), "codes": codes, "ms": round(ms, 2)}


def _points(d: Decoded) -> list[list[float]]:
    return [[round(x, 1), round(y, 1)] for x, y in d.points]


def _decode_video(path: Path) -> dict[str, Any]:
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        cap.release()
        return {"file": str(path), "error": "not a readable image or video"}
    fps = cap.get(cv2.CAP_PROP_FPS)
    fps = fps if 0 < fps < 1000 else DEFAULT_FPS
    debouncer = Debouncer()
    codes: dict[str, dict[str, Any]] = {}
    check_ins = []
    times = []
    frames = 0
    try:
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            t0 = time.perf_counter()
            decoded = decode_frame(frame)
            times.append((time.perf_counter() - t0) * 1000)
            for d in decoded:
                codes.setdefault(d.text, {"text": d.text, "points": _points(d), "decoder": d.decoder,
                                          "first_frame": frames, "frames_seen": 0})["frames_seen"] += 1
            texts = {d.text for d in decoded}
            check_ins += [{"text": text, "frame": frames} for text in debouncer.feed(texts, frames / fps)]
            frames += 1
    finally:
        cap.release()
    if frames == 0:
        return {"file": str(path), "error": "no frames could be read"}
    return {"file": str(path), "codes": list(codes.values()), "check_ins": check_ins, "frames": frames,
            "ms": round(sum(times), 2), "median_ms": round(statistics.median(times), 2)}
