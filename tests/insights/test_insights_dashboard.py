"""The dashboard on the known data set (tests/insights/conftest.py), every figure against a hand computation."""
from __future__ import annotations

from datetime import date

import pytest

from loyalty import figure_words
from loyalty.errors import Refused
from loyalty.i18n import t
from loyalty.kpis import Cohort
from loyalty.services import insights

FEB = (date(2026, 2, 1), date(2026, 2, 28))


def test_february_figures_on_2_march(known):
    d = insights.dashboard(*FEB)
    f = {key: fig.value for key, fig in d.figures.items()}
    parts = {key: fig.parts for key, fig in d.figures.items()}

    # Enrolments in February: Clara (10th) and David (12th) = 2 in 28 days = 2 * 7 / 28 = 0.5 per week
    assert parts["enrolments_per_week"] == {"enrolments": 2, "days": 28}
    assert f["enrolments_per_week"] == 0.5

    # Active at the end = a visit from 1 Dec to 28 Feb (the 90 days before 1 March, Berlin):
    # Anna, Clara, David, Emma (15 Feb), Felix (20 Dec) = 5; Ben's last visit was 20 Nov
    assert f["active_members"] == 5

    # Visitors in February: Anna (5th, 20th), Clara (10th, 25th), David, Emma = 4; twice or more: Anna, Clara
    assert parts["repeat_visit_rate"] == {"visitors": 4, "repeat": 2}
    assert f["repeat_visit_rate"] == 0.5

    # S = active at 1 Feb (a visit 3 Nov - 31 Jan): Anna, Ben, Felix = 3 (Emma's 1 Nov is too early)
    # E = 5 (above); active at both ends: Anna, Felix, so N = 5 - 2 = 3 (Clara, David new; Emma won back)
    # (E - N) / S = (5 - 3) / 3
    assert parts["retention_rate"] == {"start": 3, "end": 5, "new": 3}
    assert f["retention_rate"] == pytest.approx(2 / 3)

    # First visits in February: Clara (10th, back on the 25th: 15 days) and David (12th, not back,
    # only 18 days ago, so his 90-day window is still open and he is not counted yet): 1 / 1
    assert parts["first_visit_return_rate"] == {"first_timers": 1, "returned": 1, "days": 90}
    assert f["first_visit_return_rate"] == 1.0

    # Revenue up to 28 Feb: Ben 100.00 - 100.00; Felix 250.00; Emma facial 89.00 (her 20.00 was undone);
    # Anna 49.90 - 9.90 + 180.00 + 180.00; Clara 350.00 = 1,089.00 EUR over 6 members = 181.50 EUR
    assert parts["average_lifetime_value"] == {"revenue_cents": 108_900, "members": 6}
    assert f["average_lifetime_value"] == 18_150

    # Treatments with a recall in February: Anna's microneedling of 5 Feb was repeated on 20 Feb,
    # before its recall date 5 Mar: rebooked. The others' recall dates (20 Mar, 21 Apr) have not passed.
    assert parts["rebooking_rate"] == {"treatments": 1, "rebooked": 1, "grace": 14}
    assert f["rebooking_rate"] == 1.0
    by_item = {r.item_code: (r.treatments, r.rebooked, r.rate) for r in d.rebooking}
    assert by_item["microneedling"] == (1, 1, 1.0)
    assert by_item["botox"] == (0, 0, None)
    assert "serum" not in by_item          # no recall interval: not a treatment to rebook

    # Redemptions in February: Felix's lounge perk, 150 points, no money value
    assert parts["redemptions"] == {"redemptions": 1, "points": 150, "value_cents": 0}
    assert f["redemptions"] == 1
    # Points earned in February: sign-ups Clara 50 + David 50, Anna's serum 49 - 9 refunded = 140
    # (Emma's undone 20 points do not count): 150 / 140
    assert parts["redemption_rate"] == {"redeemed": 150, "earned": 140}
    assert f["redemption_rate"] == pytest.approx(150 / 140)

    # Balances on 28 Feb: Anna 50 + 49 - 9 = 90, Ben 50 + 100 - 150 - 100 = -100 (not counted),
    # Clara 50, David 50, Emma 50 + 89 + 20 - 20 = 139, Felix 50 + 250 - 150 = 150: 479 points;
    # at 500 points = 50 EUR that is 47.90 EUR
    assert parts["points_liability"]["points"] == 479
    assert f["points_liability"] == 4_790

    # Scores in February: 10, 9, 7, 3 (Ben's 0 is from January, Clara's text has no score):
    # promoters 2, detractors 1: 100 * (2 - 1) / 4 = 25
    assert parts["nps"] == {"responses": 4, "promoters": 2, "detractors": 1}
    assert f["nps"] == 25.0


def test_weekly_series_in_local_weeks(known):
    d = insights.dashboard(*FEB)
    weeks = [(w.week_start, w.week_end, w.enrolments, w.visits, w.redemptions, w.revenue_cents)
             for w in d.weekly]
    assert weeks == [
        # 1 Feb is a Sunday: a one-day first week
        (date(2026, 2, 1), date(2026, 2, 1), 0, 0, 0, 0),
        # Anna: visit, serum 49.90 - 9.90, microneedling 180.00
        (date(2026, 2, 2), date(2026, 2, 8), 0, 1, 0, 22_000),
        # Clara and David join and visit, Emma visits; Clara's botox 350.00 (Emma's 20.00 undone)
        (date(2026, 2, 9), date(2026, 2, 15), 2, 3, 0, 35_000),
        # Felix redeems; Anna visits, microneedling 180.00
        (date(2026, 2, 16), date(2026, 2, 22), 0, 1, 1, 18_000),
        # Clara's second visit; the week is cut at 28 Feb
        (date(2026, 2, 23), date(2026, 2, 28), 0, 1, 0, 0),
    ]


