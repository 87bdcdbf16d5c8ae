"""Synthetic kiosk camera frames with a loyalty QR code, made here so tests own their inputs.

Each variant imitates one thing a counter webcam really sees: a tilted card, a phone screen with
glare, a code far away, a dark-mode code, a mirrored selfie camera. All frames are BGR uint8 and
pass through JPEG compression, as webcam MJPG streams do.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import cv2
import numpy as np
import qrcode

TOKENS = (
    "LY1:ABCDEFGHIJKLMN23:ABCDEFGH2345",
    "LY1:Q7RZ2M4KX5WT3PLA:N6VY7B2C4D5E",
    "LY1:ZZZZ2222AAAA7777:MMMM3333KKKK",
)

FRAME = (1280, 720)


def render_qr(text: str, module_px: int = 8, border: int = 4) -> np.ndarray:
    """Grayscale QR image (dark modules 0, light 255) the way the card printer makes it."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=1, border=border)
    qr.add_data(text)
    qr.make(fit=True)
    modules = np.array(qr.get_matrix(), dtype=bool)
    img = np.where(modules, 0, 255).astype(np.uint8)
    return cv2.resize(img, None, fx=module_px, fy=module_px, interpolation=cv2.INTER_NEAREST)


def background(size: tuple[int, int] = FRAME, seed: int = 0) -> np.ndarray:
    """A dull counter/room scene: lighting gradient, a few blurry objects and sensor noise."""
    return _background(tuple(size), seed).copy()


