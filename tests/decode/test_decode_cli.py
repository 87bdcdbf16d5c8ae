"""`loyalty decode FILE...` end to end: a real process reading a video through cv2.VideoCapture."""

import json
import subprocess
import sys
from pathlib import Path

import cv2

import imagegen

LOYALTY = Path(sys.executable).with_name("loyalty")


def run_decode(*files: Path) -> tuple[int, list[dict]]:
    proc = subprocess.run([str(LOYALTY), "decode", *map(str, files)], capture_output=True, text=True, timeout=120)
    return proc.returncode, [json.loads(line) for line in proc.stdout.splitlines()]


def test_video_and_image_through_the_command(tmp_path):
    text = imagegen.TOKENS[1]
    # mirrored selfie view of a card that comes, stays, leaves and comes back
    frames = [f[:, ::-1] for f in imagegen.card_clip(text, [(False, 3), (True, 8), (False, 40), (True, 8)])]
    video = imagegen.make_video(tmp_path / "counter.mp4", frames, fps=20)
    image = tmp_path / "dark.png"
    cv2.imwrite(str(image), imagegen.inverted(imagegen.TOKENS[0]))
    rc, (v, i) = run_decode(video, image)
    assert rc == 0
    assert v["file"] == str(video) and v["frames"] == 59 and v["ms"] > 0 and v["median_ms"] > 0
    (code,) = v["codes"]
    assert (code["text"], code["decoder"], code["first_frame"], code["frames_seen"]) == (text, "zxing-cpp", 3, 16)
    xs, ys = zip(*code["points"])
    assert 160 < min(xs) < 320 < max(xs) < 480 and 80 < min(ys) < 240 < max(ys) < 400, "points in the 640x480 frame"
    assert [c["frame"] for c in v["check_ins"]] == [4, 52], "2 of 3 frames, then again after 2 s out of view"
    assert [(c["text"], c["decoder"], len(c["points"])) for c in i["codes"]] == [(imagegen.TOKENS[0], "zxing-cpp", 4)]
    assert i["ms"] > 0


def test_file_without_a_code_and_missing_file_exit_1(tmp_path):
    empty = tmp_path / "empty.jpg"
    cv2.imwrite(str(empty), imagegen.empty_frame(2))
    rc, (e, m) = run_decode(empty, tmp_path / "nope.mp4")
    assert rc == 1
    assert e["codes"] == [] and m["error"] == "no such file"
