"""The manager's lists and segments on the known data set (tests/insights/conftest.py), on 2 March 2026."""
from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from loyalty.errors import Refused
from loyalty.services import erase_member, insights


def names(rows):
    return [r.first_name for r in rows]


def test_recall_due_lists_the_latest_treatment_not_yet_repeated(known):
    # Emma's facial of 20 Jan was due 19 Feb: 11 days overdue, still listed (up to 30 days overdue).
    # Anna's microneedling of 5 Feb (due 5 Mar) is not listed: she had it again on 20 Feb.
    rows = insights.recall_due(14)
    assert [(r.first_name, r.item_code, r.when, r.days) for r in rows] == [("Emma", "facial", date(2026, 2, 19), -11)]
    # Within 60 days: also Anna's second microneedling (20 Feb + 28 days = 20 Mar, in 18 days)
    # and Clara's botulinum toxin (10 Feb + 70 days = 21 Apr, in 50 days)
    rows = insights.recall_due(60)
    assert [(r.first_name, r.item_code, r.when, r.days) for r in rows] == [
        ("Emma", "facial", date(2026, 2, 19), -11), ("Anna", "microneedling", date(2026, 3, 20), 18),
        ("Clara", "botox", date(2026, 4, 21), 50)]


def test_recall_due_refuses_a_bad_window(known):
    with pytest.raises(Refused) as exc:
        insights.recall_due(-1)
    assert exc.value.code == "days_invalid"


def test_segments_on_2_march(known):
    # Anna: joined 91 days ago, 4 visits in 12 months, last 10 days ago -> loyal
    # Ben: last visit 20 Nov, 102 days ago -> lost; Felix: last visit 20 Dec, 72 days ago -> at risk
    # Clara, David: joined in February -> new; Emma: 2 visits, last 15 days ago -> regular
    assert insights.segment_counts() == {"new": 2, "loyal": 1, "regular": 1, "at_risk": 1, "lost": 1}
    rows = insights.at_risk()
    assert [(r.first_name, r.when, r.days, r.segment) for r in rows] == [("Felix", date(2025, 12, 20), 72, "at_risk")]
    # longest absent first: David (last visit 12 Feb, 18 days), Clara (25 Feb, 5 days)
    assert names(insights.members_in_segment("new")) == ["David", "Clara"]


def test_members_in_segment_carry_rfm_scores(known):
    # Recency days: Anna 10, Ben 102, Clara 5, David 18, Emma 15, Felix 72 (of six members)
    # ranks, fewer days better: Ben 0, Felix 1, David 2, Emma 3, Anna 4, Clara 5 -> 1 + 5 * rank // 6:
    # Ben 1, Felix 1, David 2, Emma 3, Anna 4, Clara 5
    # Visits in 12 months: Anna 4, Ben 1, Clara 2, David 1, Emma 2, Felix 1
    # ranks ascending: Ben/David/Felix share rank 0 -> 1, Clara/Emma rank 3 -> 3, Anna rank 5 -> 5
    # Revenue in 12 months (cents): Anna 39,800, Ben 0, Clara 35,000, David 0, Emma 8,900, Felix 25,000
    # ranks ascending: Ben/David 0 -> 1, Emma 2 -> 2, Felix 3 -> 3, Clara 4 -> 4, Anna 5 -> 5
    by_name = {}
    for segment in ("new", "loyal", "regular", "at_risk", "lost"):
        by_name.update({r.first_name: r.rfm for r in insights.members_in_segment(segment)})
    assert by_name == {"Anna": "4-5-5", "Ben": "1-1-1", "Clara": "5-3-4", "David": "2-1-1",
                       "Emma": "3-3-2", "Felix": "1-1-3"}
    with pytest.raises(Refused):
        insights.members_in_segment("vip")


def test_birthdays_this_month_by_day(known):
    rows = insights.birthdays_this_month()
    assert [(r.first_name, r.when) for r in rows] == [("David", date(2026, 3, 3)), ("Ben", date(2026, 3, 14))]


