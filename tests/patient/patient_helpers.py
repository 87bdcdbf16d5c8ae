"""Helpers for the patients' app tests: members at a station, codes and links read from real e-mails."""
from __future__ import annotations

import io
import json
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

from loyalty import clock as clock_module
from loyalty.errors import Refused
from loyalty.program import DEFAULT_PROGRAM
from loyalty.services import Actor, context, enroll, init_station, record_treatment, sign_in
from loyalty.store import close_database, open_database
from sync.client import HqClient
from sync.hq.db import Row, hq_db
from sync.station import enrol_station
from tests.browser import CHROMIUM, CHROMIUM_ARGS, load_flet_app, open_flet_page, station_database
from tests.browser import type_in as browser_type_in
from tests.staff.conftest import sign_in_as


def member_at(node, first: str = "Anna", email: str | None = None, phone: str | None = None, **options) -> str:
    node.use()
    if email is None and phone is None:
        email = f"{first.lower()}@example.org"
    return enroll(first, node.device, email=email, phone=phone, consent_program=True, age_confirmed=True,
                  **options).member_id


def code_in(mail) -> str:
    return re.search(r"\b(\d{6})\b", mail.text).group(1)


def link_in(mail) -> str:
    return re.search(r"(https?://\S+/app/signin/\S+)", mail.text).group(1)


@dataclass
class LinkedStation:
    """A station's home folder: initialised, enrolled at HQ, syncing every half second once it runs."""
    home: Path
    device: Actor
    manager: Actor

    def opened(self):
        """Write on the station's database from outside its process, as a second kiosk would."""
        return station_database(self.home)


def linked_station(folder: Path, hq, name: str = "Empfang") -> LinkedStation:
    folder.mkdir(parents=True, exist_ok=True)
    open_database(folder / "loyalty.db")
    try:
        device = init_station(DEFAULT_PROGRAM, "Maria Manager", "2468")
        manager = sign_in("Maria Manager", "2468", device.device_id)
        enrol_station(HqClient(hq.url), hq.code(), name)
    finally:
        close_database()
        context._parsed.cache_clear()
    (folder / "station.toml").write_text(f'[hq]\nurl = "{hq.url}"\ninterval = 0.5\n', encoding="utf-8")
    return LinkedStation(folder, device, manager)


