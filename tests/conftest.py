"""Shared fixtures: a fresh station database per test on a real SQLite file, actors, a movable clock."""
from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest

from loyalty import clock as clock_module
from loyalty.program import ASSETS
from loyalty.services import Actor, create_staff, init_station, sign_in
from loyalty.store import close_database, open_database
from tests.browser import ARTEFACTS


@dataclass
class Station:
    db_path: Path
    device: Actor          # the kiosk: no staff member
    manager: Actor
    receptionist: Actor


def make_station(tmp_path: Path, program: str = "clinic-de.toml") -> Station:
    db_path = tmp_path / "station.db"
    open_database(db_path)
    device = init_station(ASSETS / "programs" / program, "Maria Manager", "2468")
    manager = sign_in("Maria Manager", "2468", device.device_id)
    create_staff("Rita Reception", "receptionist", "1357", manager)
    receptionist = sign_in("Rita Reception", "1357", device.device_id)
    return Station(db_path, device, manager, receptionist)


@pytest.fixture
def station(tmp_path) -> Station:
    """A clinic station (de-clinic profile) on a real SQLite file in tmp_path."""
    yield make_station(tmp_path)
    close_database()


@pytest.fixture
def shop_station(tmp_path) -> Station:
    yield make_station(tmp_path, "shop.toml")
    close_database()


@pytest.fixture
def clock():
    """A clock that moves only when told; restored after the test."""
    movable = clock_module.MovableClock(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))
    clock_module.set_source(movable)
    yield movable
    clock_module.set_source(None)


STARTED = pytest.StashKey[float]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test's report ends with what the stations logged while it ran."""
    report = yield
    if call.when == "setup":
        item.stash[STARTED] = call.start
    if report.failed:
        from tests.browser import log_tails
        report.sections.extend(log_tails(item.stash.get(STARTED, call.start)))
    return report


@pytest.fixture(scope="session")
def artefacts() -> Path:
    """Screenshots and other files a person should look at after the run."""
    ARTEFACTS.mkdir(exist_ok=True)
    return ARTEFACTS


@pytest.fixture(scope="session")
def playwright():
    """One Playwright for the run: its sync API allows one per thread, and every browser of the
    run is launched from it (the shared `browser`, and each tablet's own in tests/lan.py)."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as instance:
        yield instance


@pytest.fixture(scope="session")
def browser(playwright):
    """One headless Chromium for the whole run, without a camera, trusting nothing but the public roots."""
    from tests.browser import chromium
    with chromium(playwright) as instance:
        yield instance


@pytest.fixture
def camera_browser(playwright):
    """`camera_browser(video)`: a Chromium of its own whose only camera plays `video` (tests/fake_camera.py),
    launched by the session's Playwright and closed after the test."""
    from tests.browser import camera_args, chromium
    with ExitStack() as launched:
        yield lambda video: launched.enter_context(chromium(playwright, camera_args(video)))


@pytest.fixture(scope="session")
def lan_address() -> str:
    """This machine's own non-loopback address (the default route's); a virtual network card for
    the run when it has none."""
    from tests.lan import machine_address
    with machine_address() as address:
        yield address
