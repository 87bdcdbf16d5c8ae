"""The screen a patient tapped last is the one drawn, however long the screens before it take.

The app's own `show` runs against a stand-in page and use cases: what is tested is the order of
drawing, and a slow screen is a gate the test opens, not a sleep."""
from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

from patient_app import app as patient_app
from patient_app import appointments, card
from sync.hq.patients import aftercare
from sync.hq.patients import signin as signin_case


class StandInPage:
    """What `show` touches of a Flet page; `drawn` is each screen's content, in the order drawn."""

    def __init__(self):
        self.controls, self.navigation_bar, self.drawn = [], None, []

    def add(self, *controls) -> None:
        self.controls.extend(controls)

    def update(self) -> None:
        app = self.app
        self.drawn.append((app.screen, app.holder.content.controls[0].value, self.navigation_bar.selected_index))


def _run(scenario) -> list:
    """On a thread of its own: the browser tests' Playwright keeps an event loop running in this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, scenario()).result()


def _app(monkeypatch, gates: dict[str, asyncio.Event]) -> patient_app.PatientApp:
    page = StandInPage()
    app = patient_app.PatientApp(page, wiring=None)
    page.app = app

    async def call(service, *args):
        if service is signin_case.session:
            return SimpleNamespace(member_id="m1", session_id="s1")
        assert service is aftercare.has_treatments
        return False
    app.ctx.call = call

    def screen(name):
        async def build(ctx):
            await gates[name].wait()
            return patient_app.ft.Text(name)
        return build
    monkeypatch.setattr(card, "build", screen("card"))
    monkeypatch.setattr(appointments, "build", screen("appointments"))
    return app


def test_a_slow_screen_tapped_first_does_not_cover_the_one_tapped_last(monkeypatch):
    async def scenario():
        gates = {"card": asyncio.Event(), "appointments": asyncio.Event()}
        app = _app(monkeypatch, gates)
        first = asyncio.create_task(app.navigate(0))       # "Karte": its data is slow to come
        second = asyncio.create_task(app.navigate(1))      # "Termine", tapped right after
        gates["appointments"].set()
        await second
        gates["card"].set()
        await first
        return app.page.drawn
    assert _run(scenario) == [("appointments", "appointments", 1)]


def test_screens_that_come_in_order_are_each_drawn(monkeypatch):
    async def scenario():
        gates = {"card": asyncio.Event(), "appointments": asyncio.Event()}
        gates["card"].set(), gates["appointments"].set()
        app = _app(monkeypatch, gates)
        await app.navigate(1)
        await app.navigate(0)
        return app.page.drawn
    assert _run(scenario) == [("appointments", "appointments", 1), ("card", "card", 0)]