def test_negative_balances_from_the_refund(known):
    # Ben: 50 + 100 - 150 - 100 = -100, flagged on 22 Nov when the refund took him below zero
    rows = insights.negative_balances()
    assert [(r.first_name, r.points, r.when) for r in rows] == [("Ben", -100, date(2025, 11, 22))]


def test_csv_opens_in_excel(known):
    text = insights.to_csv(insights.recall_due(60), lang="de")
    assert text.startswith("\ufeff")
    assert "\r\n" in text and ";" not in text
    table = list(csv.reader(io.StringIO(text[1:])))
    assert table[0] == ["Vorname", "Nachname", "E-Mail", "Telefon", "Datum", "Tage", "Behandlung"]
    assert table[1] == ["Emma", "Muster", "emma@example.org", "", "2026-02-19", "-11", "Kosmetische Gesichtsbehandlung"]
    assert len(table) == 4
    english = insights.to_csv(insights.at_risk(), lang="en")
    assert list(csv.reader(io.StringIO(english[1:])))[0] == [
        "First name", "Last name", "E-mail", "Phone", "Date", "Days", "Segment", "RFM score"]
    assert ",At risk," in english


def test_csv_quotes_and_defuses_formulas():
    rows = [insights.ListRow("m1", "=HYPERLINK(\"http://x\")", "Müller, Jr.", "a@b.de", "+491711234567", points=-20),
            insights.ListRow("m2", "Zoë", None, None, None, points=5)]
    table = list(csv.reader(io.StringIO(insights.to_csv(rows, lang="en")[1:])))
    assert table[1][0] == "'=HYPERLINK(\"http://x\")"     # a spreadsheet shows it, does not run it
    assert table[1][1] == "Müller, Jr."                     # the comma stays inside one quoted cell
    assert table[1][3] == "'+491711234567"
    assert table[1][4] == "-20"                            # numbers stay numbers
    assert table[2] == ["Zoë", "", "", "", "5"]


def test_csv_defuses_formulas_in_every_text_column(known):
    """An item code comes from the ledger, which other stations write too: it is text like a name."""
    hostile = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
    rows = [insights.ListRow(f"m{n}", "Anna", None, None, None, days=-3, item_code=code, segment="at_risk",
                             rfm=code) for n, code in enumerate(hostile)]
    table = list(csv.reader(io.StringIO(insights.to_csv(rows, lang="en")[1:]), strict=True))
    for line, code in zip(table[1:], hostile):
        assert line[4] == "-3"                             # a number stays a number
        assert line[5] == "'" + code and line[7] == "'" + code, line


def test_erased_members_leave_the_lists_but_not_the_figures(fresh_known):
    known = fresh_known
    known.at(3, 2, 2026)
    before = insights.dashboard(date(2026, 2, 1), date(2026, 2, 28))
    erase_member(known.ids["Ben"], known.station.manager)
    erase_member(known.ids["Emma"], known.station.manager)
    assert insights.negative_balances() == []
    assert "Emma" not in names(insights.recall_due(60))      # her treatments are erased with her
    assert names(insights.birthdays_this_month()) == ["David"]
    assert insights.segment_counts() == {"new": 2, "loyal": 1, "regular": 0, "at_risk": 1, "lost": 0}
    after = insights.dashboard(date(2026, 2, 1), date(2026, 2, 28))
    assert after.figures["retention_rate"].parts == before.figures["retention_rate"].parts
    assert after.figures["average_lifetime_value"].parts == before.figures["average_lifetime_value"].parts


def test_the_known_days_refunds_went_through_the_service(known):
    """The data set is built with the services themselves: each refund is audited with its staff member."""
    from loyalty.store import AuditLog
    refunds = list(AuditLog.select().where(AuditLog.action == "refund"))
    assert len(refunds) == 2 and {r.staff_id for r in refunds} == {known.station.receptionist.staff_id}
