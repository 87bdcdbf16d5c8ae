"""The sync state in the staff app, end to end: a station process syncing with a real HQ process on
PostgreSQL, watched in headless Chromium while HQ is up, down (the queue grows, the chip says since
when) and up again (the queue drains), all without reloading the page."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from loyalty.services import Actor, device_id, enroll
from loyalty.store import close_database, open_database
from sync.client import HqClient
from sync.hq.db import Event, hq_db
from sync.station import enrol_station
from tests.browser import shot, station_process
from tests.staff.conftest import Desk, prepare_home, signed_in_page

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


def test_staff_app_shows_sync_online_offline_and_recovered(browser, hq, tmp_path, artefacts):
    home = tmp_path / "station"
    home.mkdir()
    prepare_home(home)
    open_database(home / "loyalty.db")
    try:
        enrol_station(HqClient(hq.url), hq.code(), "Praxis Mitte")
    finally:
        close_database()
    (home / "station.toml").write_text(f'[hq]\nurl = "{hq.url}"\ninterval = 0.5\n', encoding="utf-8")
    server = hq.servers[0]
    with station_process(home, demo=False, apps="staff") as base, \
            signed_in_page(browser, Desk(base, home), "Chef", "1234") as page:
        chip = page.get_by_role("button", name=re.compile(r"^Synchronisiert (gerade eben|vor)"))
        expect(chip).to_be_visible(timeout=30_000)
        chip.click()
        expect(page.get_by_text("Alles wurde gesendet")).to_be_visible(timeout=10_000)
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
            f"Noch zu senden: {before}", timeout=10_000)
        assert waiting_count(page) > before > 0
        shot(page, artefacts / "staff-sync-offline.png")

        server.start()
        expect(page.get_by_text("Alles wurde gesendet")).to_be_visible(timeout=60_000)
        expect(page.get_by_role("button", name=re.compile(r"^Synchronisiert (gerade eben|vor)"))).to_be_visible()
        expect(page.get_by_text("Kein Problem seit dem letzten erfolgreichen Abgleich")).to_be_visible()
        shot(page, artefacts / "staff-sync-recovered.png")
    with hq_db.connection_context():
        arrived = {e.record_id for e in Event.select().where(Event.tbl == "member")}
    assert set(first) <= arrived
