"""Every line the `loyalty` command prints for people follows --lang, or the station's language when
none is given: summaries, labels, refusals, failures and usage problems alike."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from test_core_cli import REPO, STAFF, no_traceback, run, run_all


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("cli-words")
    result = run(home, "init", "--manager", "Maria", "--pin", "2468", "--lang", "de")
    assert result.returncode == 0 and result.stdout.startswith("Station bereit in "), result.stdout
    return home


@pytest.fixture(scope="module")
def anna(home) -> dict:
    result = run(home, "enroll", "Anna", "--email", "anna@example.org", "--consent", "--adult", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_summaries_and_labels_in_german(home, anna, tmp_path):
    card = anna["card"]
    enrolled, checked, awarded, status = run_all(
        home, ["enroll", "Ben", "--email", "ben@example.org", "--consent", "--adult", "--lang", "de"],
        ["checkin", card, "--lang", "de"], ["award", card, "49,90", "--item", "serum", "--lang", "de", *STAFF],
        ["member", card, "--lang", "de", *STAFF])
    assert "Neues Mitglied: ja" in enrolled.stdout and "Bonuspunkte: 50" in enrolled.stdout
    assert "Eingecheckt" in checked.stdout and "Stempel: 1/10" in checked.stdout
    assert "Punkte: 49" in awarded.stdout and "Punktestand: 99" in awarded.stdout
    assert "Vorname: Anna" in status.stdout and "Stufe: Mitglied" in status.stdout
    for result in (enrolled, checked, awarded, status):
        assert result.returncode == 0, result.stderr
        assert "member_id" not in result.stdout and "points:" not in result.stdout


def test_an_award_without_the_item_is_refused_from_the_cli_too(home, anna):
    de, en = run_all(home, ["award", anna["card"], "350", "--lang", "de", *STAFF],
                     ["award", anna["card"], "350", *STAFF])
    assert de.returncode == 1 and "Bitte wählen Sie, was gekauft wurde" in de.stderr
    assert "Sonnenschutz LSF 50" in de.stderr
    assert en.returncode == 1 and "Please choose what was bought" in en.stderr
    points = json.loads(run(home, "member", anna["card"], "--json", *STAFF).stdout)["points"]
    assert points < 350


def test_import_expire_erase_in_german(home, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("first_name,email,points,consent\nCarla,carla@example.org,10,ja\nDora,dora@,5,ja\n",
                   encoding="utf-8")
    good = tmp_path / "good.csv"
    good.write_text("first_name,email,points,consent\nCarla,carla@example.org,10,ja\n", encoding="utf-8")
    refused, dry, expired = run_all(home, ["import-balances", str(bad), "--lang", "de", *STAFF],
                                    ["import-balances", str(good), "--dry-run", "--lang", "de", *STAFF],
                                    ["expire", "--lang", "de"])
    assert refused.returncode == 1 and "Zeile 3:" in refused.stderr and "Nichts importiert" in refused.stderr
    assert dry.stdout.startswith("Geprüft, noch nichts geschrieben.")
    assert expired.stdout.strip() == "0 Punkte von 0 Mitgliedern verfallen"
    carla = run(home, "import-balances", str(good), "--lang", "de", *STAFF)
    assert carla.stdout.startswith("Importiert — Zeilen: 1")
    member = json.loads(run(home, "member", "carla@", "--search", "--json", *STAFF).stdout)[0]["member_id"]
    found = run(home, "member", "carla@", "--search", "--lang", "de", *STAFF)
    assert "Carla" in found.stdout and "10 Punkte" in found.stdout and "{" not in found.stdout
    erased = run(home, "erase", member, "--yes", "--lang", "de", *STAFF)
    assert erased.stdout.strip() == "Personenbezogene Daten gelöscht; Punktebuchungen bleiben anonym erhalten."
    bonus = tmp_path / "bonus.csv"
    bonus.write_text("first_name,email,points,consent\nEmil,emil@example.org,10,ja\n", encoding="utf-8")
    with_bonus = run(home, "import-balances", str(bonus), "--signup-bonus", *STAFF)
    assert with_bonus.returncode == 0 and with_bonus.stdout.rstrip().endswith("signup bonus points: 50")
    assert json.loads(run(home, "member", "emil@", "--search", "--json", *STAFF).stdout)[0]["points"] == 60


def test_failures_and_usage_problems_in_german(home, anna, tmp_path):
    (tmp_path / "empty").mkdir()
    not_confirmed, no_file, no_station, pair = run_all(
        home, ["erase", anna["member_id"], "--lang", "de", *STAFF],
        ["import-balances", str(tmp_path / "missing.csv"), "--lang", "de", *STAFF],
        ["member", "x", "--lang", "de"], ["init", "--manager", "Maria", "--lang", "de"])
    assert not_confirmed.returncode == 2 and "Löschen lässt sich nicht rückgängig machen" in not_confirmed.stderr
    assert no_file.returncode == 3 and "Datei nicht gefunden" in no_file.stderr and "missing.csv" in no_file.stderr
    assert pair.returncode == 2 and "--manager und --pin gehören zusammen" in pair.stderr
    nowhere = run(tmp_path / "empty", "member", "x", "--lang", "de", env={"LOYALTY_HOME": str(tmp_path / "empty")})
    assert nowhere.returncode == 3 and "Keine Station in" in nowhere.stderr and "loyalty init" in nowhere.stderr
    for result in (not_confirmed, no_file, pair, nowhere):
        no_traceback(result)
        assert "cannot" not in result.stderr and "not found" not in result.stderr


def test_without_lang_the_station_language_is_used(tmp_path):
    home = tmp_path / "station"
    home.mkdir()
    (home / "station.toml").write_text('[station]\nlanguage = "de"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "LOYALTY_LANG"}
    env.update(PYTHONPATH=str(REPO), LOYALTY_HOME=str(home))

    def loyalty(*args: str, **extra) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "station.cli", *args], capture_output=True, text=True,
                              cwd=home, env={**env, **extra}, timeout=120)
    assert loyalty("init").stdout.startswith("Station bereit in ")
    assert loyalty("expire").stdout.strip() == "0 Punkte von 0 Mitgliedern verfallen"
    assert loyalty("expire", LOYALTY_LANG="en").stdout.strip() == "expired 0 points of 0 members"
    assert loyalty("expire", "--lang", "en").stdout.strip() == "expired 0 points of 0 members"
    unlinked = loyalty("hq", "sync")
    assert unlinked.returncode == 2 and "nicht mit einer Zentrale verbunden" in unlinked.stderr


def test_hq_commands_speak_the_language_too(tmp_path):
    db = f"sqlite:///{tmp_path / 'hq.db'}"
    made, again, unknown = (run(tmp_path, "hq", "--lang", "de", *args)
                            for args in (["create-location", "Praxis Mitte", "--db", db],
                                         ["create-location", "Praxis Mitte", "--db", db],
                                         ["enrol-device", "Nirgendwo", "--db", db]))
    assert made.returncode == 0 and "Standort: " in made.stdout
    assert again.returncode == 1 and "Diesen Standort gibt es schon" in again.stderr
    assert unknown.returncode == 1 and "Unbekannter Standort" in unknown.stderr
    status = run(tmp_path, "hq", "--lang", "de", "status", "--db", db)
    assert status.returncode == 0 and status.stdout.startswith("Standorte: 1")
