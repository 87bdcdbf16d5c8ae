"""An erasure reaches the files on disk: the erased name and e-mail are not in the database file nor
its WAL afterwards, even while other connections keep the WAL open; messages are exported and dropped."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from loyalty.services import enroll, erase_member, export_member, update_profile
from loyalty.services.messages import plan_messages
from loyalty.store import close_database, db, open_database
from loyalty.store.models import Message

NEEDLES = (b"Zerlinde", b"Quastenberg", b"zerlinde.q@example.org", b"4917099887766", b"Nussallergie")


def _on_disk(db_path: Path) -> dict[str, list[bytes]]:
    """Needles found in the database file and its WAL, as raw bytes (no SQL, as a thief would read them)."""
    found = {}
    for suffix in ("", "-wal"):
        file = db_path.with_name(db_path.name + suffix)
        data = file.read_bytes() if file.exists() else b""
        found[suffix.lstrip("-") or "db"] = [n for n in NEEDLES if n in data or n.decode().encode("utf-16-le") in data]
    return found


def _zerlinde(station) -> str:
    member = enroll("Zerlinde", station.device, last_name="Quastenberg", email="zerlinde.q@example.org",
                    phone="0170 99887766", consent_program=True, consent_marketing=True, age_confirmed=True)
    update_profile(member.member_id, station.receptionist, note="Nussallergie")
    return member.member_id


def test_erased_values_leave_the_database_file_and_its_wal(station, clock):
    """The kiosk, the staff app and the sync worker each hold a connection: the WAL stays on disk."""
    other = sqlite3.connect(station.db_path)          # another process's connection, idle between reads
    try:
        zerlinde = _zerlinde(station)
        assert other.execute("SELECT COUNT(*) FROM member").fetchone()[0] > 0
        assert _on_disk(station.db_path)["wal"], "the test must start with the name in the WAL"
        erase_member(zerlinde, station.manager)
        assert other.execute("SELECT first_name FROM member WHERE id = ?", (zerlinde,)).fetchone() == (None,)
        assert _on_disk(station.db_path) == {"db": [], "wal": []}
    finally:
        other.close()


def test_secure_delete_does_not_depend_on_how_sqlite_was_built(tmp_path, monkeypatch):
    """Debian builds SQLite with secure_delete on; a stock build (as on other systems) has it off."""
    real_connect = sqlite3.connect

    def stock_build(*args, **kwargs):
        connection = real_connect(*args, **kwargs)
        connection.execute("PRAGMA secure_delete = 0")
        return connection

    monkeypatch.setattr(sqlite3, "connect", stock_build)
    open_database(tmp_path / "stock.db")
    try:
        assert db.execute_sql("PRAGMA secure_delete").fetchone()[0] == 1
    finally:
        close_database()


def test_messages_are_in_the_export_and_go_with_the_erasure(station, clock):
    zerlinde = _zerlinde(station)
    plan_messages(triggers=("welcome",))
    planned = list(Message.select().where(Message.member == zerlinde))
    assert planned, "the welcome message is planned"
    data = json.loads(json.dumps(export_member(zerlinde, station.receptionist)))
    assert [m["trigger"] for m in data["messages"]] == [m.trigger for m in planned]
    erase_member(zerlinde, station.manager)
    assert not Message.select().where(Message.member == zerlinde).exists()
    assert export_member(zerlinde, station.manager)["messages"] == []
