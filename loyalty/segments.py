"""Member segments and RFM scores from a few facts per member: pure, no I/O.

Recency counts days since the last visit, or since enrolment for a member who has not visited yet
(joining happens at the counter, so it is the first contact).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

NEW, LOYAL, REGULAR, AT_RISK, LOST = "new", "loyal", "regular", "at_risk", "lost"
SEGMENTS = (NEW, LOYAL, REGULAR, AT_RISK, LOST)


@dataclass(frozen=True)
class Thresholds:
    new_days: int = 30        # enrolled this many days ago or less: new
    at_risk_days: int = 60    # no visit for this many days: at risk ...
    lost_days: int = 90       # ... and beyond this many: lost
    loyal_visits: int = 4     # visits in the last 365 days that make a member loyal


DEFAULT = Thresholds()


def segment(days_since_enrolment: int, recency_days: int, visits_last_year: int,
            thresholds: Thresholds = DEFAULT) -> str:
    """lost: recency > lost_days; at_risk: recency >= at_risk_days (60-90 days without a visit);
    new: enrolled within new_days; loyal: at least loyal_visits visits in 365 days; else regular."""
    if recency_days > thresholds.lost_days:
        return LOST
    if recency_days >= thresholds.at_risk_days:
        return AT_RISK
    if days_since_enrolment <= thresholds.new_days:
        return NEW
    if visits_last_year >= thresholds.loyal_visits:
        return LOYAL
    return REGULAR


@dataclass(frozen=True)
class Rfm:
    recency: int     # 5: visited most recently
    frequency: int   # 5: visits most often
    monetary: int    # 5: spends most

    def __str__(self) -> str:
        return f"{self.recency}-{self.frequency}-{self.monetary}"


def quintiles(values: Sequence[float], higher_is_better: bool = True) -> list[int]:
    """Scores 1-5 by rank: the best fifth gets 5. Equal values get the same score (that of the
    first of them in rank order), so a tie never splits across scores."""
    n = len(values)
    order = sorted(range(n), key=lambda i: values[i], reverse=not higher_is_better)
    scores = [0] * n
    previous, previous_score = None, 0
    for rank, i in enumerate(order):
        if rank and values[i] == previous:
            scores[i] = previous_score
        else:
            previous_score = 1 + 5 * rank // n
            scores[i] = previous_score
        previous = values[i]
    return scores


def rfm_scores(recency_days: Sequence[int], frequency: Sequence[int], monetary_cents: Sequence[int]) -> list[Rfm]:
    """Recency, frequency and monetary quintiles (1-5) for members given as parallel sequences:
    days since the last visit (fewer is better), visits and revenue in cents (more is better)."""
    if not len(recency_days) == len(frequency) == len(monetary_cents):
        raise ValueError("recency, frequency and monetary need one value per member each")
    r = quintiles(recency_days, higher_is_better=False)
    f = quintiles(frequency)
    m = quintiles(monetary_cents)
    return [Rfm(*scores) for scores in zip(r, f, m)]