@functools.lru_cache(maxsize=32)
def _background(size: tuple[int, int], seed: int) -> np.ndarray:
    """Cached: the blur makes a scene cost about 0.1 s, and clips use one scene for every frame."""
    rng = np.random.default_rng(seed)
    w, h = size
    gx = np.linspace(0, 1, w, dtype=np.float32)[None, :]
    gy = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    base = 90 + 60 * gx * (1 - 0.5 * gy)
    img = np.dstack([base * 0.9, base, base * 1.1])
    for _ in range(6):
        color = rng.uniform(40, 200, 3).tolist()
        x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
        cv2.rectangle(
            img, (x0, y0), (x0 + int(rng.integers(40, w // 3)), y0 + int(rng.integers(40, h // 3))), color, -1
        )
    img = cv2.GaussianBlur(img, (0, 0), 6)
    img += rng.normal(0, 4, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def card(text: str, module_px: int = 8) -> np.ndarray:
    """White printed card (BGR) with the QR and a margin, like the plastic card or key tag."""
    code = render_qr(text, module_px, border=4)
    pad = code.shape[0] // 6
    img = cv2.copyMakeBorder(code, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=245)
    return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)


def paste(scene: np.ndarray, patch: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """Warp `patch` onto `scene` so its corners land on `corners` (tl, tr, br, bl)."""
    h, w = patch.shape[:2]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    m = cv2.getPerspectiveTransform(src, np.float32(corners))
    size = (scene.shape[1], scene.shape[0])
    warped = cv2.warpPerspective(patch, m, size, flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full((h, w), 255, np.uint8), m, size, flags=cv2.INTER_LINEAR)
    alpha = (mask.astype(np.float32) / 255)[..., None]
    return (scene * (1 - alpha) + warped * alpha).astype(np.uint8)


def square(cx: float, cy: float, side: float, angle_deg: float = 0.0) -> np.ndarray:
    """Corners (tl, tr, br, bl) of a square centred at (cx, cy), rotated by angle_deg."""
    a = np.deg2rad(angle_deg)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    half = side / 2
    pts = np.array([[-half, -half], [half, -half], [half, half], [-half, half]])
    return pts @ rot.T + [cx, cy]


def jpeg(img: np.ndarray, quality: int = 80) -> np.ndarray:
    """Round-trip through JPEG, as an MJPG webcam or a screenshot does."""
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)


def held_card(text: str, seed: int = 0, size: tuple[int, int] = FRAME, side: float = 380,
              dx: float = 0, dy: float = 0, angle: float = 0) -> np.ndarray:
    """A card held up square to the camera, optionally shifted/rotated (for video movement)."""
    w, h = size
    corners = square(w / 2 + dx, h / 2 + dy, side * min(w / 1280, h / 720), angle)
    return paste(background(size, seed), card(text), corners)


def perspective(text: str, seed: int = 0) -> np.ndarray:
    """Card tilted away from the camera: strong keystone."""
    corners = np.array([[470, 170], [860, 220], [830, 560], [450, 600]], np.float32)
    return jpeg(paste(background(seed=seed), card(text), corners))


def rotated(text: str, seed: int = 0) -> np.ndarray:
    """Card held at 35 degrees."""
    return jpeg(held_card(text, seed, angle=35))


def blurred(text: str, seed: int = 0) -> np.ndarray:
    """Slightly out of focus (webcam autofocus hunting)."""
    return jpeg(cv2.GaussianBlur(held_card(text, seed), (0, 0), 2.2))


def dim(text: str, seed: int = 0) -> np.ndarray:
    """Dark room, low contrast: values squeezed into a 40-level band."""
    img = held_card(text, seed).astype(np.float32)
    return jpeg((30 + img * (40 / 255)).astype(np.uint8), 90)


def inverted(text: str, seed: int = 0) -> np.ndarray:
    """Dark-mode wallet app: light modules on a dark card."""
    corners = square(640, 360, 380, 8)
    return jpeg(paste(background(seed=seed), 255 - card(text), corners))


def mirrored(text: str, seed: int = 0) -> np.ndarray:
    """Selfie webcam that flips the image horizontally."""
    return jpeg(held_card(text, seed, angle=-6)[:, ::-1])


def small_far(text: str, seed: int = 0) -> np.ndarray:
    """Card far from the camera: about 2.5 px per module in a 1280x720 frame."""
    corners = square(900, 250, 110, 4)
    return jpeg(paste(background(seed=seed), card(text), corners), 90)


def phone_screen(text: str, seed: int = 0) -> np.ndarray:
    """Code shown on a phone: dark bezel, glare gradient across the screen, moire-like ripple."""
    code = cv2.cvtColor(render_qr(text, 10, border=3), cv2.COLOR_GRAY2BGR).astype(np.float32)
    screen = cv2.copyMakeBorder(code, 120, 220, 40, 40, cv2.BORDER_CONSTANT, value=(250, 250, 250))
    h, w = screen.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    glare = 70 * np.clip(1 - np.abs((xx / w + yy / h) - 0.8) * 3, 0, 1)
    ripple = 10 * np.sin(xx * 0.9 + yy * 0.35) * np.sin(yy * 0.05)
    screen = np.clip(screen * 0.8 + (glare + ripple)[..., None], 0, 255)
    phone = cv2.copyMakeBorder(screen, 30, 30, 16, 16, cv2.BORDER_CONSTANT, value=(25, 25, 28)).astype(np.uint8)
    ph, pw = phone.shape[:2]
    s = 560 / ph
    cx, cy = 640, 360
    corners = np.array([[cx - pw * s / 2, cy - ph * s / 2], [cx + pw * s / 2 - 10, cy - ph * s / 2 + 15],
                        [cx + pw * s / 2, cy + ph * s / 2], [cx - pw * s / 2 + 12, cy + ph * s / 2 - 8]])
    return jpeg(paste(background(seed=seed), phone, corners), 75)


def far_soft(text: str, seed: int = 0) -> np.ndarray:
    """Card far away and out of focus (autofocus on the face behind it): 2.5 px modules, blurred."""
    scene = paste(background(seed=seed), card(text), square(900, 260, 110, 4))
    return jpeg(cv2.GaussianBlur(scene, (0, 0), 1.25), 85)


def crumpled(text: str, seed: int = 0, amplitude: float = 7.0) -> np.ndarray:
    """A paper card that was crumpled in a pocket: a smooth random warp of up to `amplitude` px
    across its 8 px modules and uneven light on the creases. Most are readable only in part."""
    c = card(text)
    h, w = c.shape[:2]
    rng = np.random.default_rng(100 + seed)
    fields = [cv2.GaussianBlur(rng.normal(0, 1, (h, w)).astype(np.float32), (0, 0), 25) for _ in range(3)]
    dx, dy, light = (f / (np.abs(f).max() + 1e-6) for f in fields)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    warped = cv2.remap(c, xx + amplitude * dx, yy + amplitude * dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    warped = np.clip(warped * (1 + 0.3 * light[..., None]), 0, 255).astype(np.uint8)
    return jpeg(paste(background(seed=seed), warped, square(640, 360, 400, 3)))


VARIANTS: dict[str, Callable[[str, int], np.ndarray]] = {
    "perspective": perspective,
    "rotated": rotated,
    "blurred": blurred,
    "dim": dim,
    "inverted": inverted,
    "mirrored": mirrored,
    "small_far": small_far,
    "phone_screen": phone_screen,
    "far_soft": far_soft,
}
"""Each reads in full at 1280x720; tests/test_decoding.py checks every one with every token."""

HARD: dict[str, Callable[[str, int], np.ndarray]] = {"crumpled": crumpled}
"""Frames the cascade reads only in part; bench.decode measures them over many seeds."""


def empty_frame(seed: int = 0, size: tuple[int, int] = FRAME) -> np.ndarray:
    """A scene without any code."""
    return jpeg(background(size, seed))


def unreadable_symbol(seed: int = 0) -> np.ndarray:
    """A QR-looking symbol (finder and timing patterns) filled with random modules: zxing-cpp
    reports a symbol it cannot decode, so every fallback stage runs on it and must find nothing.
    Odd seeds are slightly blurred."""
    rng = np.random.default_rng(seed)
    code = render_qr(TOKENS[seed % len(TOKENS)], module_px=1, border=0)
    n = code.shape[0]
    noise = np.where(rng.random((n, n)) < 0.5, 0, 255).astype(np.uint8)
    keep = np.zeros((n, n), bool)
    for y, x in ((0, 0), (0, n - 7), (n - 7, 0)):
        keep[max(0, y - 1):y + 8, max(0, x - 1):x + 8] = True
    keep[6, :] = keep[:, 6] = True
    sym = cv2.copyMakeBorder(np.where(keep, code, noise), 4, 4, 4, 4, cv2.BORDER_CONSTANT, value=255)
    patch = cv2.cvtColor(cv2.resize(sym, None, fx=10, fy=10, interpolation=cv2.INTER_NEAREST), cv2.COLOR_GRAY2BGR)
    scene = paste(background(seed=seed), patch, square(640, 360, 400, 5))
    return jpeg(cv2.GaussianBlur(scene, (0, 0), 1.0) if seed % 2 else scene)


def empty_scenes(n: int = 8) -> list[np.ndarray]:
    """Frames a kiosk camera sees with no card in view: rooms, sensor noise, a checked pattern."""
    frames = [empty_frame(s) for s in range(n)]
    frames.append(np.random.default_rng(3).integers(0, 256, (720, 1280, 3), dtype=np.uint8))
    board = np.kron((np.indices((36, 64)).sum(0) % 2) * 255, np.ones((20, 20))).astype(np.uint8)
    frames.append(cv2.cvtColor(board, cv2.COLOR_GRAY2BGR))
    return frames


def unreadable_symbols(n: int = 8) -> list[np.ndarray]:
    """`unreadable_symbol` for n seeds, each also mirrored and inverted."""
    frames = []
    for s in range(n):
        sym = unreadable_symbol(s)
        frames += [sym, np.ascontiguousarray(sym[:, ::-1]), 255 - sym]
    return frames


def card_clip(text: str, spans: Sequence[tuple[bool, int]], size: tuple[int, int] = (640, 480)) -> list[np.ndarray]:
    """Frames of a clip: for each (card_visible, n_frames) span, n empty or card frames.

    The card drifts and tilts a little from frame to frame, as in a hand.
    """
    frames = []
    i = 0
    for visible, n in spans:
        for _ in range(n):
            if visible:
                t = i * 0.4
                frames.append(
                    held_card(text, 1, size, side=420, dx=12 * np.sin(t), dy=8 * np.cos(t), angle=4 * np.sin(t / 2))
                )
            else:
                frames.append(background(size, 1))
            i += 1
    return frames


def make_video(path: str | Path, frames: Iterable[np.ndarray], fps: float = 20.0) -> Path:
    """Write frames to an mp4 ('mp4v') that cv2.VideoCapture can read back, as from a file camera."""
    path = Path(path)
    frames = list(frames)
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    if not writer.isOpened():
        raise RuntimeError(f"cannot write video {path}")
    for f in frames:
        writer.write(f)
    writer.release()
    return path
