"""Commit order at HQ: pushes take the stream row last, so one that began first may commit last.

The pull cursor must still hand every event to every station: a push that waits (here on a
record lock another connection holds) must not keep other pushes waiting, and once it commits
its events come after the cursor of a station that already pulled the later push.
"""
from __future__ import annotations

import threading
import time
import uuid

import psycopg

from sync.client import HqClient
from sync.hq.db import RECORD_LOCKS
from sync.protocol import ACCEPTED, Event, PullRequest, PushRequest, batch_id


def _station(hq, name: str) -> HqClient:
    answer = HqClient(hq.url).enrol(hq.code(), name)
    return HqClient(hq.url, name, answer.secret)


def _member(client: HqClient, member_id: str) -> Event:
    return Event(id=str(uuid.uuid4()), device_id=client.device_id, seq=1, table="member", record_id=member_id,
                 op="upsert", hlc=1, payload={"id": member_id, "first_name": member_id, "locale": "de",
                                              "created_at": "2026-01-01T00:00:00.000000Z",
                                              "created_device": client.device_id})


def _push(client: HqClient, event: Event) -> str:
    return client.push(PushRequest(batch_id=batch_id([event.id]), events=[event])).receipts[0].status


def _waiting_for_record_lock(pg_url: str) -> bool:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = %s "
                            "AND NOT granted", (RECORD_LOCKS,)).fetchone()[0] > 0


def test_a_push_that_commits_after_a_later_one_reaches_every_puller(hq, pg_url):
    first, second, reader = _station(hq, "first"), _station(hq, "second"), _station(hq, "reader")
    early, late = _member(first, "m-first"), _member(second, "m-second")
    statuses = {}
    with psycopg.connect(pg_url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s::int, hashtext(%s))", (RECORD_LOCKS, "member/m-first"))
        pushing = threading.Thread(target=lambda: statuses.update(first=_push(first, early)))
        pushing.start()
        deadline = time.monotonic() + 10
        while not _waiting_for_record_lock(pg_url) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _waiting_for_record_lock(pg_url), "the first push should be inside its transaction, waiting"

        assert _push(second, late) == ACCEPTED          # not queued behind the open first push
        page = reader.pull(PullRequest(cursor="", limit=100))
        assert [e.id for e in page.events] == [late.id]
        assert pushing.is_alive()
        holder.execute("SELECT pg_advisory_unlock(%s::int, hashtext(%s))", (RECORD_LOCKS, "member/m-first"))
    pushing.join(10)
    assert statuses == {"first": ACCEPTED}

    after = reader.pull(PullRequest(cursor=page.cursor, limit=100))
    assert [e.id for e in after.events] == [early.id]
    fresh = reader.pull(PullRequest(cursor="", limit=100))
    assert [e.id for e in fresh.events] == [late.id, early.id]
