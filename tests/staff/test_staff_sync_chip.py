"""The sync chip's words, without a browser: synced, offline since when with the queue, refused by HQ."""
from datetime import datetime, timedelta, timezone

from loyalty.config import Config
from staff_app.sync_status import QUIET_COLOUR, WAIT_COLOUR, chip_text
from staff_app.ui import FAIL_COLOUR, OK_COLOUR, Ctx
from sync.status import SyncState

NOW = datetime(2026, 3, 2, 13, 30, tzinfo=timezone.utc)     # 14:30 in Berlin


def ctx_for(station, lang: str) -> Ctx:
    ctx = Ctx(None, Config(home=station.db_path.parent, db_path=station.db_path), 180)
    ctx.lang = lang
    return ctx


def state(**fields) -> SyncState:
    values = dict(hq_url="http://127.0.0.1:9", last_success_at=None, queue_length=0, rejected=0, last_error=None)
    return SyncState(**{**values, **fields})


def test_synced_says_how_long_ago(station):
    de, en = ctx_for(station, "de"), ctx_for(station, "en")
    synced = state(last_success_at=NOW - timedelta(minutes=2))
    assert chip_text(de, synced, NOW) == ("Synchronisiert vor 2 Min.", OK_COLOUR)
    assert chip_text(en, synced, NOW) == ("Synced 2 min ago", OK_COLOUR)
    assert chip_text(de, state(last_success_at=NOW - timedelta(seconds=20)), NOW)[0] == "Synchronisiert gerade eben"
    assert chip_text(de, state(queue_length=1), NOW) == ("Noch nicht synchronisiert · 1 Eintrag wartet", QUIET_COLOUR)


def test_offline_says_since_when_and_what_waits(station):
    offline = state(last_success_at=NOW - timedelta(minutes=28), queue_length=37,
                    last_error="0 unreachable: connection refused", offline=True)
    assert chip_text(ctx_for(station, "de"), offline, NOW) == ("Offline seit 14:02 · 37 Einträge warten", WAIT_COLOUR)
    assert chip_text(ctx_for(station, "en"), offline, NOW)[0] == "Offline since 14:02 · 37 entries waiting"
    yesterday = state(last_success_at=NOW - timedelta(days=1), last_error="0 unreachable: x", offline=True)
    assert chip_text(ctx_for(station, "de"), yesterday, NOW)[0] == "Offline seit 01.03.26, 14:30"


def test_a_refusal_by_hq_is_red_with_its_reason(station):
    refused = state(last_success_at=NOW - timedelta(hours=1), queue_length=1,
                    last_error="401 revoked: this device has been revoked")
    assert chip_text(ctx_for(station, "de"), refused, NOW) == (
        "Sync-Problem: 401 revoked: this device has been revoked · 1 Eintrag wartet", FAIL_COLOUR)
