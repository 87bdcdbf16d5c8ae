"""Staff sign-in under attack: the lock-out holds when wrong PINs arrive at the same moment."""
from __future__ import annotations

import threading

from loyalty.errors import Refused
from loyalty.services import sign_in
from loyalty.services.staff import MAX_FAILURES
from loyalty.store import AuditLog, Staff, db

from core_helpers import refused

ATTEMPTS = 20


def test_parallel_wrong_pins_lock_the_account_after_five_checks(station, clock):
    """20 guesses sent at once (20 tablets, or one script): only five are checked against the hash."""
    start = threading.Barrier(ATTEMPTS)
    answers: list[str] = []

    def guess(n: int) -> None:
        start.wait()
        try:
            sign_in("Rita Reception", f"{9000 + n}", station.device.device_id)
            answers.append("signed_in")
        except Refused as exc:
            answers.append(exc.code)
        finally:
            db.close()

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(ATTEMPTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(answers) == ATTEMPTS and "signed_in" not in answers
    assert AuditLog.select().where(AuditLog.action == "sign_in_failed").count() == MAX_FAILURES
    assert answers.count("locked") >= ATTEMPTS - MAX_FAILURES + 1
    assert Staff.get(Staff.name == "Rita Reception").locked_until is not None
    with refused("locked"):
        sign_in("Rita Reception", "1357", station.device.device_id)       # even the right PIN, for 15 minutes
    clock.advance(minutes=15, seconds=1)
    assert sign_in("Rita Reception", "1357", station.device.device_id).role == "receptionist"


def test_a_right_pin_clears_the_count_of_earlier_mistakes(station, clock):
    for _ in range(MAX_FAILURES - 1):
        with refused("sign_in_failed"):
            sign_in("Rita Reception", "0000", station.device.device_id)
    sign_in("Rita Reception", "1357", station.device.device_id)
    for _ in range(MAX_FAILURES - 1):
        with refused("sign_in_failed"):
            sign_in("Rita Reception", "0000", station.device.device_id)
    staff = Staff.get(Staff.name == "Rita Reception")
    assert staff.locked_until is None and staff.failed_pins == MAX_FAILURES - 1
