"""decode_frame and decode_file on frames the tests generate themselves (tests/imagegen.py)."""

import cv2
import numpy as np
import pytest

from loyalty.adapters import decoding
from loyalty.adapters.decode_files import decode_file
from loyalty.adapters.decoding import Decoded, decode_frame

import imagegen

TOKEN = imagegen.TOKENS[0]


def texts(frame: np.ndarray) -> list[str]:
    return [d.text for d in decode_frame(frame)]


@pytest.mark.parametrize("variant", sorted(imagegen.VARIANTS))
@pytest.mark.parametrize("index", range(len(imagegen.TOKENS)))
def test_each_variant_decodes_to_the_exact_text(variant, index):
    text = imagegen.TOKENS[index]
    assert texts(imagegen.VARIANTS[variant](text, index)) == [text]


def test_result_shape_and_points_around_the_code():
    (d,) = decode_frame(imagegen.held_card(TOKEN))
    assert isinstance(d, Decoded) and d.decoder == "zxing-cpp" and d.ms > 0
    assert len(d.points) == 4
    xs, ys = zip(*d.points)
    # the card is centred in the 1280x720 frame; the code is its middle part
    assert 480 < min(xs) < 640 < max(xs) < 800 and 200 < min(ys) < 360 < max(ys) < 520


def test_large_frame_is_downscaled_and_points_map_back():
    frame = cv2.resize(imagegen.held_card(TOKEN), (2560, 1440), interpolation=cv2.INTER_CUBIC)
    (small,) = decode_frame(imagegen.held_card(TOKEN))
    (big,) = decode_frame(frame)
    assert big.text == TOKEN
    assert np.allclose(np.array(big.points), 2 * np.array(small.points), atol=6)


def test_mirrored_view_and_gray_input():
    frame = imagegen.held_card(TOKEN, angle=10)
    assert texts(frame[:, ::-1]) == [TOKEN]  # a flipped view, not a copy
    assert texts(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)[:, ::-1]) == [TOKEN]


def test_inverted_code_on_gray_frame():
    gray = cv2.cvtColor(imagegen.held_card(TOKEN), cv2.COLOR_BGR2GRAY)
    assert texts(255 - gray) == [TOKEN]


def test_two_codes_in_one_frame():
    scene = imagegen.background()
    for i, cx in enumerate((330, 950)):
        scene = imagegen.paste(scene, imagegen.card(imagegen.TOKENS[i]), imagegen.square(cx, 360, 360))
    assert sorted(texts(scene)) == sorted(imagegen.TOKENS[:2])


@pytest.fixture
def zxing_calls(monkeypatch) -> list[tuple]:
    """Count zxing-cpp calls (the real ones still run): the cost model is one call per empty frame."""
    calls: list[tuple] = []
    real = decoding._zxing

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(decoding, "_zxing", counting)
    return calls


def test_nothing_in_empty_or_noise_frames_for_one_zxing_call(zxing_calls):
    rng = np.random.default_rng(7)
    frames = [imagegen.empty_frame(s) for s in range(3)]
    frames.append(rng.integers(0, 256, (720, 1280, 3), dtype=np.uint8))
    frames.append(np.zeros((480, 640), np.uint8))
    for frame in frames:
        assert decode_frame(frame) == []
    assert len(zxing_calls) == len(frames)


def test_damaged_code_gets_the_fallback_but_no_false_text(zxing_calls):
    code = imagegen.render_qr(TOKEN)
    h = code.shape[0]
    code[h // 3:2 * h // 3, h // 4:3 * h // 4] = 255  # far beyond level M's error correction
    assert decode_frame(code) == []
    # the first read, the global threshold on the frame, the sharpened zoom on the symbol's crop
    assert len(zxing_calls) == 3, "a seen-but-unreadable symbol earns one call per zxing-cpp fallback"


def test_decode_file_image(tmp_path):
    path = tmp_path / "card.png"
    cv2.imwrite(str(path), imagegen.phone_screen(TOKEN))
    out = decode_file(path)
    assert out["file"] == str(path) and out["ms"] > 0
    assert [(c["text"], c["decoder"], len(c["points"])) for c in out["codes"]] == [(TOKEN, "zxing-cpp", 4)]


def test_decode_file_video_and_errors(tmp_path):
    frames = imagegen.card_clip(TOKEN, [(False, 4), (True, 6), (False, 4)])
    path = imagegen.make_video(tmp_path / "clip.mp4", frames, fps=10)
    out = decode_file(path)
    assert out["frames"] == 14 and out["ms"] >= out["median_ms"] > 0
    (code,) = out["codes"]
    assert (code["text"], code["decoder"], code["first_frame"], code["frames_seen"]) == (TOKEN, "zxing-cpp", 4, 6)
    assert len(code["points"]) == 4
    assert out["check_ins"] == [{"text": TOKEN, "frame": 5}]
    assert "error" in decode_file(tmp_path / "missing.png")
    (tmp_path / "junk.mp4").write_bytes(b"junk")
    assert "error" in decode_file(tmp_path / "junk.mp4")
