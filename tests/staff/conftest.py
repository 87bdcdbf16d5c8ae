"""Staff-app fixtures: one station server per test module; every test opens a page of its own and
makes the members it works with, so no test depends on another one or on the order they run in.

Members are written from the test process into the station's SQLite file (WAL: the running
station and the test both read and write it), as a second kiosk on the same database would.
"""
from __future__ import annotations

import re
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect

from loyalty.program import ASSETS
from loyalty.services import Actor, context, create_staff, device_id, enroll, init_station, load_demo, sign_in
from tests.browser import open_flet_page, station_database, station_process, tap_until, type_in  # noqa: F401  (tap_until, type_in: for the staff tests)


@pytest.fixture(autouse=True)
def fresh_program_cache():
    """Parsed programs are cached by version number; each station's database starts at version 1 again."""
    context._parsed.cache_clear()
    yield
    context._parsed.cache_clear()


@dataclass(frozen=True)
class Person:
    member_id: str
    token: str
    first_name: str
    last_name: str
    email: str

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass
class Desk:
    base: str
    home: Path

    def db(self):
        """The station's database, opened from the test process beside the running station."""
        return station_database(self.home)

    def member(self, first: str, last: str, *, spent_cents: int = 0, **consents) -> Person:
        """A new member, enrolled as the kiosk does (50 welcome points), who spent `spent_cents` at
        the desk (a point per euro, booked by reception)."""
        from loyalty.services import award_purchase, card_token
        email = f"{first}.{last}@example.org".lower().replace("ü", "ue").replace("ö", "oe").replace("ä", "ae")
        with self.db():
            joined = enroll(first, Actor(device_id()), last_name=last, email=email, consent_program=True,
                            age_confirmed=True, **consents)
            if spent_cents:
                award_purchase(joined.member_id, spent_cents, self.staff("Empfang"), item_code="sunscreen")
            return Person(joined.member_id, card_token(joined.member_id), first, last, email)

    def staff(self, name: str) -> Actor:
        """A team member as the services know them, without typing a PIN (inside `db()`)."""
        from loyalty.store import Staff
        row = Staff.get(Staff.name == name)
        return Actor(device_id(), row.id, row.role, row.name)


def prepare_home(home: Path) -> None:
    """The demo station (Chef / 1234 and Empfang / 0000 among others) and a team member whose
    PIN the sign-in test gets wrong."""
    with station_database(home):
        init_station(ASSETS / "programs" / "clinic-de.toml")
        load_demo()
        manager = sign_in("Chef", "1234", device_id())
        create_staff("Lena Locked", "receptionist", "1111", manager)


@contextmanager
def desk_server(tmp_path_factory, env: dict[str, str] | None = None, station_toml: str | None = None):
    home = tmp_path_factory.mktemp("staff-home")
    prepare_home(home)
    if station_toml:
        (home / "station.toml").write_text(station_toml, encoding="utf-8")
    with station_process(home, env=env, demo=False, apps="staff") as base:
        yield Desk(base, home)


# --- pages ------------------------------------------------------------------------------------

def open_page(browser, desk: Desk):
    return open_flet_page(browser, desk.base + "/staff/")


def sign_in_as(page, name: str, pin: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()
    expect(page.get_by_text(re.compile(f"^{re.escape(name)}: "))).to_be_visible()   # the pad asks for the PIN
    for digit in pin:
        page.get_by_role("button", name=digit, exact=True).click()
    expect(page.get_by_text(re.compile(f"^[^ ]+ [^ ]+: {len(pin)}$"))).to_have_count(1)   # every digit arrived
    page.get_by_role("button", name="OK", exact=True).click()


@contextmanager
def signed_in_page(browser, desk: Desk, name: str, pin: str):
    """A page of its own on `desk` with `name` signed in, greeted by the start screen."""
    page = open_page(browser, desk)
    try:
        sign_in_as(page, name, pin)
        expect(page.get_by_text(f"Hallo {name}", exact=False)).to_be_visible()
        yield page
    finally:
        page.close()


@pytest.fixture
def reception(browser, desk):
    """A page of this test's own, signed in as the shared reception account."""
    with signed_in_page(browser, desk, "Empfang", "0000") as page:
        yield page


@pytest.fixture
def manager(browser, desk):
    """A page of this test's own, signed in as the practice manager."""
    with signed_in_page(browser, desk, "Chef", "1234") as page:
        yield page


def nav(page, name: str) -> None:
    """Tap a screen on the rail and wait until the screen is there (its rail entry is current)."""
    tab = page.get_by_role("button", name=re.compile(f"^{re.escape(name)} Tab "))
    tab.click()
    expect(tab).to_have_attribute("aria-current", "true")


def field(page, label: str):
    return page.get_by_role("textbox", name=re.compile("^" + re.escape(label)))


def status(page, text: str) -> None:
    """A sentence on the status line (or anywhere on the screen)."""
    expect(page.get_by_text(text, exact=False).first).to_be_visible()


def open_member(page, person: Person) -> None:
    """Search the member by their (unique) last name and open their page."""
    nav(page, "Empfang")
    type_in(page, "Suche nach Name", person.last_name)
    tap_until(page.get_by_role("button", name=re.compile("^" + re.escape(person.name))).first,
              page.get_by_text("Zurück zum Empfang"))
    expect(page.get_by_text(person.name, exact=True).first).to_be_visible()


def download(page, button) -> tuple[str, bytes, str]:
    """Tap a button that offers a file: (file name, contents, the link it came by). The browser
    fetches the one-time link itself, so the test sees what the receptionist gets."""
    with page.expect_download() as info:
        button.click()
    got = info.value
    data = Path(got.path()).read_bytes()
    for other in page.context.pages:       # the tab the link opened in
        if other is not page:
            other.close()
    return got.suggested_filename, data, got.url


def used_up(url: str) -> bool:
    """A one-time link that was downloaded once answers 404."""
    try:
        urllib.request.urlopen(url)
    except urllib.error.HTTPError as exc:
        return exc.code == 404
    return False
