"""What the kiosk and the staff app read from their text fields: odd input is 'not a number', never
an exception in the view (Python's int() reads '²', round() raises on 'inf')."""
from __future__ import annotations

import pytest

from kiosk.join import _number
from staff_app.ui import euros_to_cents


@pytest.mark.parametrize("text, cents", [("49,90", 4990), ("49.90", 4990), ("1.234,50", 123450), ("50", 5000),
                                         ("inf", None), ("-inf", None), ("nan", None), ("1e400", None),
                                         ("²", None), ("", None), ("zwölf", None)])
def test_staff_amounts(text, cents):
    assert euros_to_cents(text) == cents


def test_a_huge_amount_reaches_the_service_which_refuses_it():
    assert euros_to_cents("1e30") > 10 ** 31         # float arithmetic: about 10^32


@pytest.mark.parametrize("text, value", [("12", 12), (" 7 ", 7), ("", None), ("²", "²"), ("٣", "٣"), ("-1", "-1")])
def test_kiosk_birthday_fields(text, value):
    assert _number(text) == value