def test_later_the_open_windows_close(fresh_known):
    known = fresh_known
    known.at(3, 20, 2026)
    from loyalty.services import award_purchase, check_in
    check_in(known.tokens["Clara"], known.station.device)
    award_purchase(known.ids["Felix"], 6000, known.station.receptionist, item_code="sunscreen")
    known.at(6, 1, 2026)
    d = insights.dashboard(*FEB)
    # On 1 June David's 90 days have passed without a return: Clara came back, David did not: 1 / 2
    assert d.figures["first_visit_return_rate"].parts == {"first_timers": 2, "returned": 1, "days": 90}
    # Recall dates passed: Anna's 20 Feb microneedling (due 20 Mar, + 14 days = 3 Apr) not repeated,
    # Clara's botox (due 21 Apr + 14 = 5 May) not repeated; Anna's 5 Feb one was: 1 of 3
    assert d.figures["rebooking_rate"].parts == {"treatments": 3, "rebooked": 1, "grace": 14}
    # Figures about February do not move with later data (Felix's purchase of 20 March included)
    assert d.figures["active_members"].value == 5
    assert d.figures["points_liability"].parts["points"] == 479
    assert d.figures["average_lifetime_value"].parts == {"revenue_cents": 108_900, "members": 6}
    assert d.figures["retention_rate"].parts == {"start": 3, "end": 5, "new": 3}

    # Cohorts Feb-Apr as of June: February's first-timers Clara and David; in March Clara came back
    # (1 of 2), in April nobody (0 of 2)
    spring = insights.dashboard(date(2026, 2, 1), date(2026, 4, 30))
    assert spring.cohorts == [Cohort(date(2026, 2, 1), 2, (0.5, 0.0))]


def test_every_figure_has_names_and_formulas_in_both_languages(known):
    d = insights.dashboard(*FEB)
    for figure in d.figures.values():
        for lang in ("en", "de"):
            assert t(figure.name_key, lang) != figure.name_key
            text = figure_words.explain(figure, lang)
            assert text != figure.formula_key and "{" not in text
    retention = d.figures["retention_rate"]
    assert "(5 − 3) ÷ 3" in figure_words.explain(retention, "de")
    assert figure_words.figure_text(retention, "de") == "66,7\xa0%"
    assert figure_words.figure_text(retention, "en") == "66.7%"
    assert figure_words.figure_text(d.figures["average_lifetime_value"], "de") == "181,50\xa0€"
    assert figure_words.figure_text(d.figures["points_liability"], "en") == "€47.90"
    assert "1.089,00" in figure_words.explain(d.figures["average_lifetime_value"], "de")
    assert figure_words.figure_text(d.figures["nps"], "de") == "25"


def test_empty_station_has_no_rates_only_zeros(clock, station):
    d = insights.dashboard(*FEB)
    assert d.figures["retention_rate"].value is None
    assert d.figures["nps"].value is None
    assert d.figures["average_lifetime_value"].value is None
    assert d.figures["active_members"].value == 0
    assert figure_words.figure_text(d.figures["nps"], "de") == "–"
    assert [w.visits for w in d.weekly] == [0, 0, 0, 0, 0]


def test_bad_periods_are_refused():
    with pytest.raises(Refused) as exc:
        insights.dashboard(date(2026, 3, 1), date(2026, 2, 1))
    assert exc.value.code == "period_invalid"
    assert "Ende" in exc.value.message("de")
    with pytest.raises(Refused) as exc:
        insights.dashboard(date(2020, 1, 1), date(2026, 1, 1))
    assert exc.value.code == "period_too_long"


def test_an_undone_visit_counts_nowhere(clock, station):
    from loyalty.services import check_in, enroll, undo
    from loyalty.store import LedgerEntry
    desk = station.receptionist
    ids = {}
    for name in ("Ute", "Vera"):
        result = enroll(name, desk, email=f"{name.lower()}@example.org", consent_program=True, age_confirmed=True)
        check_in(result.card_token, desk)
        ids[name] = result.member_id
    mistake = LedgerEntry.get((LedgerEntry.member == ids["Ute"]) & (LedgerEntry.kind == "visit"))
    clock.advance(seconds=20)
    undo(mistake.id, desk)
    # 2 March: both joined, only Vera's visit stands
    d = insights.dashboard(date(2026, 3, 1), date(2026, 3, 7))
    assert d.figures["active_members"].value == 1
    assert d.figures["repeat_visit_rate"].parts == {"visitors": 1, "repeat": 0}
    assert [w.visits for w in d.weekly] == [0, 1]          # Sun 1 Mar; Mon 2 - Sat 7 Mar
    assert insights.segment_counts()["new"] == 2
    clock.advance(days=100)
    # Ute's recency counts from her enrolment, Vera's from her visit: both 100 days -> lost
    assert insights.segment_counts()["lost"] == 2
