"""Setting up a station: its device id, card key, program and first manager; demo data."""
from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

from loyalty import clock, ledger
from loyalty.program import DEFAULT_PROGRAM
from loyalty.services.context import Actor, store_program
from loyalty.services.members import add_entry, enroll
from loyalty.services.staff import create_staff
from loyalty.store import Member, Staff, write
from loyalty.store.outbox import new_id
from loyalty.store.settings import get_setting, set_setting
from loyalty.tokens import new_key

DEMO = "demo"


def is_initialised() -> bool:
    return get_setting("device_id") is not None


def is_demo() -> bool:
    """A station filled by `loyalty demo`: its well-known demo PINs may be printed."""
    return get_setting(DEMO) == "1"


def init_station(program_path: str | Path = DEFAULT_PROGRAM, manager_name: str | None = None,
                 manager_pin: str | None = None, card_key_hex: str | None = None) -> Actor:
    """Idempotent for the keys: a second run keeps the device id and card key (old cards stay valid)."""
    with write():
        if get_setting("device_id") is None:
            set_setting("device_id", new_id())
        if get_setting("card_key") is None:
            set_setting("card_key", card_key_hex or new_key().hex())
        store_program(Path(program_path).read_text(encoding="utf-8"))
        if manager_name and manager_pin and not Staff.select().exists():
            create_staff(manager_name, "manager", manager_pin, None)
    return Actor(get_setting("device_id"))


DEMO_NAMES = [("Anna", "Schmidt"), ("Lukas", "Müller"), ("Sophie", "Weber"), ("Jonas", "Fischer"),
              ("Marie", "Wagner"), ("Leon", "Becker"), ("Emma", "Hoffmann"), ("Paul", "Schäfer"),
              ("Mia", "Koch"), ("Felix", "Bauer"), ("Lea", "Richter"), ("Ben", "Klein")]


def load_demo(members: int = 12, seed: int = 7) -> list[str]:
    """Demo members with a plausible history; returns their card tokens (for printing or scanning)."""
    from loyalty.services.cards import card_token
    rng = random.Random(seed)
    actor = Actor(get_setting("device_id"), staff_id=None)
    tokens = []
    now = clock.now()
    with write():
        if not Staff.select().exists():
            set_setting(DEMO, "1")
            create_staff("Chef", "manager", "1234", None)
            create_staff("Empfang", "receptionist", "0000", actor=_manager())
        for i in range(members):
            first, last = DEMO_NAMES[i % len(DEMO_NAMES)]
            result = enroll(first, actor, last_name=last, email=f"{first.lower()}.{i}@example.org",
                            consent_program=True, consent_marketing=i % 2 == 0, consent_care=True,
                            age_confirmed=True, birthday_day=1 + i, birthday_month=1 + i % 12, source="demo")
            Member.update(created_at=now - timedelta(days=30 + 20 * i)).where(Member.id == result.member_id).execute()
            for visit in range(rng.randint(1, 9)):
                add_entry(result.member_id, ledger.VISIT, actor, stamps=1, reason="demo visit",
                          at=now - timedelta(days=3 + 9 * visit + i))
            add_entry(result.member_id, ledger.PURCHASE, actor, points=rng.randint(20, 400),
                      amount_cents=rng.randint(20, 400) * 100, reason="demo purchase",
                      at=now - timedelta(days=5 + i))
            tokens.append(card_token(result.member_id))
    return tokens


def _manager() -> Actor:
    staff = Staff.get(Staff.role == "manager")
    return Actor(get_setting("device_id"), staff.id, staff.role, staff.name)
