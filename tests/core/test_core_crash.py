"""A station process killed with SIGKILL in the middle of a burst of writes loses nothing it acknowledged."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from loyalty.store import close_database

REPO = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent("""
    import sys
    from loyalty.services import award_purchase, enroll, init_station, sign_in
    from loyalty.store import open_database
    open_database(sys.argv[1])
    device = init_station(manager_name="Maria", manager_pin="2468")
    staff = sign_in("Maria", "2468", device.device_id)
    print("ready", flush=True)
    n = 0
    while True:
        n += 1
        member = enroll(f"Crash{n}", device, email=f"crash{n}@example.org", consent_program=True,
                        age_confirmed=True)
        entry = award_purchase(member.member_id, 100 * n, staff, item_code="sunscreen")
        print(f"ack {member.member_id} {entry.entry_id}", flush=True)
""")


@pytest.mark.parametrize("kill_after", [25, 120])
def test_kill_9_mid_burst_keeps_every_acknowledged_write(tmp_path, kill_after):
    close_database()
    db_path = tmp_path / "crash.db"
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(db_path)], stdout=subprocess.PIPE, text=True,
                             cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    acked = []
    try:
        assert child.stdout.readline().strip() == "ready"
        for line in child.stdout:
            acked.append(line.split()[1:])
            if len(acked) == kill_after:
                child.send_signal(signal.SIGKILL)
                break
    finally:
        child.kill()
        child.wait(timeout=30)
    printed = len(acked) + sum(1 for line in child.stdout if line.startswith("ack"))   # still in the pipe
    assert child.returncode == -signal.SIGKILL
    assert len(acked) == kill_after
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        members = {m for (m,) in conn.execute("SELECT id FROM member")}
        entries = {e for (e,) in conn.execute("SELECT id FROM ledger_entry WHERE kind = 'purchase'")}
        for member_id, entry_id in acked:
            assert member_id in members and entry_id in entries
        # The child runs ahead of the reader: every line it printed is committed, plus at most the one in flight.
        assert len(entries) in (printed, printed + 1)
        outboxed = {r for (r,) in conn.execute('SELECT record_id FROM outbox WHERE "table" = \'ledger_entry\'')}
        assert entries <= outboxed                                # every write is also queued for HQ
    finally:
        conn.close()
