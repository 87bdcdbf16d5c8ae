"""`loyalty setup` as a practice manager answers it: a real process reading the answers from its input."""
from __future__ import annotations

import os
import subprocess
import sys
import tomllib

from loyalty.services import sign_in
from loyalty.store import close_database, open_database
from tests.browser import ROOT, free_port


def setup(home, answers: list[str]) -> subprocess.CompletedProcess:
    env = {**os.environ, "LOYALTY_HOME": str(home)}
    for key in ("LOYALTY_DB", "LOYALTY_LANG", "LOYALTY_NETWORK"):
        env.pop(key, None)
    return subprocess.run([sys.executable, "-m", "station.cli", "setup"], input="\n".join(answers) + "\n",
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_setup_writes_station_toml_and_the_station(tmp_path):
    hq_port = free_port()                      # nothing listens there: HQ cannot be reached
    done = setup(tmp_path, [
        "1",                                   # Deutsch
        "1",                                   # clinic program
        "Maria Weber", "12", "2468",           # a PIN too short is asked again
        "2", "", "praxis-weber",               # clinic network, default HTTPS port, mDNS name
        "keine",                               # camera: none (USB scanner or the tablet's camera)
        "mail.example.org", "", "1", "keine-adresse", "praxis@example.org", "Praxis Weber", "",
        "https://sms.example.org/send", "geheim", "PraxisWeber",
        "192.168.1.50", "",
        f"http://127.0.0.1:{hq_port}", "ABC-123", "Qx7-Vb3kP9wL2mZt",   # a code too short is asked again
    ])
    assert done.returncode == 0, done.stderr
    assert "Eine PIN hat 4 bis 8 Ziffern." in done.stdout
    assert "Diese E-Mail-Adresse scheint nicht zu stimmen." in done.stdout
    assert "Der Code der Zentrale hat 8 bis 64 Zeichen" in done.stdout
    assert "Die Zentrale hat nicht zugestimmt" in done.stderr           # the rest is kept; join later
    assert "Fingerabdruck des Stationszertifikats" in done.stdout
    settings = tomllib.loads((tmp_path / "station.toml").read_text(encoding="utf-8"))
    assert settings["station"] == {"language": "de"}
    assert settings["network"] == {"mode": "clinic", "https_port": 8443, "mdns": "praxis-weber"}
    assert settings["smtp"] == {"host": "mail.example.org", "port": 587, "security": "starttls",
                                "from": "praxis@example.org", "from_name": "Praxis Weber"}
    assert settings["sms"]["url"] == "https://sms.example.org/send" and len(settings["sms"]["inbound_token"]) >= 24
    assert settings["printer"] == {"host": "192.168.1.50", "port": 9100}
    assert (tmp_path / "tls" / "station-ca.crt").is_file()
    open_database(tmp_path / "loyalty.db")
    try:
        assert sign_in("Maria Weber", "2468", "setup-test").role == "manager"
    finally:
        close_database()

    again = setup(tmp_path, ["2", ""] + [""] * 20)     # English, keep the program, Enter takes every value
    assert again.returncode == 0, again.stderr
    assert "Name of the practice manager" not in again.stdout         # there is one already
    kept = tomllib.loads((tmp_path / "station.toml").read_text(encoding="utf-8"))
    assert {k: v for k, v in kept.items() if k != "station"} == {k: v for k, v in settings.items() if k != "station"}
    assert kept["station"] == {"language": "en"}


def test_setup_stopped_half_way_writes_nothing(tmp_path):
    done = setup(tmp_path, ["2", "1", "Maria Weber"])
    assert done.returncode == 1
    assert "nothing was written" in done.stderr
    assert not (tmp_path / "station.toml").exists()
    assert not (tmp_path / "tls").exists()
