"""Staff-app fixtures: one headless Chromium per session, one station server per test module."""
from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect

from loyalty.program import ASSETS
from loyalty.services import Actor, context, create_staff, device_id, enroll, init_station, load_demo, sign_in
from loyalty.store import close_database, open_database
from tests.browser import open_flet_page, station_process


@pytest.fixture(autouse=True)
def fresh_program_cache():
    """Parsed programs are cached by version number; each test's database starts at version 1 again."""
    context._parsed.cache_clear()
    yield
    context._parsed.cache_clear()


@dataclass
class Desk:
    base: str
    home: Path
    tokens: dict[str, str]      # first name -> card token of prepared members


def prepare_home(home: Path) -> dict[str, str]:
    """The demo station plus known members and a staff member whose PIN the tests get wrong."""
    from loyalty.services import card_token
    open_database(home / "loyalty.db")
    try:
        init_station(ASSETS / "programs" / "clinic-de.toml")
        load_demo()
        device = Actor(device_id())
        manager = sign_in("Chef", "1234", device.device_id)
        create_staff("Lena Locked", "receptionist", "1111", manager)
        tokens = {}
        for first, last, email in (("Greta", "Grünwald", "greta@example.org"), ("Hanna", "Hoff", "hanna@example.org")):
            result = enroll(first, device, last_name=last, email=email, consent_program=True, age_confirmed=True)
            tokens[first] = result.card_token
        tokens["Anna"] = card_token(_member_by_name("Anna"))
        from loyalty.services.feedback import submit_feedback
        submit_feedback(_member_by_name("Hanna"), None, 2, "Seit gestern eine Rötung", device)
        return tokens
    finally:
        close_database()
        context._parsed.cache_clear()


def _member_by_name(first: str) -> str:
    from loyalty.store import Member
    return Member.select().where(Member.first_name == first).order_by(Member.created_at).first().id


@contextmanager
def desk_server(tmp_path_factory, env: dict[str, str] | None = None):
    home = tmp_path_factory.mktemp("staff-home")
    tokens = prepare_home(home)
    with station_process(home, env=env, demo=False, apps="staff") as base:
        yield Desk(base, home, tokens)


def sign_in_as(page, name: str, pin: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()
    for digit in pin:
        page.get_by_role("button", name=digit, exact=True).click()
    page.get_by_role("button", name="OK", exact=True).click()


@contextmanager
def signed_in_page(browser, desk, name: str, pin: str):
    """A page of `desk` with `name` signed in, greeted by the start screen."""
    page = open_page(browser, desk)
    sign_in_as(page, name, pin)
    expect(page.get_by_text(f"Hallo {name}", exact=False)).to_be_visible()
    yield page
    page.close()


def field(page, label: str):
    return page.get_by_role("textbox", name=re.compile("^" + re.escape(label)))


def open_page(browser, desk: Desk):
    return open_flet_page(browser, desk.base + "/staff/")


def type_in(page, label: str, text: str) -> None:
    """Type as a person does and check the field shows it: on a busy machine the select-all can
    reach Flutter before the field has focus, leaving the old text in front of the new."""
    box = field(page, label)
    for _ in range(3):
        box.click()
        page.wait_for_timeout(100)
        page.keyboard.press("Control+A")
        page.keyboard.press("Backspace")
        page.keyboard.type(text)
        try:
            expect(box).to_have_value(text, timeout=2000)
            return
        except AssertionError:
            continue
    expect(box).to_have_value(text)


@contextmanager
def station_db(desk):
    """The station's database, opened from the test process beside the running station."""
    open_database(desk.home / "loyalty.db")
    try:
        yield
    finally:
        close_database()
        context._parsed.cache_clear()


def open_member(page, query: str, name: str) -> None:
    """Search and open; the result list is redrawn as the search runs, so a tap can land on a list
    that is just being replaced: tap again until the member page is there."""
    page.get_by_role("button", name=re.compile("^Empfang Tab")).click()
    expect(field(page, "Suche nach Name")).to_be_visible()
    type_in(page, "Suche nach Name", query)
    opened = page.get_by_text("Punkte für einen Einkauf")
    for _ in range(3):
        page.get_by_role("button", name=re.compile("^" + re.escape(name))).first.click()
        try:
            expect(opened).to_be_visible(timeout=3000)
            return
        except AssertionError:
            continue
    expect(opened).to_be_visible()
