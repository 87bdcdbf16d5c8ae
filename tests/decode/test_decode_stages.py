"""Each fallback stage of the decode cascade reads generated frames the stages before it missed,
and no stage invents a code where there is none."""

import cv2
import numpy as np
import pytest

from loyalty.adapters import decoding
from loyalty.adapters.decoding import decode_frame

import imagegen

CRUMPLED_ZOOM_SEED = 16
"""A crumpled card that the sharpened zoom reads and zxing-cpp alone does not."""


def gray(frame: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)


def earlier_stages_miss(g: np.ndarray, text: str, stage) -> None:
    """zxing-cpp sees a symbol but reads no text, and no fallback before `stage` reads it."""
    results = decoding._zxing(g)
    assert results and not any(b.valid for b in results)
    crops = decoding._crops(g, results)
    for earlier in decoding.FALLBACKS[:decoding.FALLBACKS.index(stage)]:
        assert text not in [t for _, t, _ in earlier(g, crops)], earlier.__name__


@pytest.mark.parametrize("index", range(len(imagegen.TOKENS)))
def test_sharpened_zoom_reads_far_soft_codes_the_global_threshold_misses(index):
    text = imagegen.TOKENS[index]
    frame = imagegen.far_soft(text, index)
    earlier_stages_miss(gray(frame), text, decoding._stage_sharpen_zoom)
    (d,) = decode_frame(frame)
    assert (d.text, d.decoder) == (text, "zxing-cpp-zoom")
    xs, ys = zip(*d.points)
    # the card is centred at (900, 260), about 110 px wide; the code is its middle part
    assert 840 < min(xs) < 900 < max(xs) < 960 and 200 < min(ys) < 260 < max(ys) < 320


def test_sharpened_zoom_reads_a_crumpled_card():
    text = imagegen.TOKENS[CRUMPLED_ZOOM_SEED % 3]
    frame = imagegen.crumpled(text, CRUMPLED_ZOOM_SEED)
    earlier_stages_miss(gray(frame), text, decoding._stage_sharpen_zoom)
    assert [(d.text, d.decoder) for d in decode_frame(frame)] == [(text, "zxing-cpp-zoom")]


def test_stages_run_in_order_and_stop_at_the_first_read(monkeypatch):
    calls: list[str] = []

    def spying(stage):
        def spy(g, crops):
            calls.append(stage.__name__)
            return stage(g, crops)
        return spy

    monkeypatch.setattr(decoding, "FALLBACKS", tuple(spying(s) for s in decoding.FALLBACKS))
    text = imagegen.TOKENS[0]
    assert [d.text for d in decode_frame(imagegen.far_soft(text, 0))] == [text]
    assert calls == ["_stage_global", "_stage_sharpen_zoom"]


def test_no_false_reads_on_frames_without_a_code():
    frames = imagegen.unreadable_symbols(4)
    seen = sum(bool(decoding._zxing(gray(f))) for f in frames)
    assert seen >= 4, "some frames must reach the fallback stages to test them"
    frames += imagegen.empty_scenes(4)
    assert [i for i, f in enumerate(frames) if decode_frame(f)] == []
    assert decode_frame(np.full((720, 1280, 3), 255, np.uint8)) == []


def test_mirrored_inverted_far_code_reads():
    """A selfie camera showing a dark-mode code held far away: all three at once."""
    text = imagegen.TOKENS[2]
    scene = imagegen.paste(imagegen.background(seed=4), 255 - imagegen.card(text), imagegen.square(350, 250, 150, -7))
    frame = imagegen.jpeg(scene[:, ::-1], 90)
    assert [d.text for d in decode_frame(frame)] == [text]


def test_contact_sheet_of_what_each_stage_reads(artefacts):
    """artefacts/decode-stages.png: every generated kind of frame, outlined where read, with the stage."""
    tiles = []
    frames = [(name, make(imagegen.TOKENS[0], 0)) for name, make in imagegen.VARIANTS.items()]
    frames += [(f"crumpled {s}", imagegen.crumpled(imagegen.TOKENS[s % 3], s)) for s in (0, CRUMPLED_ZOOM_SEED)]
    frames.append(("unreadable", imagegen.unreadable_symbol(1)))
    for name, frame in frames:
        decoded = decode_frame(frame)
        tile = frame.copy()
        for d in decoded:
            cv2.polylines(tile, [np.array(d.points).round().astype(np.int32)], True, (40, 220, 40), 6)
        label = f"{name}: " + (", ".join(d.decoder for d in decoded) or "nothing")
        tile = cv2.resize(tile, (480, 270), interpolation=cv2.INTER_AREA)
        cv2.rectangle(tile, (0, 0), (480, 30), (0, 0, 0), -1)
        cv2.putText(tile, label, (8, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 1, cv2.LINE_AA)
        tiles.append(tile)
        assert bool(decoded) == (name != "unreadable"), name
    while len(tiles) % 4:
        tiles.append(np.zeros_like(tiles[0]))
    sheet = np.vstack([np.hstack(tiles[i:i + 4]) for i in range(0, len(tiles), 4)])
    path = artefacts / "decode-stages.png"
    assert cv2.imwrite(str(path), sheet) and path.stat().st_size > 0
