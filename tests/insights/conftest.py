"""A known data set for the dashboard and the lists, built with the real services on a movable clock.

Every action happens at 09:00 UTC (10:00 in Berlin, winter time) on the day given. The hand
computations in the tests refer to this timeline:

  Nov 01  Emma joins and visits
  Nov 20  Ben joins (birthday 14 March), visits, buys sunscreen for 100.00 EUR (+100 points)
  Nov 21  Ben redeems the lounge perk (-150 points, balance 0)
  Nov 22  Ben's purchase is refunded in full (-100 points, balance -100, negative-balance flag)
  Dec 01  Anna joins and visits
  Dec 20  Felix joins, visits, buys sunscreen for 250.00 EUR (+250 points)
  Jan 10  Anna visits
  Jan 20  Emma has a cosmetic facial, 89.00 EUR (+89 points, recall after 30 days: 19 Feb)
  Feb 05  Anna visits, buys serum for 49.90 EUR (+49 points), has microneedling, 180.00 EUR (no points)
  Feb 06  Anna's serum is refunded in part: 9.90 EUR (-9 points)
  Feb 10  Clara joins, visits, has a botulinum toxin treatment, 350.00 EUR (no points, recall 21 Apr)
  Feb 12  David joins (birthday 3 March) and visits
  Feb 15  Emma visits; buys sunscreen for 20.00 EUR, which the receptionist undoes 10 seconds later
  Feb 18  Felix redeems the lounge perk (-150 points)
  Feb 20  Anna visits and has microneedling again, 180.00 EUR (recall 20 Mar)
  Feb 25  Clara visits
  Feedback: Anna 10 (Feb 05), Clara 9 (Feb 10), Emma 7 (Feb 15), David 3 (Feb 12), Ben 0 (Jan 15),
            Clara a text without a score (Feb 25)
Every member signs up with 50 points.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import pytest

from loyalty import clock as clock_module
from loyalty.services import award_purchase, check_in, enroll, record_treatment, redeem, refund, undo
from loyalty.store import Feedback, close_database, open_database
from loyalty.store.outbox import new_id, record
from tests.conftest import make_station


@dataclass
class Known:
    ids: dict[str, str]       # first name -> member id
    tokens: dict[str, str]
    station: object
    clock: object

    def at(self, month: int, day: int, year: int | None = None) -> None:
        year = year or (2025 if month >= 11 else 2026)
        self.clock.current = datetime(year, month, day, 9, 0, tzinfo=timezone.utc)


def build(station, clock) -> Known:
    k = Known({}, {}, station, clock)
    desk = station.receptionist

    def join(name: str, birthday: tuple[int, int] | None = None) -> None:
        result = enroll(name, station.device, email=f"{name.lower()}@example.org", last_name="Muster",
                        consent_program=True, age_confirmed=True,
                        birthday_day=birthday[0] if birthday else None,
                        birthday_month=birthday[1] if birthday else None)
        k.ids[name], k.tokens[name] = result.member_id, result.card_token

    def visit(name: str) -> None:
        assert check_in(k.tokens[name], station.device).status == "checked_in"

    def feedback(name: str, score: int | None, text: str | None = None) -> None:
        record(Feedback(id=new_id(), member=k.ids[name], score=score, text=text, at=clock.current,
                        device_id=station.device.device_id))

    k.at(11, 1); join("Emma"); visit("Emma")
    k.at(11, 20); join("Ben", (14, 3)); visit("Ben")
    ben_purchase = award_purchase(k.ids["Ben"], 10000, desk, item_code="sunscreen").entry_id
    k.at(11, 21); redeem(k.ids["Ben"], "lounge", desk)
    k.at(11, 22); refund(ben_purchase, desk)
    k.at(12, 1); join("Anna"); visit("Anna")
    k.at(12, 20); join("Felix"); visit("Felix")
    award_purchase(k.ids["Felix"], 25000, desk, item_code="sunscreen")
    k.at(1, 10); visit("Anna")
    k.at(1, 15); feedback("Ben", 0)
    k.at(1, 20); record_treatment(k.ids["Emma"], "facial", desk)
    k.at(2, 5); visit("Anna"); feedback("Anna", 10)
    serum = award_purchase(k.ids["Anna"], 4990, desk, item_code="serum").entry_id
    record_treatment(k.ids["Anna"], "microneedling", desk)
    k.at(2, 6); refund(serum, desk, amount_cents=990)
    k.at(2, 10); join("Clara"); visit("Clara"); feedback("Clara", 9)
    record_treatment(k.ids["Clara"], "botox", desk)
    k.at(2, 12); join("David", (3, 3)); visit("David"); feedback("David", 3)
    k.at(2, 15); visit("Emma"); feedback("Emma", 7)
    mistake = award_purchase(k.ids["Emma"], 2000, desk, item_code="sunscreen").entry_id
    clock.advance(seconds=10)
    undo(mistake, desk)
    k.at(2, 18); redeem(k.ids["Felix"], "lounge", desk)
    k.at(2, 20); visit("Anna"); record_treatment(k.ids["Anna"], "microneedling", desk)
    k.at(2, 25); visit("Clara"); feedback("Clara", None, "Alles gut")
    k.at(3, 2)
    return k


@pytest.fixture(scope="module")
def known_db(tmp_path_factory):
    """The data set built once per test module (argon2 PIN hashing makes a station slow to set up)."""
    movable = clock_module.MovableClock(datetime(2025, 11, 1, 9, 0, tzinfo=timezone.utc))
    clock_module.set_source(movable)
    try:
        k = build(make_station(tmp_path_factory.mktemp("known")), movable)
    finally:
        close_database()
        clock_module.set_source(None)
    return k


@pytest.fixture
def known(known_db):
    """The shared data set, read only, on 2 March 2026 at 10:00 in Berlin."""
    clock_module.set_source(known_db.clock)
    known_db.at(3, 2)
    open_database(known_db.station.db_path)
    yield known_db
    close_database()
    clock_module.set_source(None)


@pytest.fixture
def fresh_known(clock, station) -> Known:
    """A data set of its own, for a test that adds to it."""
    return build(station, clock)
