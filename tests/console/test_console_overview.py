"""The console's Overview in Chromium, against a real HQ process on PostgreSQL with two linked stations:
each location's column shows what that station's own dashboard shows for the same period, the group's
column their sum, and the CSV holds the same."""
from __future__ import annotations

import csv
import io
import random
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from loyalty import tally
from loyalty.figure_words import figure_text
from loyalty.i18n import fmt_date, fmt_number, t
from loyalty.services import award_purchase, check_in, enroll, record_treatment, redeem, undo
from loyalty.services.context import current_program
from loyalty.services.insights import dashboard
from loyalty.store import Feedback
from loyalty.store.outbox import new_id, record
from sync.hq import admins

from console_helpers import location, make_admin, nav, said, signed_in, type_in

pytestmark = [pytest.mark.browser, pytest.mark.postgres]


def _history(mitte, sued, weeks: int) -> None:
    """A few months at two practices: patients joining over time, visits, purchases (one undone),
    treatments, a redemption, ratings; Anna of Mitte visits Süd now and then."""
    rng = random.Random(3)
    joining = {0: ((mitte, "Anna"), (mitte, "Ben"), (sued, "Emma"), (sued, "Felix")),
               6: ((mitte, "Clara"), (sued, "Greta")), 10: ((mitte, "David"), (sued, "Hanna"))}
    people = []
    for week in range(weeks):
        for node, name in joining.get(week, ()):
            node.use()
            joined = enroll(name, node.device, email=f"{name.lower()}@example.org", consent_program=True,
                            age_confirmed=True)
            people.append((name, node, joined.member_id, joined.card_token))
        for node in (mitte, sued):
            node.sync()
        for name, home, member, token in people:
            if rng.random() < 0.4:
                continue
            node = sued if name == "Anna" and week % 3 == 1 else home
            node.use()
            check_in(token, node.receptionist)
            if rng.random() < 0.6:
                bought = award_purchase(member, rng.randrange(2000, 30000), node.receptionist, item_code="serum")
                if week == 3 and name == "Ben":
                    node.clock.advance(seconds=20)
                    undo(bought.entry_id, node.receptionist)
            if rng.random() < 0.25:
                record_treatment(member, "botox", node.receptionist)
            if rng.random() < 0.3:
                record(Feedback(id=new_id(), member=member, score=rng.randrange(0, 11), text=None,
                                at=node.clock.current, device_id=node.device.device_id))
        if week == weeks - 3:
            sued.use()
            redeem(people[2][2], "lounge", sued.receptionist)
        for node in (mitte, sued):
            node.sync()
            node.clock.advance(days=7)
    for node in (mitte, sued):
        node.clock.current = datetime.now(timezone.utc)
        node.sync()


def test_overview_shows_each_stations_own_figures_and_their_sum(browser, hq, template, tmp_path, artefacts):
    location("Praxis Mitte")
    location("Praxis Süd")
    begin = datetime.now(timezone.utc) - timedelta(days=7 * 14)
    mitte = template.node(tmp_path, "mitte", hq, start=begin, location="Praxis Mitte")
    sued = template.node(tmp_path, "sued", hq, start=begin, location="Praxis Süd")
    _history(mitte, sued, weeks=14)
    today = datetime.now(timezone.utc).astimezone().date()
    start = today - timedelta(days=62)
    own = {}
    for node, name in ((mitte, "Praxis Mitte"), (sued, "Praxis Süd")):
        node.use()
        node.clock.current = datetime.now(timezone.utc)
        own[name] = dashboard(start, today)
        assert own[name].tally.visitors, f"{name} has no visits in the period"
    program = current_program()
    total = tally.figures(own["Praxis Mitte"].tally + own["Praxis Süd"].tally, (today - start).days + 1,
                          program.redeem_points, program.redeem_value_cents)

    owner = make_admin("olga@example.org", "Olga Owner", admins.OWNER)
    page = signed_in(browser, hq, owner)
    try:
        said(page, "Tippen Sie auf einen Wert")        # the overview is the first screen
        type_in(page, "Beginn (JJJJ-MM-TT)", start.isoformat())
        type_in(page, "Ende (JJJJ-MM-TT)", today.isoformat())
        page.get_by_role("button", name="Anzeigen").click()
        said(page, f"Kennzahlen vom {_de(start)} bis {_de(today)}.")
        for name, board in own.items():
            for figure in board.figures.values():
                _shows(page, f"{t(figure.name_key, 'de')} · {name}: {figure_text(figure, 'de')}")
            for segment, count in board.tally.segments.items():
                _shows(page, f"{t(f'insights.segment.{segment}.name', 'de')} · {name}: {fmt_number(count, 'de')}")
        for figure in total.values():
            _shows(page, f"{t(figure.name_key, 'de')} · Gruppe gesamt: {figure_text(figure, 'de')}")
        page.screenshot(path=artefacts / "console-overview-1280.png", full_page=True)

        active = total["active_members"]
        page.get_by_role("cell", name=f"Aktive Mitglieder · Gruppe gesamt: {figure_text(active, 'de')}",
                         exact=True).click()
        said(page, f"Mitglieder mit mindestens einem Besuch in den 90 Tagen vor dem Ende des Zeitraums: "
                   f"{active.value}")

        page.get_by_role("button", name="Als CSV").click()
        said(page, "Die CSV-Datei ist bereit.")
        link = page.get_by_text("/v1/downloads/").first.text_content().strip()
        with urllib.request.urlopen(hq.url + link) as response:
            rows = list(csv.reader(io.StringIO(response.read().decode("utf-8-sig"))))
        with pytest.raises(urllib.error.HTTPError):       # a link works once
            urllib.request.urlopen(hq.url + link)
        header, lines = rows[0], {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}
        assert header[:2] == ["Standort", "Zeitraum"]
        assert set(lines) == {"Praxis Mitte", "Praxis Süd", "Gruppe gesamt"}
        for name, board in own.items():
            for figure in board.figures.values():
                assert lines[name][t(figure.name_key, "de")] == figure_text(figure, "de")
        assert int(lines["Gruppe gesamt"]["Aktive Mitglieder: aktiv"]) == (
            own["Praxis Mitte"].tally.active_end + own["Praxis Süd"].tally.active_end)

        page.set_viewport_size({"width": 390, "height": 844})
        nav(page, "Übersicht")
        said(page, "Tippen Sie auf einen Wert")
        page.screenshot(path=artefacts / "console-overview-390.png")
    finally:
        page.close()


def _shows(page, label: str) -> None:
    expect(page.get_by_text(label, exact=True).first).to_be_attached(timeout=20_000)


def _de(day) -> str:
    return fmt_date(day, "de")
