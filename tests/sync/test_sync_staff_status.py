"""The sync state in the staff app, end to end: a station process syncing with a real HQ process on
PostgreSQL, watched in headless Chromium while HQ is up, down (the queue grows, the chip says since
when) and up again (the queue drains), all without reloading the page."""
from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from loyalty.services import Actor, device_id, enroll
from loyalty.store import SetAside, close_database, open_database
from loyalty.store.settings import get_setting
from sync.client import HqClient
from sync.hq.db import Event as StoredEvent
from sync.hq.db import Stream, hq_db
from sync.protocol import Event
from sync.station import CURSOR, enrol_station
from tests.browser import resize, shot, station_process, switch_language
from tests.staff.conftest import Desk, prepare_home, signed_in_page

from hostile import example, now_hlc, stored_unchecked

pytestmark = pytest.mark.browser


def enrol_members(home, names: list[str]) -> list[str]:
    """Write on the station's database from outside the station process, as a second kiosk would."""
    open_database(home / "loyalty.db")
    try:
        device = Actor(device_id())
        return [enroll(name, device, email=f"{name.lower()}@example.org", consent_program=True,
                       age_confirmed=True).member_id for name in names]
    finally:
        close_database()


def waiting_count(page) -> int:
    text = page.get_by_text(re.compile(r"^Noch zu senden: \d")).first.text_content()
    return int(re.search(r"(\d+)", text.replace(".", "")).group(1))


def enrolled_home(hq, tmp_path) -> Path:
    """A demo station's home, enrolled at HQ and syncing every half second."""
    home = tmp_path / "station"
    home.mkdir()
    prepare_home(home)
    open_database(home / "loyalty.db")
    try:
        enrol_station(HqClient(hq.url), hq.code(), "Praxis Mitte")
    finally:
        close_database()
    (home / "station.toml").write_text(f'[hq]\nurl = "{hq.url}"\ninterval = 0.5\n', encoding="utf-8")
    return home


def test_staff_app_shows_sync_online_offline_and_recovered(browser, hq, tmp_path, artefacts):
    home = enrolled_home(hq, tmp_path)
    server = hq.servers[0]
    with station_process(home, demo=False, apps="staff") as base, \
            signed_in_page(browser, Desk(base, home), "Chef", "1234") as page:
        chip = page.get_by_role("button", name=re.compile(r"^Synchronisiert (gerade eben|vor)"))
        expect(chip).to_be_visible(timeout=30_000)
        chip.click()
        expect(page.get_by_text("Alles wurde gesendet")).to_be_visible()
        expect(page.get_by_text(f"Adresse der Zentrale: {hq.url}")).to_be_visible()
        expect(page.get_by_text(re.compile(r"^Geräte-ID dieser Station: \w"))).to_be_visible()
        shot(page, artefacts / "staff-sync-online.png")

        server.kill()
        first = enrol_members(home, ["Olga", "Paul"])
        expect(page.get_by_role("button", name=re.compile(r"^Offline seit \d{1,2}:\d{2} · \d+ Einträge warten"))
               ).to_be_visible(timeout=20_000)
        expect(page.get_by_text("Die Zentrale ist nicht erreichbar", exact=False)).to_be_visible()
        expect(page.get_by_text(re.compile(r"^Letztes Problem: 0 unreachable"))).to_be_visible()
        before = waiting_count(page)
        enrol_members(home, ["Quirin"])
        expect(page.get_by_text(re.compile(r"^Noch zu senden: "))).not_to_have_text(
            f"Noch zu senden: {before}")
        assert waiting_count(page) > before > 0
        shot(page, artefacts / "staff-sync-offline.png")

        server.start()
        expect(page.get_by_text("Alles wurde gesendet")).to_be_visible(timeout=60_000)
        expect(page.get_by_role("button", name=re.compile(r"^Synchronisiert (gerade eben|vor)"))).to_be_visible()
        expect(page.get_by_text("Kein Problem seit dem letzten erfolgreichen Abgleich")).to_be_visible()
        shot(page, artefacts / "staff-sync-recovered.png")
    with hq_db.connection_context():
        arrived = {e.record_id for e in StoredEvent.select().where(StoredEvent.tbl == "member")}
    assert set(first) <= arrived


def test_staff_app_shows_what_the_station_set_aside(browser, hq, tmp_path, artefacts):
    """Records an HQ before the checks stored: the station's pull goes on, and the manager reads how
    many entries were set aside and why, in German and English, on a tablet and on a phone."""
    home = enrolled_home(hq, tmp_path)
    other = "01a23fd2-other-station-d108ab"
    anna = str(uuid.uuid4())
    stored_unchecked([
        Event(id=str(uuid.uuid4()), device_id=other, seq=1, table="ledger_entry", record_id=entry["id"], op="upsert",
              hlc=now_hlc(), payload=entry)
        for entry in (example("ledger_entry", str(uuid.uuid4()), other, {"member": anna}),
                      {**example("ledger_entry", str(uuid.uuid4()), other, {"member": anna}), "points": 10 ** 30})
    ] + [Event(id=str(uuid.uuid4()), device_id=other, seq=2, table="member", record_id=anna, op="upsert",
               hlc=2 ** 63 - 2, payload=example("member", anna, other, {}))])
    with station_process(home, demo=False, apps="staff") as base, \
            signed_in_page(browser, Desk(base, home), "Chef", "1234") as page:
        chip = page.get_by_role("button", name=re.compile(r"^Synchronisiert (gerade eben|vor)"))
        expect(chip).to_be_visible(timeout=30_000)
        chip.click()
        expect(page.get_by_text("3 Einträge anderer Standorte konnten hier nicht übernommen werden",
                                exact=False)).to_be_visible()
        expect(page.get_by_text(re.compile(r"^• Mitgliedsprofil von Gerät …d108ab, .*: sein Zeitstempel liegt weit "
                                           r"in der Zukunft \(Code clock_ahead\)$"))).to_be_visible()
        expect(page.get_by_text(re.compile(r"^• Punktebuchung von Gerät …d108ab, .*\(Code "
                                           r"unknown_reference:member\)$"))).to_have_count(1)
        expect(page.get_by_text("Kein Problem seit dem letzten erfolgreichen Abgleich")).to_be_visible()
        shot(page, artefacts / "staff-sync-set-aside-1280-de.png")
        resize(page, 390, 844)
        shot(page, artefacts / "staff-sync-set-aside-390-de.png")
        resize(page, 1280, 800)
        switch_language(page, "English")
        expect(page.get_by_text("3 entries from other locations could not be applied here",
                                exact=False)).to_be_visible()
        expect(page.get_by_text(re.compile(r"^• Member profile from device …d108ab, .*: its time stamp lies far "
                                           r"in the future \(code clock_ahead\)$"))).to_be_visible()
        shot(page, artefacts / "staff-sync-set-aside-1280-en.png")
        resize(page, 390, 844)
        shot(page, artefacts / "staff-sync-set-aside-390-en.png")
    with hq_db.connection_context():
        head = Stream.get_by_id(1).position
    open_database(home / "loyalty.db")
    try:
        assert SetAside.select().count() == 3 and get_setting(CURSOR).endswith(f":{head}")
    finally:
        close_database()
