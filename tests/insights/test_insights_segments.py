"""Segments and RFM quintiles against hand-worked examples, without a database."""
from __future__ import annotations

import pytest

from loyalty import segments
from loyalty.segments import AT_RISK, LOST, LOYAL, NEW, REGULAR, Rfm, Thresholds


@pytest.mark.parametrize("enrolled, recency, visits, expected", [
    (10, 2, 1, NEW),          # joined 10 days ago
    (30, 30, 0, NEW),         # joined 30 days ago, never visited: still new
    (31, 31, 0, REGULAR),     # one day later: no longer new, not yet at risk
    (400, 5, 4, LOYAL),       # 4 visits this year, last 5 days ago
    (400, 59, 9, LOYAL),
    (400, 60, 9, AT_RISK),    # 60 days without a visit: at risk even when loyal before
    (400, 90, 1, AT_RISK),
    (400, 91, 1, LOST),       # beyond 90 days: lost
    (400, 20, 3, REGULAR),
])
def test_segment_thresholds(enrolled, recency, visits, expected):
    assert segments.segment(enrolled, recency, visits) == expected


def test_segment_thresholds_are_parameters():
    shop = Thresholds(new_days=14, at_risk_days=30, lost_days=45, loyal_visits=10)
    assert segments.segment(20, 10, 3, shop) == REGULAR
    assert segments.segment(20, 35, 3, shop) == AT_RISK
    assert segments.segment(100, 46, 30, shop) == LOST
    assert segments.segment(100, 3, 10, shop) == LOYAL


def test_quintiles_rank_into_fifths():
    # ten distinct values: two per fifth, the highest two get 5
    assert segments.quintiles([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    # lower is better: the smallest values get 5
    assert segments.quintiles([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], higher_is_better=False) == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]


def test_quintiles_never_split_a_tie():
    # ranks 0..4 of [0, 0, 0, 0, 7]: the four zeros share rank 0's score 1, the 7 has rank 4 -> 1 + 5*4//5 = 5
    assert segments.quintiles([0, 7, 0, 0, 0]) == [1, 5, 1, 1, 1]
    assert segments.quintiles([3, 3, 3]) == [1, 1, 1]
    assert segments.quintiles([]) == []


def test_rfm_scores_per_member():
    # five members: recency days, visits, revenue cents
    recency = [2, 10, 40, 80, 200]
    frequency = [12, 6, 3, 2, 1]
    monetary = [90_000, 10_000, 50_000, 0, 20_000]
    scores = segments.rfm_scores(recency, frequency, monetary)
    assert scores == [Rfm(5, 5, 5), Rfm(4, 4, 2), Rfm(3, 3, 4), Rfm(2, 2, 1), Rfm(1, 1, 3)]
    assert str(scores[2]) == "3-3-4"


def test_rfm_needs_one_value_per_member():
    with pytest.raises(ValueError):
        segments.rfm_scores([1, 2], [1], [1, 2])
