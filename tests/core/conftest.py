"""Core fixtures: each test gets its own station file, copied from one prepared per session
(staff PINs are Argon2 hashes, slow on purpose, so making a station from scratch costs a second)."""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from loyalty.program import ASSETS
from loyalty.services import Actor, create_staff, init_station, sign_in
from loyalty.store import close_database, open_database


@dataclass
class Station:
    db_path: Path
    device: Actor
    manager: Actor
    receptionist: Actor


def _template(factory, program: str) -> Station:
    path = factory.mktemp(program.split(".")[0]) / "station.db"
    open_database(path)
    device = init_station(ASSETS / "programs" / program, "Maria Manager", "2468")
    manager = sign_in("Maria Manager", "2468", device.device_id)
    create_staff("Rita Reception", "receptionist", "1357", manager)
    receptionist = sign_in("Rita Reception", "1357", device.device_id)
    close_database()
    return Station(path, device, manager, receptionist)


@pytest.fixture(scope="session")
def _clinic_template(tmp_path_factory) -> Station:
    return _template(tmp_path_factory, "clinic-de.toml")


@pytest.fixture(scope="session")
def _shop_template(tmp_path_factory) -> Station:
    return _template(tmp_path_factory, "shop.toml")


def _copy(template: Station, tmp_path: Path) -> Station:
    path = tmp_path / "station.db"
    shutil.copyfile(template.db_path, path)
    open_database(path)
    return Station(path, template.device, template.manager, template.receptionist)


@pytest.fixture
def station(_clinic_template, tmp_path) -> Station:
    """A clinic station (de-clinic) on its own real SQLite file, as tests/conftest.py makes it."""
    yield _copy(_clinic_template, tmp_path)
    close_database()


@pytest.fixture
def shop_station(_shop_template, tmp_path) -> Station:
    yield _copy(_shop_template, tmp_path)
    close_database()
