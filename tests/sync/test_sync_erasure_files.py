"""An erasure pulled from HQ reaches the receiving station's files on disk, as one made there does:
the name and e-mail are not in its database file nor its WAL afterwards, with another connection open."""
from __future__ import annotations

import sqlite3

from loyalty.services import enroll, erase_member

NEEDLES = (b"Zerlinde", b"Quastenberg", b"zerlinde.q@example.org")


def _on_disk(node) -> list[bytes]:
    found = []
    for suffix in ("", "-wal"):
        file = node.db_path.with_name(node.db_path.name + suffix)
        data = file.read_bytes() if file.exists() else b""
        found += [n for n in NEEDLES if n in data]
    return found


def test_a_pulled_erasure_leaves_nothing_in_the_stations_files(hq, template, tmp_path):
    a, b = template.node(tmp_path, "a", hq), template.node(tmp_path, "b", hq)
    kiosk = sqlite3.connect(b.db_path)            # B's kiosk process: keeps B's WAL on disk
    try:
        a.use()
        zerlinde = enroll("Zerlinde", a.device, last_name="Quastenberg", email="zerlinde.q@example.org",
                          consent_program=True, age_confirmed=True).member_id
        a.sync()
        b.sync()
        assert kiosk.execute("SELECT first_name FROM member WHERE id = ?", (zerlinde,)).fetchone() == ("Zerlinde",)
        assert _on_disk(b), "the test must start with the name in B's files"
        a.use()
        erase_member(zerlinde, a.manager)
        a.sync()
        b.sync()
        assert kiosk.execute("SELECT first_name FROM member WHERE id = ?", (zerlinde,)).fetchone() == (None,)
        assert _on_disk(b) == []
    finally:
        kiosk.close()
