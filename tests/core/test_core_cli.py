"""The `loyalty` command as a user runs it: subprocesses on real files, exit codes, stderr, cards."""
from __future__ import annotations

import io
import json
import os
import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from station.cli import build_parser

REPO = Path(__file__).resolve().parents[2]
COMMANDS = sorted(build_parser()._subparsers._group_actions[0].choices)


def _env(home: Path, env: dict | None = None) -> dict:
    return {**os.environ, "PYTHONPATH": str(REPO), "LOYALTY_HOME": str(home), "LOYALTY_LANG": "en", **(env or {})}


def run(home: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "station.cli", *args], capture_output=True, text=True, cwd=home,
                          env=_env(home, env), timeout=120)


def run_all(home: Path, *calls: list[str]) -> list[subprocess.CompletedProcess]:
    """Independent commands at once (each process spends most of its time importing)."""
    procs = [(call, subprocess.Popen([sys.executable, "-m", "station.cli", *call], cwd=home, text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(home)))
             for call in calls]
    results = []
    for call, proc in procs:
        out, err = proc.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(call, proc.returncode, out, err))
    return results


def no_traceback(result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stderr and "Error:" not in result.stderr.split(":", 1)[0], result.stderr


def test_every_subcommand_has_help(tmp_path):
    assert {"init", "demo", "enroll", "checkin", "award", "redeem", "member", "card", "export", "erase",
            "import-balances", "run", "decode"} <= set(COMMANDS)
    names = ["", *COMMANDS]
    for name, result in zip(names, run_all(tmp_path, *[[name, "--help"] if name else [] for name in names])):
        if name == "":
            assert result.returncode == 2 and "COMMAND" in result.stderr      # no command is a usage error
            continue
        assert result.returncode == 0, (name, result.stderr)
        assert result.stdout.startswith(f"usage: loyalty {name}") and len(result.stdout.splitlines()) > 3, name
    assert not list(tmp_path.iterdir()), "--help must not create a station"


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("cli")
    result = run(home, "init", "--manager", "Maria", "--pin", "2468")
    assert result.returncode == 0 and "station ready" in result.stdout, result.stderr
    return home


@pytest.fixture(scope="module")
def anna(home) -> dict:
    result = run(home, "enroll", "Anna", "--email", "anna@example.org", "--phone", "0171 2345678",
                 "--consent", "--adult", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


STAFF = ("--staff", "Maria", "--pin", "2468")


def test_usage_errors_exit_2(home, anna):
    calls = (["bogus"], ["award"], ["award", anna["member_id"], "12,345"], ["award", anna["member_id"], "nan"],
             ["enroll"], ["erase", anna["member_id"], *STAFF], ["init", "--manager", "Maria"])
    for call, result in zip(calls, run_all(home, *calls)):
        assert result.returncode == 2, (call, result.stderr)
        assert result.stderr.strip() and "Traceback" not in result.stderr


def test_enroll_dedupes_and_refuses_with_reasons(home, anna):
    assert anna["created"] and anna["card"].startswith("LY1:") and anna["bonus_points"] == 50
    again, refused, bad = run_all(
        home, ["enroll", "Anna", "--email", "ANNA@example.org", "--consent", "--adult", "--json"],
        ["enroll", "Ben", "--email", "ben@example.org", "--adult", "--lang", "de"],
        ["enroll", "Ben", "--email", "ben@", "--consent", "--adult"])
    assert json.loads(again.stdout)["member_id"] == anna["member_id"] and not json.loads(again.stdout)["created"]
    assert refused.returncode == 1 and "Teilnahmebedingungen" in refused.stderr
    assert bad.returncode == 1 and "e-mail address" in bad.stderr
    no_traceback(refused)
    no_traceback(bad)


def test_checkin_award_redeem_and_member(home, anna):
    card = anna["card"]
    first = run(home, "checkin", card, "--json")
    assert first.returncode == 0 and json.loads(first.stdout)["status"] == "checked_in"
    again, foreign, tampered, no_staff, wrong_pin, award = run_all(
        home, ["checkin", card, "--json"], ["checkin", "https://example.org/", "--lang", "de"],
        ["checkin", card[:-1] + ("A" if card[-1] != "A" else "B")], ["award", card, "49.90", "--item", "serum"],
        ["award", card, "49.90", "--staff", "Maria", "--pin", "0000"],
        ["award", card, "149,90", "--item", "serum", "--json", *STAFF])
    assert again.returncode == 0 and json.loads(again.stdout)["status"] == "already_checked_in"
    assert foreign.returncode == 1 and "keine unserer Bonuskarten" in foreign.stderr
    assert tampered.returncode == 1 and "could not be verified" in tampered.stderr
    assert no_staff.returncode == 1 and "sign in" in no_staff.stderr
    assert wrong_pin.returncode == 1 and "PIN is wrong" in wrong_pin.stderr
    assert award.returncode == 0 and json.loads(award.stdout)["points"] == 149, award.stderr
    redeemed = run(home, "redeem", anna["member_id"], "lounge", "--json", *STAFF)
    assert redeemed.returncode == 0 and json.loads(redeemed.stdout)["balance"] == 50 + 149 - 150, redeemed.stderr
    botox, broke, status, found = run_all(
        home, ["award", card, "350", "--item", "botox", *STAFF], ["redeem", card, "lounge", *STAFF],
        ["member", card, "--json", *STAFF], ["member", "0171 23", "--search", "--json", *STAFF])
    assert botox.returncode == 1 and "GOÄ" in botox.stderr
    assert broke.returncode == 1 and "Not enough points: the member has 49, this needs 150" in broke.stderr
    status = json.loads(status.stdout)
    assert status["first_name"] == "Anna" and status["stamps_on_card"] == 1 and status["points"] == 49
    assert [f["member_id"] for f in json.loads(found.stdout)] == [anna["member_id"]]
    for result in (foreign, tampered, no_staff, wrong_pin, botox, broke):
        no_traceback(result)


def _pdf_image(pdf: bytes) -> Image.Image:
    """The card image inside the PDF: fpdf2 stores PNG scanlines (Predictor 15), so they are a PNG's IDAT."""
    head = re.search(rb"/Subtype /Image", pdf)
    start = pdf.rfind(b" obj", 0, head.start())
    header = pdf[start:pdf.index(b"stream\n", head.start())]
    width, height, length = (
        int(re.search(rb"/%s (\d+)" % k, header).group(1)) for k in (b"Width", b"Height", b"Length")
    )
    assert b"/Predictor 15" in header and b"/DeviceRGB" in header
    data = pdf[pdf.index(b"stream\n", head.start()) + 7:][:length]

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", data) + chunk(b"IEND", b""))
    return Image.open(io.BytesIO(png))


def test_card_png_and_pdf_hold_a_qr_that_decodes_to_the_token(home, anna, tmp_path):
    png, pdf = tmp_path / "card.png", tmp_path / "card.pdf"
    result = run(home, "card", anna["card"], "--png", str(png), "--pdf", str(pdf), *STAFF)
    assert result.returncode == 0 and result.stdout.strip() == anna["card"], result.stderr
    image = Image.open(png)
    assert image.format == "PNG" and image.size == (1011, 638)
    (code,) = zxingcpp.read_barcodes(image)
    assert code.text == anna["card"] and code.format == zxingcpp.BarcodeFormat.QRCode
    assert pdf.read_bytes().startswith(b"%PDF-")
    (from_pdf,) = zxingcpp.read_barcodes(_pdf_image(pdf.read_bytes()))
    assert from_pdf.text == anna["card"]


def test_reissue_then_the_old_card_is_refused(home, tmp_path):
    ben = json.loads(run(home, "enroll", "Ben", "--email", "ben@example.org", "--consent", "--adult", "--json").stdout)
    new = run(home, "card", ben["card"], "--reissue", *STAFF)
    assert new.returncode == 0 and new.stdout.strip() != ben["card"]
    old = run(home, "member", ben["card"], *STAFF)
    assert old.returncode == 1 and "no longer valid" in old.stderr
    assert run(home, "checkin", new.stdout.strip()).returncode == 0


def test_import_export_and_erase(home, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("first_name,email,points,consent\nCarla,carla@example.org,10,yes\nDora,dora@,5,yes\n",
                   encoding="utf-8")
    good = tmp_path / "good.csv"
    good.write_text("first_name,email,points,consent\nCarla,carla@example.org,10,yes\n", encoding="utf-8")
    binary = tmp_path / "photo.csv"
    binary.write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)))
    result, dry, not_text, missing = run_all(
        home, ["import-balances", str(bad), *STAFF], ["import-balances", str(good), "--dry-run", *STAFF],
        ["import-balances", str(binary), *STAFF], ["import-balances", str(tmp_path / "missing.csv"), *STAFF])
    assert result.returncode == 1 and "row 3:" in result.stderr and "nothing imported" in result.stderr
    assert dry.returncode == 0 and "The import will write — rows: 1 · new members: 1" in dry.stdout
    assert not_text.returncode == 3 and "UTF-8" in not_text.stderr
    assert missing.returncode == 3
    for each in (result, not_text, missing):
        no_traceback(each)
    assert run(home, "import-balances", str(good), *STAFF).returncode == 0
    (carla,) = json.loads(run(home, "member", "carla@", "--search", "--json", *STAFF).stdout)
    assert carla["points"] == 10                    # the bad file wrote nothing, the good one 10 (no signup bonus)
    out = tmp_path / "carla.json"
    assert run(home, "export", carla["member_id"], "-o", str(out), *STAFF).returncode == 0
    assert json.loads(out.read_text(encoding="utf-8"))["member"]["email"] == "carla@example.org"
    erased = run(home, "erase", carla["member_id"], "--yes", *STAFF)
    assert erased.returncode == 0 and "erased" in erased.stdout
    assert run(home, "member", "carla@", "--search", "--json", *STAFF).stdout.strip() == "[]"


