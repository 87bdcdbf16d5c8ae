"""Helpers for the patients' app tests: members at a station, codes and links read from real e-mails."""
from __future__ import annotations

import re
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import expect

from loyalty.program import DEFAULT_PROGRAM
from loyalty.services import Actor, context, enroll, init_station, sign_in
from loyalty.store import close_database, open_database
from sync.client import HqClient
from sync.hq.db import Row, hq_db
from sync.station import enrol_station
from tests.browser import CHROMIUM, CHROMIUM_ARGS


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

    @contextmanager
    def opened(self):
        """Write on the station's database from outside its process, as a second kiosk would."""
        open_database(self.home / "loyalty.db")
        try:
            yield
        finally:
            close_database()
            context._parsed.cache_clear()


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
    page = context.new_page()
    page.goto(hq.url + "/app/")
    page.wait_for_selector("flt-semantics-placeholder", state="attached", timeout=60_000)
    page.locator("flt-semantics-placeholder").dispatch_event("click")
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


def type_in(page, label: str, text: str) -> None:
    """Type as a person does and check the field shows it: on a busy machine a select-all can reach
    Flutter before the field has focus, leaving the old text in front of the new."""
    box = page.get_by_role("textbox", name=label)
    for _ in range(3):
        box.click()
        page.keyboard.press("Control+A")
        page.keyboard.press("Backspace")
        page.keyboard.type(text)
        try:
            expect(box).to_have_value(text, timeout=2000)
            return
        except AssertionError:
            continue
    expect(box).to_have_value(text)


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