def arrived_at_hq(table: str, record_id: str, timeout: float = 30.0) -> None:
    """Wait until HQ holds the record (the station's sync worker pushed it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with hq_db.connection_context():
            if Row.select().where((Row.tbl == table) & (Row.record_id == record_id)).exists():
                return
        time.sleep(0.2)
    raise TimeoutError(f"{table}/{record_id} did not reach HQ within {timeout} s")


def app_page(browser, hq, viewport=(390, 844), locale: str = "de-DE", profile: Path | None = None):
    """A new browser profile (its own storage: another phone) with the app loaded.

    With `profile`, a profile kept in that folder, as a phone's browser is: Chromium offers to
    install an app only outside incognito-like profiles (Playwright's default contexts are those).
    """
    size = {"width": viewport[0], "height": viewport[1]}
    if profile is None:
        context = browser.new_context(viewport=size, locale=locale)
    else:
        context = browser.browser_type.launch_persistent_context(profile, executable_path=CHROMIUM,
                                                                 args=CHROMIUM_ARGS, viewport=size, locale=locale)
    page = context.pages[0] if context.pages else context.new_page()     # a kept profile opens with one tab
    page.bring_to_front()
    load_flet_app(page, hq.url + "/app/")
    return page


def sign_in_by_mail(page, smtp, address: str) -> None:
    """Ask for a code, read it from the e-mail the HQ process sent, sign in."""
    before = len(smtp.to(address))
    type_in(page, "E-Mail-Adresse oder Handynummer", address)
    page.get_by_role("button", name="Code zusenden").click()
    expect(page.get_by_text("Wenn diese Adresse zu einer Mitgliedschaft gehört", exact=False)).to_be_visible()
    mail = wait_for_mail(smtp, address, before)
    type_in(page, "6-stelliger Code", code_in(mail))
    page.get_by_role("button", name="Anmelden", exact=True).click()


def wait_for_mail(smtp, address: str, before: int, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        mails = smtp.to(address)
        if len(mails) > before:
            return mails[-1]
        time.sleep(0.1)
    raise TimeoutError(f"no mail to {address} within {timeout} s")


def member_at_home(station: LinkedStation, first: str, email: str) -> tuple[str, str]:
    """Enrol at the station's kiosk: (member id, card token)."""
    with station.opened():
        result = enroll(first, station.device, email=email, consent_program=True, age_confirmed=True)
        return result.member_id, result.card_token


def pulled_by_station(station: LinkedStation, model, timeout: float = 30.0) -> str:
    """Wait until the running station has pulled a record of `model`; its id."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with station.opened():
            found = model.select(model.id).first()
        if found is not None:
            return found.id
        time.sleep(0.2)
    raise TimeoutError(f"the station pulled no {model.__name__} within {timeout} s")


def answered_at_hq(appointment_id: str, status: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with hq_db.connection_context():
            row = Row.get_or_none((Row.tbl == "appointment") & (Row.record_id == appointment_id))
        if row is not None and json.loads(row.data)["status"] == status:
            return
        time.sleep(0.2)
    raise TimeoutError(f"appointment {appointment_id} is not {status} at HQ within {timeout} s")


def exif_photo(size=(1200, 800)) -> bytes:
    """A phone's JPEG: turned by its orientation tag, with the camera's make and a GPS position."""
    picture = Image.new("RGB", size, (200, 120, 90))
    for x in range(0, size[0], 40):
        picture.paste((30, 60, 90), (x, 0, x + 10, size[1]))
    exif = Image.Exif()
    exif[0x0112] = 6                      # rotate 90 degrees to show upright
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 1.0)})
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def treated_days_ago(station: LinkedStation, member_id: str, days: int, item: str = "botox") -> str:
    """A treatment recorded at the desk `days` ago: its aftercare check-ins are due now."""
    clock_module.set_source(clock_module.MovableClock(datetime.now(timezone.utc) - timedelta(days=days)))
    try:
        with station.opened():
            return record_treatment(member_id, item, station.manager).treatment_id
    finally:
        clock_module.set_source(None)


def erased_at_hq(member_id: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with hq_db.connection_context():
            row = Row.get_or_none((Row.tbl == "member") & (Row.record_id == member_id))
        if row is not None and json.loads(row.data).get("erased_at"):
            return
        time.sleep(0.2)
    raise TimeoutError(f"member {member_id} is not erased at HQ within {timeout} s")


def hq_call(function, *args):
    """A use case at HQ, as the app calls it: with a database connection."""
    with hq_db.connection_context():
        return function(*args)


def hq_refusal(function, *args) -> str:
    """The refusal's code of a use case at HQ that must refuse."""
    with pytest.raises(Refused) as refused:
        hq_call(function, *args)
    return refused.value.code


def staff_page(browser, base: str, name: str = "Maria Manager", pin: str = "2468"):
    """The station's staff app at tablet size, signed in."""
    desk = open_flet_page(browser, base + "/staff/")
    sign_in_as(desk, name, pin)
    return desk


def type_in(page, label: str, text: str) -> None:
    """Type on a phone: keys in every try, since the app's field on a window in the background did
    not take a filled value."""
    browser_type_in(page, label, text, keys=True)


def open_tab(page, name: str) -> None:
    """Tap a tab of the app until it is the selected one: a tap while the screen redraws is lost."""
    tab = page.get_by_role("tab", name=name)
    for _ in range(3):
        tab.click()
        try:
            expect(tab).to_have_attribute("aria-selected", "true", timeout=10_000)
            return
        except AssertionError:
            continue
    expect(tab).to_have_attribute("aria-selected", "true")