def test_broken_program_and_broken_files_fail_cleanly(tmp_path):
    program = tmp_path / "broken.toml"
    text = (REPO / "assets" / "programs" / "clinic-de.toml").read_text(encoding="utf-8")
    program.write_text(text.replace("daily_limit = 1", "daily_limit = \"one\""), encoding="utf-8")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "loyalty.db").write_bytes(b"this is not sqlite" * 100)
    broken, missing, no_station = run_all(tmp_path, ["init", "--program", str(program)],
                                          ["init", "--program", str(tmp_path / "nope.toml")], ["member", "x"])
    assert broken.returncode == 1
    assert re.search(r"line \d+: checkin\.daily_limit: must be a whole number", broken.stderr), broken.stderr
    assert missing.returncode == 3
    assert no_station.returncode == 3 and "loyalty init" in no_station.stderr
    not_db = run(tmp_path / "b", "member", "x", env={"LOYALTY_HOME": str(tmp_path / "b")})
    assert not_db.returncode == 3 and "cannot be used" in not_db.stderr
    for each in (broken, missing, no_station, not_db):
        no_traceback(each)


def test_reading_members_needs_a_staff_sign_in(home, anna):
    """Search, status and the card code are personal data: the CLI asks for a PIN as the staff app does."""
    calls = (["member", "anna@", "--search", "--json"], ["member", anna["member_id"]], ["card", anna["member_id"]],
             ["member", "anna@", "--search", "--staff", "Maria", "--pin", "0000"])
    for call, result in zip(calls, run_all(home, *calls)):
        assert result.returncode == 1 and ("sign in" in result.stderr or "PIN is wrong" in result.stderr), call
        assert "anna@example.org" not in result.stdout and anna["card"] not in result.stdout
        no_traceback(result)
    signed_in = run(home, "card", anna["member_id"], *STAFF)
    assert signed_in.returncode == 0 and signed_in.stdout.strip() == anna["card"]


