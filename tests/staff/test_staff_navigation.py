"""Going to a screen by a tap (no browser): a second tap on a screen already open does not build it
again, while an action's reload still does."""
from __future__ import annotations

from staff_app.app import StaffApp


def test_a_second_tap_on_an_open_screen_leaves_it_alone():
    app = StaffApp.__new__(StaffApp)            # the navigation only: no page, no database
    app.screen, app.arg, built = "desk", None, []

    def show(screen, arg=None):
        built.append((screen, arg))
        app.screen, app.arg = screen, arg
    app.show = show
    app.open("member", "m-1")
    app.open("member", "m-1")                   # a double tap on the search result
    app.open("member", "m-2")
    app.show("member", "m-2")                   # after an action the page is built anew on purpose
    assert built == [("member", "m-1"), ("member", "m-2"), ("member", "m-2")]
