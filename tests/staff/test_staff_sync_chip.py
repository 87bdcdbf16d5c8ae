"""The sync chip's words, without a browser: synced, offline since when with the queue, refused by HQ;
and the entries a station set aside, in plain words."""
from datetime import datetime, timedelta, timezone

import pytest

from loyalty.config import Config
from loyalty.i18n import catalogue
from loyalty.store.registry import PULLED
from staff_app.sync_status import QUIET_COLOUR, WAIT_COLOUR, chip_text, set_aside_lines
from staff_app.ui import FAIL_COLOUR, OK_COLOUR, Ctx
from sync.status import SetAsideEntry, SyncState

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


def test_set_aside_entries_say_what_when_and_why_in_both_languages(station):
    entries = (SetAsideEntry("ledger_entry", "e1", "01a23fd2-device-d108ab", "out_of_range:points", NOW),
               SetAsideEntry("member", "m1", "01a23fd2-device-77c0de", "clock_ahead", NOW - timedelta(days=1)),
               SetAsideEntry("card", "c1", "01a23fd2-device-77c0de", "not_applied:IntegrityError", NOW))
    many = state(set_aside=7, set_aside_latest=entries)
    de = [text.value for text in set_aside_lines(ctx_for(station, "de"), many)]
    assert de == [
        "7 Einträge anderer Standorte konnten hier nicht übernommen werden und wurden zurückgestellt. "
        "Alles andere wurde abgeglichen; bitte informieren Sie Ihre Administration.",
        "• Punktebuchung von Gerät …d108ab, 02.03.26, 14:30: eine Zahl darin ist unmöglich groß oder klein "
        "(Code out_of_range:points)",
        "• Mitgliedsprofil von Gerät …77c0de, 01.03.26, 14:30: sein Zeitstempel liegt weit in der Zukunft "
        "(Code clock_ahead)",
        "• Karte von Gerät …77c0de, 02.03.26, 14:30: er passt nicht zu den Daten dieser Station "
        "(Code not_applied:IntegrityError)",
        "… und 4 weitere"]
    en = [text.value for text in set_aside_lines(ctx_for(station, "en"), many)]
    assert en[0].startswith("7 entries from other locations could not be applied here and were set aside.")
    assert en[1] == ("• Points entry from device …d108ab, 02/03/2026, 14:30: a number in it is impossibly large or "
                     "small (code out_of_range:points)")
    assert en[-1] == "… and 4 more"
    one = state(set_aside=1, set_aside_latest=entries[:1])
    assert set_aside_lines(ctx_for(station, "de"), one)[0].value.startswith(
        "1 Eintrag eines anderen Standorts konnte hier nicht übernommen werden")
    assert len(set_aside_lines(ctx_for(station, "en"), one)) == 2


@pytest.mark.parametrize("lang", ["de", "en"])
def test_every_reason_a_station_sets_aside_for_has_words(lang):
    texts = catalogue(lang)
    for code in ("out_of_range", "not_integer", "not_text", "not_boolean", "not_a_time", "too_long", "unknown_value",
                 "required", "missing", "unknown_reference", "clock_ahead", "fixed", "record_exists", "other"):
        assert texts.get(f"sync.why.{code}"), code
    for table in sorted(PULLED):
        assert texts.get(f"sync.record.{table}"), table
