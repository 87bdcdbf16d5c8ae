"""The sync thread and the kiosk write the same SQLite file: neither may see "database is locked".

Every write transaction begins IMMEDIATE and waits for the other writer within the busy timeout;
a deferred one that read first could not upgrade its lock and failed at once.
"""
from __future__ import annotations

import threading

from loyalty.config import Config
from loyalty.services import check_in, enroll
from loyalty.services.cards import card_token
from loyalty.store import Member, db
from sync.worker import start_worker


def test_kiosk_writes_while_the_worker_applies_a_big_pull(hq, template, tmp_path):
    a, b = template.node(tmp_path, "a", hq), template.node(tmp_path, "b", hq)
    a.use()
    with db.atomic():
        for i in range(400):
            enroll(f"Gast{i}", a.device, email=f"gast{i}@example.org", consent_program=True, age_confirmed=True)
    a.sync()
    b.use()
    regular = enroll("Stamm", b.device, email="stamm@example.org", consent_program=True, age_confirmed=True)
    token = card_token(regular.member_id)
    pulled = threading.Event()
    calls, during = [], []

    stopper = start_worker(Config(home=tmp_path, db_path=b.db_path, hq={"url": hq.url, "interval": 0.2}))
    try:
        i = 0
        while not pulled.is_set() and i < 2000:
            b.clock.advance(hours=25)                 # another day, so every check-in writes
            calls.append(check_in(token, b.device).status)
            calls.append(enroll(f"Neu{i}", b.device, email=f"neu{i}@example.org", consent_program=True,
                                age_confirmed=True).created)
            seen = Member.select().where(Member.first_name.startswith("Gast")).count()
            if seen == 400:
                pulled.set()
            else:
                during.append(seen)
            i += 1
    finally:
        stopper.stop()
    assert pulled.is_set(), "the worker did not pull A's members"
    assert during, "no kiosk write happened before the pull was done"
    print(f"{len(during)} kiosk rounds before the pull was done, members seen then: {sorted(set(during))}")
    assert set(calls) == {"checked_in", True}
