"""Video files for Chromium's fake camera, made from realistic pictures of a card.

Chromium plays a `--use-file-for-fake-video-capture` file as the browser's only camera, looping
(flags in tests/browser.py). Two things a counter tablet's camera really sees are imitated here:

- a printed card held up by hand: the card as the station prints it (`card_png`), on paper with
  fibres and a little grain, tilted (perspective), lit unevenly, slightly out of focus, drifting
  and turning a little from frame to frame;
- a phone screen showing the card's code, moved towards the camera: the screen's pixel grid is
  drawn and then sampled by the camera's coarser grid without smoothing, which makes real moire,
  and a reflection (glare) slides across the glass as the phone turns.

Every frame gets fresh sensor noise, as a real camera's does (the kiosk takes byte-identical
pictures for a frozen, unplugged camera). Frames are 640x480 BGR, what the kiosk asks a tablet
for (flet-camera's MEDIUM preset).
"""
from __future__ import annotations

import functools
import io
from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from tests import imagegen

SIZE = (640, 480)
FPS = 15


def write_y4m(path: Path, frames: Iterable[np.ndarray], fps: int = FPS) -> Path:
    """YUV4MPEG2 4:2:0, the format Chromium's fake camera reads with its frame rate."""
    frames = iter(frames)
    first = next(frames)
    h, w = first.shape[:2]
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in (first, *frames):
            out.write(b"FRAME\n" + cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).tobytes())
    return path


def write_mjpeg(path: Path, frames: Iterable[np.ndarray], quality: int = 85) -> Path:
    """Concatenated JPEGs: a tenth of a y4m's size, for long clips (Chromium plays them at 30 fps)."""
    with open(path, "wb") as out:
        for frame in frames:
            ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
            if not ok:
                raise ValueError("JPEG encoding failed")
            out.write(buf.tobytes())
    return path


def _noise(frame: np.ndarray, rng: np.random.Generator, sigma: float = 3.0) -> np.ndarray:
    """Sensor noise (OpenCV's generator, seeded from `rng`: a tenth of numpy's time per frame)."""
    cv2.setRNGSeed(int(rng.integers(1 << 31)))
    noise = np.empty(frame.shape, np.float32)
    cv2.randn(noise, 0, sigma)
    return cv2.add(frame, noise, dtype=cv2.CV_8U)


def scene(seed: int = 0) -> np.ndarray:
    """The room behind the counter, as the tablet's camera sees it."""
    return imagegen.background(SIZE, seed)


