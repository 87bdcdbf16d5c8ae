"""What a screen reader hears on the kiosk, without a browser: a picture beside a title is
decoration, so the title is heard once (it used to carry the title's words as its label too)."""
from __future__ import annotations

import flet as ft
import pytest

from kiosk.screens import card_screen, idle_screen, notice_screen, placeholder_jpeg
from kiosk.viewfinder import SCANNER, STATION, Viewfinder
from loyalty.services.checkin import NOT_OURS
from tests.flet_tree import heard_twice


@pytest.mark.parametrize("lang", ["de", "en"])
def test_a_refused_code_and_the_idle_screen_say_their_title_once(lang):
    screens = [notice_screen(lang, status, lambda e: None) for status in NOT_OURS]
    for mode in (SCANNER, STATION):          # a kiosk without camera, and the station camera's picture
        screens.append(ft.Stack([idle_screen(lang, lambda e: None), Viewfinder(mode, lang).control]))
    screens.append(card_screen(lang, "Zoë", placeholder_jpeg(), 50, [], lambda e: None))
    assert [heard_twice(screen) for screen in screens] == [[] for _ in screens]
