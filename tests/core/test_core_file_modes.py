"""Databases, their WAL, exports and station.toml with secrets are readable by their owner only,
whatever the umask of the shell that started the station, and also when an older version left them 0644."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from loyalty.config import load_config
from loyalty.store import close_database, db, open_database

REPO = Path(__file__).resolve().parents[2]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask():
    """The usual login shell: files 0644, directories 0755."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def _companions(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm")]


def test_a_new_station_database_and_its_wal_are_private(tmp_path, loose_umask):
    path = tmp_path / "new" / "home" / "loyalty.db"
    open_database(path)
    try:
        db.execute_sql("CREATE TABLE t (x)")
        db.execute_sql("INSERT INTO t VALUES (1)")
        assert all(p.exists() for p in _companions(path))
        assert [mode(p) for p in (path, *_companions(path))] == [0o600] * 3
        assert mode(path.parent) == 0o700 and mode(path.parent.parent) == 0o700
    finally:
        close_database()


def test_a_database_an_older_version_left_readable_is_made_private(tmp_path, loose_umask):
    path = tmp_path / "loyalty.db"
    open_database(path)
    db.execute_sql("CREATE TABLE t (x)")
    close_database()
    path.chmod(0o644)
    tmp_path.chmod(0o755)
    leftover = _companions(path)[0]
    leftover.write_bytes(b"")
    leftover.chmod(0o644)
    open_database(path)
    try:
        db.execute_sql("INSERT INTO t VALUES (1)")
        assert [mode(p) for p in (path, *_companions(path))] == [0o600] * 3
        assert mode(tmp_path) == 0o700
    finally:
        close_database()


def test_a_shared_directory_like_tmp_is_left_open(tmp_path, loose_umask):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    open_database(shared / "loyalty.db")
    close_database()
    assert mode(shared) == 0o1777 and mode(shared / "loyalty.db") == 0o600


def test_the_embedded_hq_database_is_private(tmp_path, loose_umask):
    from sync.hq.db import Stream, close_hq, hq_db, open_hq
    path = tmp_path / "hq" / "hq.db"
    open_hq(f"sqlite:///{path}")
    try:
        with hq_db.connection_context():
            Stream.update(max_hlc=1).execute()
            assert [mode(p) for p in (path, *_companions(path))] == [0o600] * 3
        assert mode(path.parent) == 0o700
    finally:
        close_hq()


def test_station_toml_with_a_password_is_made_private(tmp_path, monkeypatch):
    monkeypatch.setenv("LOYALTY_HOME", str(tmp_path))
    toml = tmp_path / "station.toml"
    toml.write_text('[station]\nlanguage = "de"\n', encoding="utf-8")
    toml.chmod(0o644)
    load_config()
    assert mode(toml) == 0o644                       # nothing secret in it: left as the manager made it
    toml.write_text('[smtp]\nhost = "mail.example.org"\npassword = "geheim"\n', encoding="utf-8")
    load_config()
    assert mode(toml) == 0o600


def test_the_cli_creates_home_database_and_exports_privately(tmp_path):
    """Started from a shell with umask 022, as a practice's admin would."""
    home = tmp_path / "fresh-home"
    env = {**os.environ, "PYTHONPATH": str(REPO), "LOYALTY_HOME": str(home), "LOYALTY_LANG": "en"}

    def loyalty(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "station.cli", *args], capture_output=True, text=True,
                              cwd=tmp_path, env=env, timeout=120, preexec_fn=lambda: os.umask(0o022))
    assert loyalty("init", "--manager", "Maria", "--pin", "2468").returncode == 0
    anna = json.loads(loyalty("enroll", "Anna", "--email", "anna@example.org", "--consent", "--adult",
                              "--json").stdout)
    out, png = tmp_path / "anna.json", tmp_path / "anna.png"
    out.write_text("old export, left readable\n", encoding="utf-8")
    out.chmod(0o644)
    staff = ("--staff", "Maria", "--pin", "2468")
    assert loyalty("export", anna["member_id"], "-o", str(out), *staff).returncode == 0
    assert loyalty("card", anna["member_id"], "--png", str(png), *staff).returncode == 0
    assert json.loads(out.read_text(encoding="utf-8"))["member"]["first_name"] == "Anna"
    assert mode(home) == 0o700 and mode(home / "loyalty.db") == 0o600
    assert mode(out) == 0o600 and mode(png) == 0o600
