"""The per-page state machine: timeouts, touches, what pauses the camera, where codes go."""
from __future__ import annotations

from kiosk.session import CARD, IDLE, JOIN, NOTICE, WELCOME, KioskSession, Timing


def session(**timing) -> KioskSession:
    return KioskSession("en", Timing(**{"welcome_s": 5, "feedback_s": 20, "idle_s": 30, **timing}))


def test_kiosk_welcome_returns_to_idle_by_itself():
    s = session()
    s.show(WELCOME, "result", now=100)
    assert s.busy and not s.joining
    assert not s.tick(104.9)
    assert s.tick(105.0)
    assert (s.screen, s.data, s.busy) == (IDLE, None, False)


def test_kiosk_touch_keeps_a_join_form_and_timeout_clears_it():
    s = session()
    s.show(JOIN, None, now=0)
    assert s.joining and not s.busy
    s.touch(25)
    assert not s.tick(54)
    assert s.tick(55)
    assert s.screen == IDLE and not s.joining


def test_kiosk_touch_on_welcome_gives_time_for_feedback():
    s = session()
    s.show(WELCOME, "result", now=0)
    s.touch(3)
    assert not s.tick(22)
    assert s.tick(23)


def test_kiosk_every_screen_change_bumps_the_version_and_idle_never_times_out():
    s = session()
    versions = []
    for screen in (NOTICE, CARD, JOIN):
        s.show(screen, None, now=0)
        versions.append(s.version)
    s.idle()
    assert versions == sorted(set(versions)) and s.version > versions[-1]
    s.touch(10)
    assert s.deadline is None and not s.tick(10_000)


def test_kiosk_language_falls_back_to_german_and_ignores_unknown():
    s = KioskSession("fr")
    assert s.language == "de"
    s.set_language("en")
    s.set_language("xx")
    assert s.language == "en"


def test_kiosk_timing_from_the_station_file():
    assert Timing.from_config({"welcome_s": 3, "idle_s": "45"}) == Timing(welcome_s=3.0, feedback_s=25.0, idle_s=45.0)
    assert Timing.from_config({}) == Timing()