def test_hostile_numbers_get_a_message_not_a_traceback(home, anna, tmp_path):
    card = anna["card"]
    files = {}
    for name, points in (("unicode", "²"), ("huge", "1" + "0" * 30), ("arabic", "٣")):
        files[name] = tmp_path / f"{name}.csv"
        files[name].write_text(f"first_name,email,points,consent\nCarla,carla.{name}@example.org,{points},yes\n",
                               encoding="utf-8")
    usage = (["award", card, "1e30", *STAFF], ["award", card, "Infinity", *STAFF],
             ["redeem", card, "credit-cosmetics", "--points", str(10 ** 30), *STAFF],
             ["redeem", card, "credit-cosmetics", "--points", "²", *STAFF],
             ["enroll", "Bob", "--email", "bob@example.org", "--consent", "--adult", "--birthday", "-1",
              "99999999999999999999"],
             ["demo", "--members", str(10 ** 23)], ["run", "--port", str(10 ** 20)],
             ["hq", "serve", "--port", "99999999"])
    refused = (["award", card, "1e6", *STAFF], ["enroll", "Bob", "--email", "bob@example.org", "--consent",
                                                  "--adult", "--birthday", "31", "2"],
               *[["import-balances", str(path), *STAFF] for path in files.values()],
               ["enroll", "Bob\x1b[2J", "--email", "bob@example.org", "--consent", "--adult"])
    results = run_all(home, *usage, *refused)
    for call, result in zip(usage, results[:len(usage)]):
        assert result.returncode == 2 and "not a" in result.stderr, (call, result.stderr)
        no_traceback(result)
    for call, result in zip(refused, results[len(usage):]):
        assert result.returncode == 1 and result.stderr.strip(), (call, result.stderr)
        no_traceback(result)
    too_much, birthday, unicode, huge, arabic, escape = results[len(usage):]
    assert "At most €100,000.00" in too_much.stderr
    assert "valid birthday" in birthday.stderr
    assert "is not a whole number" in unicode.stderr and "is not a whole number" in arabic.stderr
    assert "points is larger than 10,000,000" in huge.stderr
    assert "no control or invisible characters" in escape.stderr
