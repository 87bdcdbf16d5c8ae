"""Feedback after a visit: when the kiosk asks, what it keeps, and which answers become staff tasks."""
from __future__ import annotations

import pytest

from loyalty.errors import Refused
from loyalty.feedback_words import problem_words
from loyalty.services import check_in, record_treatment
from loyalty.services.feedback import feedback_prompt, submit_feedback
from loyalty.services.followups import close_follow_up, open_follow_ups
from loyalty.store import Feedback, FollowUp


def visit(token, station, clock, days=0):
    clock.advance(days=days)
    assert check_in(token, station.device).status == "checked_in"


def test_prompt_asks_about_yesterdays_visit_once(station, clock, enrol):
    member, token = enrol()
    visit(token, station, clock)
    assert feedback_prompt(member) is None          # today's visit is not rated today
    visit(token, station, clock, days=1)
    entry = feedback_prompt(member)
    assert entry is not None
    result = submit_feedback(member, entry, 9, "Sehr freundlich", station.device)
    assert not result.reports_problem and result.follow_up_id is None
    assert feedback_prompt(member) is None
    with pytest.raises(Refused) as refused:
        submit_feedback(member, entry, 10, None, station.device)
    assert refused.value.code == "feedback_done"
    assert Feedback.select().count() == 1


def test_skipping_is_kept_so_the_kiosk_does_not_ask_again(station, clock, enrol):
    member, token = enrol()
    visit(token, station, clock)
    visit(token, station, clock, days=2)
    entry = feedback_prompt(member)
    submit_feedback(member, entry, None, "   ", station.device)
    assert feedback_prompt(member) is None
    assert Feedback.get().score is None and Feedback.get().text is None


def test_no_prompt_without_an_earlier_visit(station, clock, enrol):
    member, _ = enrol()
    assert feedback_prompt(member) is None


@pytest.mark.parametrize("score", [-1, 11, 5.5, "7", True])
def test_score_outside_0_to_10_is_refused_and_nothing_is_written(station, clock, enrol, score):
    member, token = enrol()
    visit(token, station, clock)
    visit(token, station, clock, days=1)
    with pytest.raises(Refused) as refused:
        submit_feedback(member, feedback_prompt(member), score, None, station.device)
    assert refused.value.code == "score_invalid"
    assert "0" in refused.value.message("de") and "10" in refused.value.message("de")
    assert Feedback.select().count() == 0 and FollowUp.select().count() == 0


def test_visit_of_another_member_is_refused(station, clock, enrol):
    anna, anna_token = enrol("Anna")
    ben, _ = enrol("Ben")
    visit(anna_token, station, clock)
    visit(anna_token, station, clock, days=1)
    with pytest.raises(Refused) as refused:
        submit_feedback(ben, feedback_prompt(anna), 9, None, station.device)
    assert refused.value.code == "feedback_visit_unknown"


def test_low_score_becomes_a_task_and_staff_close_it(station, clock, enrol):
    member, token = enrol()
    visit(token, station, clock)
    visit(token, station, clock, days=1)
    result = submit_feedback(member, feedback_prompt(member), 4, None, station.device)
    assert result.reports_problem and result.follow_up_id
    [row] = open_follow_ups()
    assert (row.kind, row.score, row.first_name, row.member_id) == ("low_score", 4, "Anna", member)
    with pytest.raises(Refused):
        close_follow_up(row.follow_up_id, station.device)       # the kiosk cannot close tasks
    close_follow_up(row.follow_up_id, station.receptionist, note="Angerufen, alles gut")
    assert open_follow_ups() == []
    task = FollowUp.get_by_id(row.follow_up_id)
    assert (task.status, task.closed_by, task.note) == ("done", station.receptionist.staff_id, "Angerufen, alles gut")
    with pytest.raises(Refused) as refused:
        close_follow_up(row.follow_up_id, station.receptionist)
    assert refused.value.code == "follow_up_closed"


def test_problem_text_after_a_treatment_names_the_treatment_for_staff(station, clock, enrol):
    member, token = enrol()
    visit(token, station, clock)
    record_treatment(member, "filler", station.receptionist)
    visit(token, station, clock, days=3)
    result = submit_feedback(member, feedback_prompt(member), 9, "Die Lippe ist seit gestern geschwollen",
                             station.device)
    [row] = open_follow_ups()
    assert row.follow_up_id == result.follow_up_id
    assert row.kind == "problem_reported"
    assert row.treatment == "filler" and row.treatment_at is not None
    assert row.text == "Die Lippe ist seit gestern geschwollen"
    assert "geschwollen" in row.detail["words"]


def test_problem_reports_come_before_low_scores(station, clock, enrol):
    anna, anna_token = enrol("Anna")
    ben, ben_token = enrol("Ben")
    for token in (anna_token, ben_token):
        visit(token, station, clock)
    clock.advance(days=1)
    submit_feedback(anna, feedback_prompt(anna), 2, None, station.device)
    clock.advance(minutes=5)
    submit_feedback(ben, feedback_prompt(ben), None, "I have a painful lump", station.device)
    assert [r.kind for r in open_follow_ups()] == ["problem_reported", "low_score"]
    assert len(open_follow_ups(limit=1)) == 1


def test_good_score_and_all_clear_text_open_no_task(station, clock, enrol):
    member, token = enrol()
    visit(token, station, clock)
    visit(token, station, clock, days=1)
    result = submit_feedback(member, feedback_prompt(member), 7, "Keine Schmerzen, kein Problem!", station.device)
    assert result.follow_up_id is None and open_follow_ups() == []


def test_unknown_follow_up_is_refused(station):
    with pytest.raises(Refused) as refused:
        close_follow_up("nope", station.manager)
    assert refused.value.code == "follow_up_unknown"


@pytest.mark.parametrize("text, found", [
    ("Meine Lippe ist geschwollen und tut weh", True),
    ("Leichte Rötung an der Stirn", True),
    ("Seit Dienstag ein Hautproblem", True),
    ("Es juckt ein bisschen", True),
    ("There is some bruising and swelling", True),
    ("My left eyebrow droops", True),
    ("Alles super, keine Schmerzen", False),
    ("Weiter so, sehr nettes Team", False),
    ("No problems at all, thank you", False),
    ("Lovely kitchen corner and a great number of magazines", False),
])
def test_problem_words_german_and_english(text, found):
    assert bool(problem_words(text)) is found