def empty_frames(n: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(1000 + seed)
    room = scene(seed)
    return [_noise(room, rng) for _ in range(n)]


@functools.lru_cache(maxsize=8)
def _paper(card_png: bytes, seed: int) -> np.ndarray:
    """The printed card: fibres and grain of the paper, ink a little lighter than black (cached: one
    card is held up for many frames, and its paper does not change)."""
    rng = np.random.default_rng(seed)
    card = cv2.cvtColor(np.array(Image.open(io.BytesIO(card_png)).convert("RGB")), cv2.COLOR_RGB2BGR)
    card = card.astype(np.float32)
    h, w = card.shape[:2]
    fibres = cv2.GaussianBlur(rng.normal(0, 1, (h, w)).astype(np.float32), (0, 0), 1.2)
    fibres = cv2.GaussianBlur(fibres, (0, 0), sigmaX=6, sigmaY=0.8)         # long thin fibres
    grain = rng.normal(0, 4, (h, w)).astype(np.float32)
    paper = card * 0.93 + 14 + (fibres * 18 + grain)[..., None]          # ink ~14, paper ~250
    return np.clip(paper, 0, 255).astype(np.uint8)


def _light(frame: np.ndarray, angle: float, strength: float = 0.45) -> np.ndarray:
    """Uneven light: a window on one side, the hand's shadow on the other."""
    h, w = frame.shape[:2]
    xs = np.linspace(-0.5, 0.5, w, dtype=np.float32)[None, :]
    ys = np.linspace(-0.5, 0.5, h, dtype=np.float32)[:, None]
    gain = 1.0 + strength * (np.cos(angle) * xs + np.sin(angle) * ys)
    return cv2.multiply(frame, cv2.merge([gain] * 3), dtype=cv2.CV_8U)


def printed_card_photo(card_png: bytes, t: float, seed: int = 0, rng: np.random.Generator | None = None
                       ) -> np.ndarray:
    """One frame of a printed card held up at about 25 cm, `t` seconds into the hold."""
    rng = rng or np.random.default_rng(seed)
    paper = _paper(card_png, seed % 4)
    ph, pw = paper.shape[:2]
    width = 380 + 12 * np.sin(t * 1.3)                       # closer and further by a few mm
    height = width * ph / pw
    cx, cy = 320 + 14 * np.sin(t * 2.1), 250 + 9 * np.cos(t * 1.7)
    tilt = 0.16 + 0.03 * np.sin(t * 1.1)                     # top edge further away than the bottom
    turn = np.deg2rad(-7 + 3 * np.sin(t * 0.9))
    half = np.array([[-width / 2, -height / 2], [width / 2, -height / 2], [width / 2, height / 2],
                     [-width / 2, height / 2]])
    half[:2, 0] *= 1 - tilt                                  # keystone
    rot = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
    corners = half @ rot.T + [cx, cy]
    frame = imagegen.paste(scene(seed), paper, corners)
    frame = _light(frame, angle=0.6 + 0.2 * np.sin(t), strength=0.5)
    frame = cv2.GaussianBlur(frame, (0, 0), 0.9 + 0.3 * abs(np.sin(t * 3.0)))   # focus hunting
    return _noise(frame, rng)


def printed_card_clip(card_png: bytes, *, before_s: float = 0.6, hold_s: float = 2.5, after_s: float = 1.0,
                      fps: int = FPS, seed: int = 0) -> list[np.ndarray]:
    """Nobody, then the card held up for `hold_s`, then nobody again."""
    rng = np.random.default_rng(2000 + seed)
    card = [printed_card_photo(card_png, i / fps, seed, rng) for i in range(round(hold_s * fps))]
    return empty_frames(round(before_s * fps), seed) + card + empty_frames(round(after_s * fps), seed + 1)


def _phone(token: str) -> np.ndarray:
    """The phone's screen at its own pixel size (a 1080-pixel-wide display showing the card's QR,
    as the e-mailed card or a photo of the kiosk screen), each pixel drawn as R, G, B stripes."""
    code = imagegen.render_qr(token, module_px=24, border=4)
    screen = cv2.copyMakeBorder(code, 300, 620, 80, 80, cv2.BORDER_CONSTANT, value=255)
    screen = cv2.cvtColor(screen, cv2.COLOR_GRAY2BGR)
    screen = cv2.resize(screen, (screen.shape[1] // 3, screen.shape[0] // 3), interpolation=cv2.INTER_AREA)
    h, w = screen.shape[:2]
    stripes = np.zeros((h * 3, w * 3, 3), np.uint8)          # each pixel: 3 columns B,G,R lit by its value
    big = np.repeat(np.repeat(screen, 3, axis=0), 3, axis=1)
    for channel in range(3):
        stripes[:, channel::3, 2 - channel] = big[:, channel::3, 2 - channel]
    stripes[2::3, :, :] //= 3                                 # the dark gap between pixel rows
    return cv2.copyMakeBorder(stripes, 60, 90, 30, 30, cv2.BORDER_CONSTANT, value=(24, 24, 28))   # bezel


def phone_screen_frame(token: str, t: float, seed: int = 0, rng: np.random.Generator | None = None,
                       phone: np.ndarray | None = None) -> np.ndarray:
    """One frame of a phone held up `t` seconds after it entered the picture: it slides in from the
    right and turns a little while a reflection slides across its glass."""
    rng = rng or np.random.default_rng(seed)
    phone = _phone(token) if phone is None else phone
    h, w = phone.shape[:2]
    arrive = min(1.0, t / 0.6)
    height = 430 + 20 * np.sin(t * 1.5)
    width = height * w / h
    cx = 330 + (1 - arrive) * 260 + 10 * np.sin(t * 2.3)
    cy = 240 + 8 * np.cos(t * 1.9)
    turn = np.deg2rad(8 * np.sin(t * 0.8) - 4)
    half = np.array([[-width / 2, -height / 2], [width / 2, -height / 2], [width / 2, height / 2],
                     [-width / 2, height / 2]])
    half[1:3, 1] *= 1 - 0.06 * np.sin(t)                      # the phone tips left and right
    rot = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
    corners = (half @ rot.T + [cx, cy]).astype(np.float32)
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    # The lens forms the screen's image at twice the sensor's resolution, softened a little; the
    # sensor's pixels then sample it without smoothing, and the stripe grid aliases into moire.
    lens = cv2.getPerspectiveTransform(src, corners * 2)
    optical = cv2.warpPerspective(phone, lens, (SIZE[0] * 2, SIZE[1] * 2), flags=cv2.INTER_LINEAR)
    optical = cv2.GaussianBlur(optical, (0, 0), 1.1)
    screen = cv2.resize(optical, SIZE, interpolation=cv2.INTER_NEAREST).astype(np.float32) * 2.2   # it glows
    mask = cv2.warpPerspective(np.full((h, w), 255, np.uint8), cv2.getPerspectiveTransform(src, corners), SIZE,
                               flags=cv2.INTER_LINEAR)
    yy, xx = np.mgrid[0:SIZE[1], 0:SIZE[0]].astype(np.float32)
    band = (xx - cx) * np.cos(0.5) + (yy - cy) * np.sin(0.5) - 110 * np.sin(t * 1.2)
    glare = 90 * np.exp(-(band / 60) ** 2)                   # a window's reflection on the glass
    screen = np.clip(screen + glare[..., None], 0, 255)
    alpha = (mask.astype(np.float32) / 255)[..., None]
    frame = (scene(seed) * (1 - alpha) + screen * alpha).astype(np.uint8)
    return _noise(frame, rng)


def phone_screen_clip(token: str, *, before_s: float = 0.6, hold_s: float = 2.5, after_s: float = 1.0,
                      fps: int = FPS, seed: int = 0) -> list[np.ndarray]:
    """Nobody, then the phone moved in and held up for `hold_s`, then nobody again."""
    rng = np.random.default_rng(3000 + seed)
    phone = _phone(token)
    shown = [phone_screen_frame(token, i / fps, seed, rng, phone) for i in range(round(hold_s * fps))]
    return empty_frames(round(before_s * fps), seed) + shown + empty_frames(round(after_s * fps), seed + 1)
